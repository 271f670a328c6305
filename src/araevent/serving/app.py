"""The HTTP service around a :class:`~araevent.predictor.Predictor` (FastAPI on uvicorn).

:func:`create_app` builds the application; ``araevent serve`` runs it. The model is loaded
on a background thread once the server is up: ``/health`` answers 503 until it is ready, so
a load balancer sends nothing to a process still loading. Every refusal is a 4xx (5xx only
for the service's own state: loading, queue full) with ``{"error": "one line"}``; one log line
per request says method, path, status, texts, characters and milliseconds, and the texts
only when asked (``log_texts``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from araevent.evaluation.html import FALLBACK_COLOUR, LABEL_COLOURS
from araevent.events import events_from_entities
from araevent.serving import schema
from araevent.serving.batching import BatchQueue, BatchSettings, QueueFull
from araevent.serving.limits import (
    Limits,
    ParsedRequest,
    PredictRequest,
    RequestError,
    parse_request,
)

if TYPE_CHECKING:
    import numpy as np

    from araevent.predictor import Entity, Predictor

LOG = logging.getLogger("araevent.serve")
#: Seconds a client is told to wait when the queue is full or the model is still loading.
RETRY_AFTER = 1
#: The page may run its own inline script and style and call this server, nothing else.
DEMO_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'"
)
_COUNTS = "araevent.counts"  # scope key: (texts, characters, texts for the log) of a request


@dataclass
class _State:
    """The model once loaded, its queue, or why loading failed."""

    predictor: Predictor | None = None
    queue: BatchQueue[tuple[list[Entity], np.ndarray]] | None = None
    failure: str | None = None
    loading: asyncio.Task[None] | None = None  # held here: the loop keeps only a weak reference


def create_app(
    load: Callable[[], Predictor],
    folders: Sequence[str | Path],
    *,
    limits: Limits | None = None,
    batching: BatchSettings | None = None,
    log_texts: bool = False,
    backend: str = "torch",
) -> FastAPI:
    """The service for the model that ``load`` returns (from ``folders``, whose
    ``araevent.json`` is read here, at once: a bad folder is a ``ValueError`` before any
    server starts)."""
    limits = limits or Limits()
    batching = batching or BatchSettings()
    if batching.max_queued < limits.max_texts:
        raise ValueError(
            f"the queue ({batching.max_queued} texts) must hold the largest request "
            f"({limits.max_texts} texts)"
        )
    members = [_member(Path(folder)) for folder in folders]
    name = "+".join(Path(folder).resolve().name for folder in folders)
    state = _State()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.loading = asyncio.get_running_loop().create_task(_load(load, state, batching))
        try:
            yield
        finally:
            state.loading.cancel()
            if state.queue is not None:
                await state.queue.close()

    app = FastAPI(
        title="araevent",
        summary="Actors, places, dates and event triggers in Arabic text",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.add_middleware(_AccessLog, log_texts=log_texts)
    _add_error_handlers(app)
    answer = {"model": name}
    errors: dict[int | str, dict[str, Any]] = {
        status: {"model": schema.ErrorResponse} for status in (400, 413, 422, 503)
    }

    # HEAD too: load balancers probe with it. Two routes, each with its own operation id:
    # one route for both methods gave them the same id, which OpenAPI forbids (client
    # generators fail on it, and FastAPI warns each time the schema is built).
    unavailable: dict[int | str, dict[str, Any]] = {503: {"model": schema.ErrorResponse}}

    @app.get("/health", operation_id="health", responses=unavailable)
    @app.head("/health", operation_id="health_head", responses=unavailable)
    async def health() -> JSONResponse:
        """200 once the model is loaded and serving; 503 while loading (or if it failed)."""
        _ready(state)
        return JSONResponse({"status": "ok", "model": name})

    @app.get("/v1/model", response_model=schema.ModelInfo, responses=errors)
    async def model() -> JSONResponse:
        """Labels, windows, base model, training data digest and metrics of the model."""
        predictor = _ready(state)
        return JSONResponse(
            {
                "model": name,
                "labels": list(predictor.schema.labels),
                "encoding": members[0]["encoding"],
                "normalization": members[0]["normalization"],
                "backend": backend,
                "precision": predictor.precision.dtype,
                "members": [member["about"] for member in members],
            }
        )

    @app.post(
        "/v1/entities",
        response_model=schema.EntitiesResponse,
        responses=errors,
        openapi_extra=_REQUEST_BODY,
    )
    async def entities(request: Request) -> Response:
        """The entities of each text, offsets into it as sent (code points)."""
        parsed, predicted = await _predict(request, state, limits, log_texts)
        results = [[entity.to_dict() for entity in found] for found in predicted]
        return _answer(answer, parsed, results)

    @app.post(
        "/v1/events",
        response_model=schema.EventsResponse,
        responses=errors,
        openapi_extra=_REQUEST_BODY,
    )
    async def events(request: Request) -> Response:
        """Each text's event records: every trigger with its sentence's arguments."""
        parsed, predicted = await _predict(request, state, limits, log_texts)
        results = [
            [record.to_dict() for record in events_from_entities(text, found)]
            for text, found in zip(parsed.texts, predicted, strict=True)
        ]
        return _answer(answer, parsed, results)

    from araevent.serving.labelstudio import add_ml_backend  # it uses this module's helpers

    add_ml_backend(app, state, limits, folders, log_texts)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def demo() -> HTMLResponse:
        return HTMLResponse(_demo_page(), headers={"Content-Security-Policy": DEMO_CSP})

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


async def _load(load: Callable[[], Predictor], state: _State, batching: BatchSettings) -> None:
    """Load the model off the event loop, then open the queue; a failure is kept for
    ``/health`` to report and logged."""
    try:
        predictor = await asyncio.to_thread(load)
    except Exception as exc:
        state.failure = f"the model failed to load: {exc}"
        LOG.error(state.failure)
        return
    # with the word probabilities, which the Label Studio backend turns into task scores
    state.queue = BatchQueue(predictor.predict_with_probs, batching)
    state.predictor = predictor
    LOG.info("model loaded; serving")


def _ready(state: _State) -> Predictor:
    if state.predictor is None:
        raise _Refusal(
            503, state.failure or "the model is still loading", retry=state.failure is None
        )
    return state.predictor


async def _predict(
    request: Request, state: _State, limits: Limits, log_texts: bool
) -> tuple[ParsedRequest, list[list[Entity]]]:
    """The request's texts and their entities, through the batching queue."""
    _ready(state)
    assert state.queue is not None
    body = await _read_body(request, limits)
    try:
        parsed = parse_request(body, limits)
    except RequestError as exc:
        raise _Refusal(exc.status, str(exc)) from None
    request.scope[_COUNTS] = (len(parsed.texts), parsed.chars, parsed.texts if log_texts else None)
    predicted = await _submit(state, parsed.texts)
    return parsed, [entities for entities, _ in predicted]


async def _submit(state: _State, texts: list[str]) -> list[tuple[list[Entity], np.ndarray]]:
    """Each text's entities and word probabilities, through the batching queue."""
    _ready(state)
    assert state.queue is not None
    try:
        return await state.queue.submit(texts)
    except QueueFull as exc:
        raise _Refusal(503, f"busy: {exc}; retry later", retry=True) from None


async def _read_body(request: Request, limits: Limits) -> bytes:
    """The body, refused with 413 as soon as it is longer than any allowed request can be,
    and with 415 when it is compressed (RFC 7694), which would otherwise read as bad JSON."""
    coding = request.headers.get("content-encoding", "identity").strip().lower()
    if coding != "identity":
        raise _Refusal(
            415,
            f"Content-Encoding {coding} is not supported; send the body uncompressed",
            headers={"Accept-Encoding": "identity"},
        )
    declared = request.headers.get("content-length", "")
    too_long = _Refusal(
        413, f"the body is over {limits.max_body_bytes} bytes, more than the limits allow"
    )
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise too_long
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise too_long
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(answer: dict[str, str], parsed: ParsedRequest, results: list[Any]) -> JSONResponse:
    return JSONResponse(
        {**answer, "ids": parsed.ids, "surrogates_replaced": parsed.surrogates, "results": results}
    )


class _Refusal(Exception):
    """A request answered with ``status`` and ``{"error": message}``."""

    def __init__(
        self,
        status: int,
        message: str,
        retry: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry = retry
        self.headers = headers or {}


def _error(
    status: int, message: str, retry: bool = False, headers: dict[str, str] | None = None
) -> JSONResponse:
    sent = {**(headers or {}), **({"Retry-After": str(RETRY_AFTER)} if retry else {})}
    return JSONResponse({"error": message}, status_code=status, headers=sent or None)


def _add_error_handlers(app: FastAPI) -> None:
    """Every refusal as ``{"error": ...}``: ours, FastAPI's (404, 405), a client gone, and a
    bug of ours (500, with the traceback in the log)."""

    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _Refusal)
        return _error(exc.status, str(exc), exc.retry, exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        # a 405 carries the methods the path takes (``Allow``, which RFC 9110 asks for)
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    async def disconnected(request: Request, exc: Exception) -> Response:
        # nobody is left to read it; 499 (nginx's "client closed request") is for the log
        return Response(status_code=499)

    async def unexpected(request: Request, exc: Exception) -> Response:
        LOG.exception("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    app.add_exception_handler(_Refusal, refusal)
    app.add_exception_handler(Exception, unexpected)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(ClientDisconnect, disconnected)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _AccessLog:
    """One line per request: method, path, status, texts, characters, milliseconds (and the
    texts themselves with ``log_texts``)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], log_texts: bool):
        self.app = app
        self.log_texts = log_texts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server sends if the app raises before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            texts, chars, logged = scope.get(_COUNTS, (0, 0, None))
            ms = (time.perf_counter() - started) * 1000
            line = f"{scope['method']} {scope['path']} {status} texts={texts} chars={chars}"
            line += f" ms={ms:.1f}"
            if logged is not None:
                line += " " + json.dumps(logged, ensure_ascii=False)
            LOG.info(line)


def _member(folder: Path) -> dict[str, Any]:
    """What ``/v1/model`` says of one model folder, from its ``araevent.json``."""
    path = folder / "araevent.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        training = meta.get("training") or {}
        about = {
            "folder": folder.resolve().name,
            "base_model": training.get("base_model"),
            "training_data": {
                "path": training.get("data"),
                "documents": training.get("documents"),
                "sha256": training.get("data_sha256"),
            },
            "metrics": meta.get("metrics") or {},
            "araevent_version": meta.get("araevent_version"),
        }
        return {
            "encoding": meta["encoding"],
            "normalization": meta.get("normalization"),
            "about": about,
        }
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise ValueError(f"{path}: cannot read the model's settings ({exc})") from None


@cache
def _demo_page() -> str:
    """The demo page with the HTML report's label colours filled in."""
    page = files("araevent.serving").joinpath("demo.html").read_text(encoding="utf-8")
    colours = {"labels": dict(LABEL_COLOURS), "fallback": FALLBACK_COLOUR}
    # "</" cannot appear in the JSON, so it cannot end the script element early
    return page.replace("__COLOURS__", json.dumps(colours).replace("</", "<\\/"))


_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}
        },
    }
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the request body, which the handlers parse themselves."""
    if app.openapi_schema is None:
        spec = get_openapi(title=app.title, version="1", summary=app.summary, routes=app.routes)
        body = PredictRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        components["PredictRequest"] = body
        app.openapi_schema = spec
    return app.openapi_schema
