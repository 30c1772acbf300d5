"""Classification heads (lazy-registered by name; import `vidcore_tsn.heads.tsn_head` for the class)."""

__all__: list[str] = []
