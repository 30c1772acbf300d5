"""mmaction2 interop: `vidcore migrate` (Python configs -> YAML) and `vidcore convert-checkpoint` (weights).

Submodules are imported on demand; importing this package imports nothing heavy.
"""

__all__: list[str] = []
