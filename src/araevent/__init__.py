"""araevent: tag actors, places, dates and event triggers in Arabic news text.

The top-level namespace holds the data model; loaders live in :mod:`araevent.io` and text
utilities in :mod:`araevent.data.text`. Nothing here imports torch or hydra.
"""

from typing import TYPE_CHECKING

from araevent.data.document import Document, Span, SpanError
from araevent.data.labels import DEFAULT_LABELS, LabelSchema
from araevent.errors import DataFormatError, LoadReport

if TYPE_CHECKING:  # type checkers see the real classes; at run time they load on first use
    from araevent.predictor import Entity, Predictor

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # the Predictor needs torch: imported on first use, so `import araevent` stays light
    if name in ("Predictor", "Entity"):
        from araevent import predictor

        return getattr(predictor, name)
    raise AttributeError(f"module 'araevent' has no attribute {name!r}")


__all__ = [
    "DEFAULT_LABELS",
    "DataFormatError",
    "Document",
    "Entity",
    "LabelSchema",
    "LoadReport",
    "Predictor",
    "Span",
    "SpanError",
    "__version__",
]
