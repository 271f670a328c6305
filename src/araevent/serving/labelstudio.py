"""The Label Studio ML backend protocol, spoken by ``araevent serve`` beside its own API, so
that a Label Studio project connected to the server (Settings > Model, or ``POST /api/ml``)
gets the model's predictions while annotators work.

The protocol is the one Label Studio's connector speaks (``label_studio/ml/api_connector.py``
and ``ml/models.py`` of label-studio 1.23.2 from PyPI) and its reference server implements
(``label_studio_ml/api.py`` of HumanSignal/label-studio-ml-backend ``d02cedf3``):

* ``GET /health``: the connector only checks for a 2xx JSON answer (within 1 s), so the
  service's own ``/health`` serves both; it is 503 while the model loads, which Label Studio
  shows as "Disconnected".
* ``POST /setup`` ``{"project", "schema" (the label config), "hostname", "access_token",
  "extra_params"}`` -> ``{"model_version": ...}``. Label Studio calls it when the backend is
  added and before every prediction run; an error answer puts the backend in its error state.
  Here the config is checked against the model: a ``<Labels name="label" toName="text">``
  holding every label the model predicts and a ``<Text name="text" value="$FIELD">`` (what
  ``araevent labelstudio-config`` prints). Label Studio shows only the HTTP status of a
  refusal, so the reason is also logged.
* ``POST /predict`` ``{"tasks": [{"id", "data": {...}}, ...], "label_config", "project",
  "params"}`` -> ``{"results": [one prediction per task, in order]}``, each prediction being
  what :func:`~araevent.io.labelstudio.labelstudio_prediction` makes for
  ``araevent predict --format labelstudio`` (spans with code point offsets, scores, a task
  score, ``model_version``). The text is ``data[FIELD]``, FIELD from the config's ``Text``
  tag. Label Studio skips tasks that already hold a prediction of the same ``model_version``.
* ``POST /webhook`` ``{"action", "project", ...}``: Label Studio registers it for every
  event of the project and sends ``START_TRAINING`` there when "Start training" is pressed.
  Training events are acknowledged (201, as the reference server answers) and logged, other
  events 200; araevent does not train from here: export the project and run ``araevent
  train``.
* ``GET /versions`` -> ``{"versions": [model_version]}`` (the model versions page).

Authentication: Label Studio can send HTTP Basic credentials; this server checks none, so
serve it on loopback or behind a proxy that does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar
from xml.etree import ElementTree

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from araevent.annotation.tasks import model_version, predicted_document
from araevent.data.text import replace_surrogates
from araevent.io.labelstudio import FROM_NAME, TO_NAME, labelstudio_prediction
from araevent.serving.app import (
    _COUNTS,
    _read_body,
    _ready,
    _Refusal,
    _State,
    _submit,
)
from araevent.serving.limits import Limits, RequestError, check_size, parse_json

LOG = logging.getLogger("araevent.serve")
Body = TypeVar("Body", bound=BaseModel)
#: The events after which Label Studio's reference backend trains (``TRAIN_EVENTS`` there).
TRAIN_EVENTS: Final = frozenset(
    {"ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED", "START_TRAINING"}
)
NOT_TRAINED: Final = (
    "araevent serve does not train; export the project and run araevent train on it"
)


class _Task(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int | str | None = None
    data: dict[str, Any]


class _PredictBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    tasks: list[_Task] = Field(min_length=1)
    label_config: str | None = None


class _SetupBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    label_config: str = Field(alias="schema")


class _WebhookBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    action: str
    project: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Backend:
    state: _State
    limits: Limits
    version: str

    async def parse(self, request: Request, model: type[Body]) -> Body:
        """The body as ``model``; refused as the service refuses any body."""
        body = await _read_body(request, self.limits)
        try:
            return parse_json(body, model)
        except RequestError as exc:
            raise _Refusal(exc.status, str(exc)) from None

    def text_field(self, config: str | None) -> str:
        """The task data field the project's label config shows, once the config is checked
        against the model (the field predictions are written for when no config is sent)."""
        if config is None:
            return TO_NAME
        try:
            return check_label_config(config, _ready(self.state).schema.labels)
        except ValueError as exc:
            LOG.warning("Label Studio's label config refused: %s", exc)
            raise _Refusal(422, str(exc)) from None


def add_ml_backend(
    app: FastAPI,
    state: _State,
    limits: Limits,
    folders: Sequence[str | Path],
    log_texts: bool = False,
) -> None:
    """Add the Label Studio ML backend's routes to ``app``, predicting through ``state``'s
    queue within ``limits`` and logged as the service logs (``log_texts``); the
    ``model_version`` is that of ``araevent predict`` for ``folders``."""
    backend = _Backend(state, limits, model_version(folders))
    tags: list[str | Enum] = ["Label Studio ML backend"]

    @app.post("/setup", tags=tags)
    async def setup(request: Request) -> JSONResponse:
        """Label Studio connects a project: its label config must fit the model."""
        body = await backend.parse(request, _SetupBody)
        backend.text_field(body.label_config)
        return JSONResponse({"model_version": backend.version})

    @app.post("/predict", tags=tags)
    async def predict(request: Request) -> JSONResponse:
        """One prediction per task, in order, as ``araevent predict --format labelstudio``."""
        body = await backend.parse(request, _PredictBody)
        field = backend.text_field(body.label_config)
        texts = [_task_text(task, position, field) for position, task in enumerate(body.tasks)]
        try:
            check_size(texts, limits)
        except RequestError as exc:
            raise _Refusal(exc.status, str(exc)) from None
        texts = [replace_surrogates(text)[0] for text in texts]
        request.scope[_COUNTS] = (len(texts), sum(map(len, texts)), texts if log_texts else None)
        predicted = await _submit(state, texts)
        results = [
            labelstudio_prediction(
                predicted_document(_task_id(task, position), text, entities, probs),
                backend.version,
            )
            for position, (task, text, (entities, probs)) in enumerate(
                zip(body.tasks, texts, predicted, strict=True)
            )
        ]
        return JSONResponse({"results": results})

    @app.post("/webhook", tags=tags)
    async def webhook(request: Request) -> JSONResponse:
        """Project events: training ones acknowledged (201) and logged, not acted on."""
        body = await backend.parse(request, _WebhookBody)
        if body.action not in TRAIN_EVENTS:
            return JSONResponse({"status": "ignored", "action": body.action})
        project = (body.project or {}).get("id")
        LOG.info("Label Studio %s (project %s) acknowledged; %s", body.action, project, NOT_TRAINED)
        return JSONResponse({"status": "ok", "result": NOT_TRAINED}, status_code=201)

    @app.get("/versions", tags=tags)
    async def versions() -> JSONResponse:
        """The one model version this server predicts with."""
        return JSONResponse({"versions": [backend.version]})


def check_label_config(config: str, labels: Sequence[str]) -> str:
    """The data field (``$FIELD``) that the ``<Text name="text">`` of a Label Studio label
    config reads, or a ``ValueError`` saying why the config cannot show the model's
    predictions: they name ``<Labels name="label" toName="text">`` and every label the model
    predicts must be one of its ``<Label>`` values (other labels may be there too)."""
    try:
        root = ElementTree.fromstring(config)
    except ElementTree.ParseError as exc:
        raise ValueError(f"the label config is not XML: {exc}") from None
    hint = "(araevent labelstudio-config prints one that fits)"
    tags = _named_tags(root)
    spans = tags.get(("labels", FROM_NAME))
    if spans is None or spans.get("toName") != TO_NAME:
        raise ValueError(
            f'the label config has no <Labels name="{FROM_NAME}" toName="{TO_NAME}">, which '
            f"the predictions fill {hint}"
        )
    text = tags.get(("text", TO_NAME))
    value = "" if text is None else text.get("value", "")
    if not value.startswith("$") or len(value) < 2:
        raise ValueError(
            f'the label config has no <Text name="{TO_NAME}" value="$field"> for the '
            f"predictions to point into {hint}"
        )
    present = {label.get("value") for label in spans.iter() if label.tag.lower() == "label"}
    missing = [label for label in labels if label not in present]
    if missing:
        raise ValueError(
            f'<Labels name="{FROM_NAME}"> lacks the labels {", ".join(missing)} that the model '
            f"predicts {hint}"
        )
    return value[1:]


def _named_tags(root: ElementTree.Element) -> dict[tuple[str, str], ElementTree.Element]:
    """Each tag with a ``name``, by (tag in lower case, name): tags match whatever their case."""
    return {
        (element.tag.lower(), element.get("name", "")): element
        for element in root.iter()
        if element.get("name") is not None
    }


def _task_id(task: _Task, position: int) -> str:
    return str(position if task.id is None else task.id)


def _task_text(task: _Task, position: int, field: str) -> str:
    text = task.data.get(field)
    if not isinstance(text, str):
        raise _Refusal(
            422,
            f"tasks.{position} (id {_task_id(task, position)}): data.{field} must be a string "
            f"(the label config's <Text> reads ${field}), got {type(text).__name__}",
        )
    return text
