"""Errors and the problem report shared by every loader.

Two rules hold across the package: bad input fails with an error that names *where* (file and
line, or document id) and *why*; and in lenient mode whatever is repaired or skipped is counted
in a :class:`LoadReport`, never dropped silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


class DataFormatError(ValueError):
    """Malformed annotated data, with its location."""

    def __init__(
        self,
        reason: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        doc_id: str | None = None,
    ) -> None:
        self.reason = reason
        self.path = None if path is None else str(path)
        self.line = line
        self.doc_id = doc_id
        super().__init__(f"{format_location(self.path, line, doc_id)}: {reason}")


def format_location(path: str | None, line: int | None, doc_id: str | None) -> str:
    where = path or "<input>"
    if line is not None:
        where += f":{line}"
    if doc_id is not None:
        where += f" (document {doc_id!r})"
    return where


@dataclass
class LoadReport:
    """What a load did beyond a faithful copy: repairs, skips, label mapping, dropped layers.

    ``problems`` counts each kind of repair or skip; ``examples`` keeps the first few locations
    of each kind so that a user can find them in the file. ``labels_mapped`` and
    ``labels_dropped`` count spans per original label for label-map policies, which are not
    problems but are lossy and therefore reported.
    """

    max_examples: int = 5
    documents: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    labels_mapped: Counter[str] = field(default_factory=Counter)
    labels_dropped: Counter[str] = field(default_factory=Counter)

    def add(
        self,
        kind: str,
        detail: str = "",
        *,
        path: str | Path | None = None,
        line: int | None = None,
        doc_id: str | None = None,
        count: int = 1,
    ) -> None:
        self.problems[kind] += count
        shown = self.examples.setdefault(kind, [])
        if len(shown) < self.max_examples:
            where = format_location(None if path is None else str(path), line, doc_id)
            shown.append(f"{where}: {detail}" if detail else where)

    def merge(self, other: LoadReport) -> None:
        self.documents += other.documents
        self.problems.update(other.problems)
        self.labels_mapped.update(other.labels_mapped)
        self.labels_dropped.update(other.labels_dropped)
        for kind, shown in other.examples.items():
            mine = self.examples.setdefault(kind, [])
            mine.extend(shown[: max(0, self.max_examples - len(mine))])

    @property
    def clean(self) -> bool:
        return not self.problems and not self.labels_dropped

    def summary(self) -> str:
        """One line for reports: each repair, skip and label policy with its count.

        When there is none the line says so in words true of gold and predictions alike.
        """
        parts = [f"{kind}: {n}" for kind, n in sorted(self.problems.items())]
        parts += [f"label mapped {label}: {n}" for label, n in sorted(self.labels_mapped.items())]
        parts += [f"label dropped {label}: {n}" for label, n in sorted(self.labels_dropped.items())]
        return "; ".join(parts) or "nothing skipped, repaired or mapped"

    def lines(self) -> list[str]:
        """Human-readable summary, one finding per line (empty when nothing happened)."""
        out = []
        for kind, n in sorted(self.problems.items()):
            out.append(f"{kind}: {n}")
            out.extend(f"    e.g. {example}" for example in self.examples.get(kind, ()))
        for label, n in sorted(self.labels_mapped.items()):
            out.append(f"label mapped {label}: {n} spans")
        for label, n in sorted(self.labels_dropped.items()):
            out.append(f"label dropped {label}: {n} spans")
        return out
