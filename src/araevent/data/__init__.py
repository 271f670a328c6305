"""Pure-Python data model and text utilities: no torch, no hydra."""

from araevent.data.document import Document, Span, SpanError
from araevent.data.labels import DEFAULT_LABELS, LabelSchema

__all__ = ["DEFAULT_LABELS", "Document", "LabelSchema", "Span", "SpanError"]
