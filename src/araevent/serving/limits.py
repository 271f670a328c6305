"""What one request may ask for, and how its body becomes texts or a one-line reason why not.

The body is parsed here rather than by FastAPI so that every refusal has the same shape
(``{"error": "..."}`` with a 4xx status), whatever the ``Content-Type`` a client sent (``curl
-d`` says form data), and so that the size limits hold while the body is still arriving.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from araevent.data.text import replace_surrogates

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Limits:
    """At most ``max_texts`` texts and ``max_chars`` characters (code points) a request."""

    max_texts: int = 256
    max_chars: int = 1_000_000

    def __post_init__(self) -> None:
        if self.max_texts < 1 or self.max_chars < 1:
            raise ValueError(
                f"max_texts and max_chars must be at least 1, got {self.max_texts} "
                f"and {self.max_chars}"
            )

    @property
    def max_body_bytes(self) -> int:
        """The largest body that can hold ``max_chars`` characters: each written as a 12-byte
        JSON escape pair at worst, plus room for the keys and ids."""
        return 12 * self.max_chars + 64 * self.max_texts + 65_536


class RequestError(Exception):
    """A request the server refuses: its HTTP status and a one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class DocumentIn(BaseModel):
    """A text with the caller's id, echoed in the response's ``ids``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    id: str | int
    text: str


class PredictRequest(BaseModel):
    """Either ``texts`` or ``documents``, not both; neither may be empty."""

    model_config = ConfigDict(extra="forbid", strict=True)
    texts: list[str] | None = Field(default=None, min_length=1)
    documents: list[DocumentIn] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> PredictRequest:
        if (self.texts is None) == (self.documents is None):
            raise ValueError('give either "texts" or "documents"')
        return self


@dataclass(frozen=True)
class ParsedRequest:
    """The texts to predict (lone surrogates replaced by U+FFFD, so offsets are unchanged
    and the answer can be encoded), the documents' ids if documents were sent, and how many
    surrogates were replaced."""

    texts: list[str]
    ids: list[str | int] | None
    surrogates: int

    @property
    def chars(self) -> int:
        return sum(len(text) for text in self.texts)


def parse_json(body: bytes, model: type[Model]) -> Model:
    """``body`` as ``model``, or a :class:`RequestError`: 400 for a body that is not JSON, 422
    for JSON of the wrong shape (every endpoint that reads JSON refuses alike)."""
    try:
        # decoded here: json.loads would take UTF-16 and UTF-32 too, where JSON is UTF-8
        data = json.loads(body.removeprefix(codecs.BOM_UTF8).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RequestError(
            400, f"the body is not UTF-8 ({exc.reason} at byte {exc.start})"
        ) from None
    except json.JSONDecodeError as exc:
        raise RequestError(
            400, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise RequestError(400, "invalid JSON: nested too deeply") from None
    _refuse_surrogates(data, "body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestError(422, _first_error(exc)) from None


def check_size(texts: list[str], limits: Limits) -> None:
    """A 413 :class:`RequestError` for more texts or characters than ``limits`` allow."""
    if len(texts) > limits.max_texts:
        raise RequestError(
            413, f"{len(texts)} texts in one request; the limit is {limits.max_texts}"
        )
    chars = sum(len(text) for text in texts)
    if chars > limits.max_chars:
        raise RequestError(
            413, f"{chars} characters in one request; the limit is {limits.max_chars}"
        )


def parse_request(body: bytes, limits: Limits) -> ParsedRequest:
    """The request in ``body``, or a :class:`RequestError`: 400 for a body that is not JSON,
    422 for JSON of the wrong shape, 413 for more texts or characters than ``limits``."""
    request = parse_json(body, PredictRequest)
    if request.documents is not None:
        ids: list[str | int] | None = [doc.id for doc in request.documents]
        texts = [doc.text for doc in request.documents]
    else:
        ids, texts = None, list(request.texts or ())
    check_size(texts, limits)
    replaced = [replace_surrogates(text) for text in texts]
    return ParsedRequest([text for text, _ in replaced], ids, sum(count for _, count in replaced))


# Values under these keys are texts: their lone surrogates are replaced (and counted) where
# they are read, which keeps offsets; anywhere else (an id echoed back, a key) one cannot be
# encoded in the answer and is refused.
TEXT_KEYS = frozenset({"text", "texts", "data"})


def _refuse_surrogates(value: object, where: str) -> None:
    """A 422 :class:`RequestError` naming the first string outside the texts that holds a
    lone surrogate (valid JSON, ``"\\ud800"``, but not Unicode)."""
    if isinstance(value, str):
        if replace_surrogates(value)[1]:
            raise RequestError(
                422,
                f"{where}: holds a lone surrogate, which no answer can encode (only texts "
                "have theirs replaced)",
            )
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_surrogates(item, f"{where}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_surrogates(key, f"{where} key")
            if key not in TEXT_KEYS:
                _refuse_surrogates(item, key if where == "body" else f"{where}.{key}")


def _first_error(exc: ValidationError) -> str:
    """``where: what`` for the first problem, and how many more there are."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    message = first["msg"].removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}"
