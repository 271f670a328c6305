"""The shapes of the service's answers, for its OpenAPI schema.

Answers are built from :meth:`araevent.predictor.Entity.to_dict` and
:meth:`araevent.events.EventRecord.to_dict` and sent as they are; these models describe them
(``/openapi.json``, ``/docs``) without validating every answer again on its way out.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from araevent.events import Argument, Trigger
from araevent.predictor import Entity


class _Answer(BaseModel):
    model: str = Field(description="the model folder's name (names joined by + for an ensemble)")
    ids: list[str | int] | None = Field(description="the documents' ids, when documents were sent")
    surrogates_replaced: int = Field(
        description="lone surrogates replaced by U+FFFD before prediction (offsets unchanged)"
    )


class EntitiesResponse(_Answer):
    results: list[list[Entity]] = Field(description="one list per text, in request order")


class SentenceOut(BaseModel):
    start: int
    end: int
    text: str


class EventOut(BaseModel):
    """A trigger with the actors, places and dates of its sentence, nearest first."""

    trigger: Trigger
    sentence: SentenceOut
    actors: list[Argument]
    places: list[Argument]
    dates: list[Argument]


class EventsResponse(_Answer):
    results: list[list[EventOut]] = Field(description="one list per text, in request order")


class ModelInfo(BaseModel):
    """What the served model is: from each folder's ``araevent.json``."""

    model: str
    labels: list[str]
    encoding: dict[str, Any]
    normalization: dict[str, Any] | None
    backend: str
    precision: str
    members: list[dict[str, Any]] = Field(
        description="per model folder: folder, base_model, training data and its sha256, "
        "headline metrics (one member unless an ensemble)"
    )


class ErrorResponse(BaseModel):
    error: str
