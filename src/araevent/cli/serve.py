"""``araevent serve``: a model folder behind HTTP (the ``serve`` extra: FastAPI and uvicorn).

The model is loaded, and so checked, before the port is bound: a bad folder is a one-line
error and exit status 1, never a server that answers 503 for ever. With ``--workers N``
uvicorn starts N processes that each load their own copy before they take connections
(from the options this process puts in :data:`SETTINGS_VARIABLE`, see
:func:`app_from_environment`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from araevent.cli.console import print_error
from araevent.cli.loading import add_model_options, load_predictor

if TYPE_CHECKING:
    from fastapi import FastAPI

    from araevent.predictor import Predictor

MISSING_EXTRA = 'araevent serve needs the serve extra: pip install "araevent[serve]"'
#: How the parent hands its options to ``--workers`` processes (JSON of the parsed options).
SETTINGS_VARIABLE = "ARAEVENT_SERVE_SETTINGS"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve a model folder over HTTP (needs araevent[serve])",
        description="Serve a model over HTTP: POST /v1/entities and /v1/events, GET /health, "
        "/v1/model, a demo page at / and the OpenAPI schema at /docs.",
    )
    add_model_options(serve)
    serve.add_argument("--threads", type=int, help="torch/ONNX Runtime intra-op threads")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=1, help="processes, each with its own copy of the model"
    )
    serve.add_argument(
        "--max-batch", type=int, default=64, help="texts gathered into one model call"
    )
    serve.add_argument(
        "--max-wait-ms",
        type=float,
        default=5.0,
        help="how long the first text waits for more to batch with",
    )
    serve.add_argument(
        "--queue-size",
        type=int,
        default=1024,
        help="texts waiting for the model at most; beyond, 503 with Retry-After",
    )
    serve.add_argument("--max-texts", type=int, default=256, help="texts a request at most")
    serve.add_argument(
        "--max-chars", type=int, default=1_000_000, help="characters a request at most"
    )
    serve.add_argument("--log-texts", action="store_true", help="log the texts of requests too")
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        print(f"error: {MISSING_EXTRA}", file=sys.stderr)
        return 1
    try:
        _check_options(args)
        _configure_logging()
        app = _loaded_app(args)
    except (OSError, ValueError, ImportError) as exc:
        print_error(exc)
        return 1
    if args.workers == 1:
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)
        return 0
    del app  # the model loaded, so the folder is good; each worker loads its own copy
    os.environ[SETTINGS_VARIABLE] = json.dumps(vars(args) | {"handler": None})
    uvicorn.run(
        "araevent.cli.serve:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=None,
    )
    return 0


def app_from_environment() -> FastAPI:
    """The app of one ``--workers`` process, from the options its parent checked. Its model
    is loaded here, before the process takes connections: the workers share one socket, so
    a worker still loading would otherwise answer 503 to requests that a ready one could
    serve."""
    _configure_logging()
    return _loaded_app(argparse.Namespace(**json.loads(os.environ[SETTINGS_VARIABLE])))


def _loaded_app(args: argparse.Namespace) -> FastAPI:
    """The app with its model loaded here, so that any problem is found before the port is
    bound (``/health`` is ready as soon as the server is)."""
    predictor = load_predictor(args)
    return _app(args, lambda: predictor)


def _app(args: argparse.Namespace, load: Callable[[], Predictor]) -> FastAPI:
    from araevent.serving.app import create_app
    from araevent.serving.batching import BatchSettings
    from araevent.serving.limits import Limits

    return create_app(
        load,
        args.model,
        limits=Limits(args.max_texts, args.max_chars),
        batching=BatchSettings(args.max_batch, args.max_wait_ms / 1000, args.queue_size),
        log_texts=args.log_texts,
        backend=args.backend,
    )


def _check_options(args: argparse.Namespace) -> None:
    """Refuse options that cannot work, before the model is loaded."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 and 65535, got {args.port}")
    for option in ("workers", "max_batch", "queue_size", "max_texts", "max_chars"):
        if getattr(args, option) < 1:
            raise ValueError(f"--{option.replace('_', '-')} must be at least 1")
    if args.max_wait_ms < 0:
        raise ValueError(f"--max-wait-ms must not be negative, got {args.max_wait_ms}")
    if args.queue_size < args.max_texts:
        raise ValueError(
            f"--queue-size {args.queue_size} must hold the largest request "
            f"(--max-texts {args.max_texts})"
        )
    _check_address(args.host, args.port)


def _check_address(host: str, port: int) -> None:
    """Refuse an address that cannot be listened on: uvicorn would find out only once the
    model is loaded, and exit with status 3 after a page of log."""
    try:
        family, kind, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:
        raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _configure_logging() -> None:
    """The request log and uvicorn's own messages on stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d] %(message)s"))
    for name in ("araevent.serve", "uvicorn"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
