"""Corpus statistics: what a dataset holds before anyone trains on it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from araevent.data.document import Document
from araevent.data.text import sentences, words


@dataclass
class CorpusStats:
    documents: int = 0
    sentences: int = 0
    words: int = 0
    characters: int = 0
    max_document_words: int = 0
    spans: Counter[str] = field(default_factory=Counter)
    span_words: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, documents: Iterable[Document]) -> CorpusStats:
        stats = cls()
        for document in documents:
            n_words = len(words(document.text))
            stats.documents += 1
            stats.sentences += len(sentences(document.text))
            stats.words += n_words
            stats.characters += len(document.text)
            stats.max_document_words = max(stats.max_document_words, n_words)
            for span in document.spans:
                stats.spans[span.label] += 1
                stats.span_words[span.label] += len(words(document.span_text(span)))
        return stats

    def table(self) -> str:
        """A plain-text summary: totals, then one row per label."""
        lines = [
            f"documents  {self.documents:>10,}",
            f"sentences  {self.sentences:>10,}",
            f"words      {self.words:>10,}   (longest document {self.max_document_words:,})",
            f"characters {self.characters:>10,}",
            f"spans      {sum(self.spans.values()):>10,}",
        ]
        if self.spans:
            width = max(len(label) for label in self.spans)
            lines.append("")
            lines.append(f"{'label':<{width}}  {'spans':>8}  {'share':>6}  {'words/span':>10}")
            total = sum(self.spans.values())
            for label, count in sorted(self.spans.items(), key=lambda item: -item[1]):
                lines.append(
                    f"{label:<{width}}  {count:>8,}  {count / total:>6.1%}  "
                    f"{self.span_words[label] / count:>10.2f}"
                )
        return "\n".join(lines)
