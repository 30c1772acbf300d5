"""Warnings and notes collected while migrating, each naming where it came from (file:line, key path)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Diagnostic", "Diagnostics", "Reporter"]


@dataclass(frozen=True)
class Diagnostic:
    """One finding. A `warning` may change behaviour (`--strict` fails on it); a `note` never does."""

    message: str
    key: str | None = None
    file: str | None = None
    line: int | None = None
    level: str = "warning"
    dropped: bool = False  # the setting (or part of it) is not in the output

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        parts = [part for part in (where, self.key) if part]
        return f"{': '.join(parts)}: {self.message}" if parts else self.message


@dataclass
class Diagnostics:
    """An ordered, de-duplicated list of diagnostics."""

    items: list[Diagnostic] = field(default_factory=list)

    def warn(self, message: str, key: str | None = None, file: str | None = None, line: int | None = None, *,
             dropped: bool = False) -> None:
        self._add(Diagnostic(message, key, file, line, "warning", dropped))

    def note(self, message: str, key: str | None = None, file: str | None = None, line: int | None = None, *,
             dropped: bool = False) -> None:
        self._add(Diagnostic(message, key, file, line, "note", dropped))

    def _add(self, item: Diagnostic) -> None:
        if item not in self.items:
            self.items.append(item)

    @property
    def warnings(self) -> list[Diagnostic]:
        return [item for item in self.items if item.level == "warning"]

    @property
    def notes(self) -> list[Diagnostic]:
        return [item for item in self.items if item.level == "note"]


class Reporter:
    """Adds diagnostics about mmaction2 key paths, locating each by the file:line that set its top-level key."""

    def __init__(self, diagnostics: Diagnostics, origins: dict[str, tuple[str, int]] | None = None) -> None:
        self.diagnostics = diagnostics
        self.origins = origins or {}
        self.helpers: list[str] = []  # top-level names that were helper variables, inlined where used

    def _where(self, key: str) -> tuple[str | None, int | None]:
        root = key.split(".")[0].split("[")[0]
        return self.origins.get(root, (None, None))

    def warn(self, key: str, message: str, *, dropped: bool = False) -> None:
        """A change of behaviour at `key`; `dropped`: the value is not in the output."""
        self.diagnostics.warn(message, key, *self._where(key), dropped=dropped)

    def note(self, key: str, message: str, *, dropped: bool = False) -> None:
        """A mapping that keeps the behaviour; `dropped`: the value is not in the output (it has no effect)."""
        self.diagnostics.note(message, key, *self._where(key), dropped=dropped)
