"""``araevent serve``: a real server process on a free loopback port, answering every endpoint
and refusing every bad request with a 4xx and a JSON reason while it keeps serving; and the
batching queue on its own."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from araevent import Predictor  # noqa: E402
from araevent.cli.main import main  # noqa: E402
from araevent.events import events_from_entities  # noqa: E402
from araevent.serving.batching import BatchQueue, BatchSettings, QueueFull  # noqa: E402
from araevent.serving.limits import Limits  # noqa: E402
from tests.conftest import AUTO_PRECISION, REPO, SAMPLE, SCORE_NOISE  # noqa: E402

TEXTS = [json.loads(line)["text"] for line in (SAMPLE / "dev.jsonl").open(encoding="utf-8")]
# Arabic with diacritics, an emoji (one code point, two UTF-16 units), bidi marks and a ZWNJ
HARD = [
    "قَصَفَتِ الطَّائِرَاتُ التُّرْكِيَّةُ مَوَاقِعَ فِي الرَّقَّةِ يَوْمَ الأَحَدِ.",
    "😀 قصفت الطائرات 🇸🇾 التركية مواقع في الرقة يوم الأحد 🔥",
    "\u200fقصفت\u200f الطائرات\u200e التركية\u2067 مواقع\u2069 في الرقة\u200c يوم الأحد.",
    TEXTS[0],
]
MAX_TEXTS, MAX_CHARS = 8, 20_000  # the main server's limits: small, so refusals are cheap


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.post(self.url + path, content=content, timeout=60, **kwargs)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=60)

    def still_serving(self) -> None:
        """The process is alive and predicts: what every bad request must leave behind."""
        assert self.process.poll() is None
        answer = self.post("/v1/entities", {"texts": [HARD[0]]})
        assert answer.status_code == 200, answer.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def start_server(model: Path, log: Path, *options: str) -> Iterator[Server]:
    """``araevent serve`` in its own process, once /health says it is ready."""
    port = free_port()
    command = [sys.executable, "-m", "araevent.cli.main", "serve", "--model", str(model)]
    command += ["--port", str(port), "--device", "cpu", "--threads", "1", *options]
    env = os.environ | {"PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8")
            try:
                if server.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("serve") / "server.log"
    limits = ["--max-texts", str(MAX_TEXTS), "--max-chars", str(MAX_CHARS)]
    with start_server(exported, log, *limits, "--queue-size", "64") as running:
        yield running


@pytest.fixture(scope="module")
def predictor(exported: Path) -> Predictor:
    return Predictor.from_pretrained(exported, device="cpu")


def split_scores(value: Any) -> tuple[Any, list[float]]:
    """``value`` without its ``score`` keys, and the scores in the order met."""
    scores: list[float] = []

    def strip(item: Any) -> Any:
        if isinstance(item, dict):
            scores.extend([item["score"]] if "score" in item else [])
            return {key: strip(v) for key, v in item.items() if key != "score"}
        if isinstance(item, list):
            return [strip(v) for v in item]
        return item

    return strip(value), scores


def assert_same(served: Any, expected: Any) -> None:
    """Equal to the Predictor's answer: offsets, labels and texts exactly, scores to the noise
    of the precision (the server computes on one thread, this process on several): the third
    decimal in bf16, far less in fp32."""
    served, served_scores = split_scores(served)
    expected, expected_scores = split_scores(json.loads(json.dumps(expected)))
    assert served == expected
    assert served_scores == pytest.approx(expected_scores, abs=SCORE_NOISE)


def entities(predicted: list[list[Any]]) -> list[list[dict[str, Any]]]:
    return [[entity.to_dict() for entity in found] for found in predicted]


def wait_for_log(server: Server, needle: str) -> str:
    """The server's log once it holds ``needle`` (a line is written after its answer)."""
    deadline = time.monotonic() + 30
    while needle not in (log := server.log.read_text(encoding="utf-8")):
        assert time.monotonic() < deadline, f"{needle!r} never logged"
        time.sleep(0.05)
    return log


# --- endpoints ---------------------------------------------------------------------------------


def test_entities_equal_the_predictors_with_exact_offsets(
    server: Server, predictor: Predictor
) -> None:
    texts = [*HARD, *TEXTS]
    answer = server.post("/v1/entities", {"texts": texts[:MAX_TEXTS]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == "model" and body["ids"] is None and body["surrogates_replaced"] == 0
    assert_same(body["results"], entities(predictor.predict_batch(texts[:MAX_TEXTS])))
    assert any(body["results"])  # the tiny model finds something, so the comparison says much
    for text, found in zip(texts, body["results"], strict=False):
        for entity in found:
            assert text[entity["start"] : entity["end"]] == entity["text"]


def test_documents_keep_their_ids(server: Server, predictor: Predictor) -> None:
    documents = [{"id": "a", "text": HARD[1]}, {"id": 7, "text": HARD[2]}]
    answer = server.post("/v1/entities", {"documents": documents})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ids"] == ["a", 7]
    assert_same(answer.json()["results"], entities(predictor.predict_batch(HARD[1:3])))


def test_events_are_the_predictors_event_records(server: Server, predictor: Predictor) -> None:
    answer = server.post("/v1/events", {"texts": TEXTS[:3]})
    assert answer.status_code == 200, answer.text
    expected = [
        [record.to_dict() for record in events_from_entities(text, predictor.predict(text))]
        for text in TEXTS[:3]
    ]
    assert any(answer.json()["results"])
    assert_same(answer.json()["results"], expected)


def test_health_and_model_description(server: Server, exported: Path) -> None:
    assert server.get("/health").json() == {"status": "ok", "model": "model"}
    info = server.get("/v1/model").json()
    meta = json.loads((exported / "araevent.json").read_text(encoding="utf-8"))
    assert info["labels"] == meta["labels"]
    assert info["encoding"] == meta["encoding"]
    assert info["backend"] == "torch" and info["precision"] == AUTO_PRECISION
    (member,) = info["members"]
    assert member["training_data"]["sha256"] == meta["training"]["data_sha256"]
    assert member["base_model"] == meta["training"]["base_model"]
    assert member["metrics"] == meta["metrics"]


def test_openapi_schema_describes_the_endpoints(server: Server) -> None:
    spec = server.get("/openapi.json").json()
    assert {"/v1/entities", "/v1/events", "/health", "/v1/model"} <= set(spec["paths"])
    body = spec["paths"]["/v1/entities"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/PredictRequest"}
    schemas = spec["components"]["schemas"]
    assert {"texts", "documents"} <= set(schemas["PredictRequest"]["properties"])
    assert set(schemas["Entity"]["properties"]) == {
        "start", "end", "label", "text", "score", "core_start", "core_end", "core"
    }  # fmt: skip
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), ids  # OpenAPI: unique, or client generators fail
    assert {"get", "head"} <= set(spec["paths"]["/health"])


def test_demo_page_is_offline_and_carries_the_report_colours(server: Server) -> None:
    from araevent.evaluation.html import LABEL_COLOURS

    page = server.get("/")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text  # nothing fetched elsewhere
    assert "innerHTML" not in page.text  # the DOM is built with textContent
    assert all(colour in page.text for colour in LABEL_COLOURS.values())


def test_a_body_without_json_content_type_is_read_as_json(server: Server) -> None:
    # curl -d sends application/x-www-form-urlencoded
    headers = {"content-type": "application/x-www-form-urlencoded"}
    answer = server.post("/v1/entities", {"texts": [HARD[0]]}, headers=headers)
    assert answer.status_code == 200, answer.text


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b'{"texts": ["x"', 400, "invalid JSON"),
        (b"", 400, "invalid JSON"),
        (b'{"texts": ["\xff\xfe"]}', 400, "not UTF-8"),
        ('{"texts": ["x"]}'.encode("utf-16"), 400, "not UTF-8"),  # json.loads took it
        (b'{"texts": ["a\x01b"]}', 400, "Invalid control character"),  # raw, not escaped
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
        (b'["x"]', 422, "valid dictionary"),
        (b'{"texts": "one text"}', 422, "texts: Input should be a valid list"),
        (b'{"texts": ["x", 3]}', 422, "texts.1: Input should be a valid string"),
        (b'{"texts": []}', 422, "at least 1 item"),
        (b'{"documents": []}', 422, "at least 1 item"),
        (b'{"documents": [{"text": "x"}]}', 422, "documents.0.id: Field required"),
        (b'{"documents": [{"id": null, "text": "x"}]}', 422, "documents.0.id"),
        (b'{"text": "x"}', 422, "Extra inputs are not permitted"),
        (b"{}", 422, 'give either "texts" or "documents"'),
        (b'{"texts": ["x"], "documents": [{"id": 1, "text": "x"}]}', 422, "either"),
        (json.dumps({"texts": ["x"] * (MAX_TEXTS + 1)}).encode(), 413, "9 texts"),
        (json.dumps({"texts": ["x" * (MAX_CHARS + 1)]}).encode(), 413, "20001 characters"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_json_reason(
    server: Server, body: bytes, status: int, reason: str
) -> None:
    for path in ("/v1/entities", "/v1/events"):
        answer = server.post(path, body)
        assert answer.status_code == status, answer.text
        assert list(answer.json()) == ["error"]
        assert reason in answer.json()["error"]
        assert "\n" not in answer.json()["error"]
    server.still_serving()


@pytest.mark.parametrize("path", ["/v1/entities", "/v1/events"])
def test_a_compressed_body_is_refused_as_unsupported_not_as_bad_json(
    server: Server, path: str
) -> None:
    body = gzip.compress(json.dumps({"texts": [HARD[0]]}).encode())
    answer = server.post(path, body, headers={"content-encoding": "gzip"})
    assert answer.status_code == 415  # RFC 7694: a content coding the server does not take
    assert "Content-Encoding gzip" in answer.json()["error"]
    assert answer.headers["accept-encoding"] == "identity"
    plain = server.post(path, {"texts": [HARD[0]]}, headers={"content-encoding": "identity"})
    assert plain.status_code == 200, plain.text


def test_a_body_longer_than_any_request_is_refused_before_it_is_read(server: Server) -> None:
    too_long = Limits(MAX_TEXTS, MAX_CHARS).max_body_bytes + 1
    answer = server.post("/v1/entities", b" " * too_long)
    assert answer.status_code == 413
    assert "bytes" in answer.json()["error"]
    server.still_serving()


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/nope", 404), ("GET", "/v1/entities", 405)]
)
def test_unknown_paths_and_methods_answer_json(
    server: Server, method: str, path: str, status: int
) -> None:
    answer = httpx.request(method, server.url + path, timeout=60)
    assert answer.status_code == status
    assert list(answer.json()) == ["error"]
    if status == 405:  # RFC 9110: a 405 names the methods that work
        assert answer.headers["allow"] == "POST"


def test_health_answers_a_head_probe(server: Server) -> None:
    """Load balancers probe with HEAD; it was a 405."""
    answer = httpx.head(server.url + "/health", timeout=60)
    assert answer.status_code == 200 and answer.content == b""


def test_lone_surrogates_are_replaced_as_the_predictor_does(
    server: Server, predictor: Predictor
) -> None:
    text = "قصفت الطائرات \ud800 التركية مواقع في الرقة \udfff"
    body = json.dumps({"texts": [text]}).encode()  # ensure_ascii writes "\ud800" escapes
    answer = server.post("/v1/entities", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["surrogates_replaced"] == 2
    replaced = text.replace("\ud800", "\ufffd").replace("\udfff", "\ufffd")
    assert_same(answer.json()["results"], entities(predictor.predict_batch([replaced])))


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/v1/entities", {"documents": [{"id": "a\ud800", "text": "x"}]}, "documents.0.id"),
        ("/v1/events", {"documents": [{"id": "\udfff", "text": "x"}]}, "documents.0.id"),
        ("/predict", {"tasks": [{"id": "\ud800", "data": {"text": "x"}}]}, "tasks.0.id"),
        ("/webhook", {"action": "\ud800"}, "action"),
    ],
)
def test_a_lone_surrogate_outside_the_texts_is_refused_not_a_500(
    server: Server, path: str, body: dict[str, Any], where: str
) -> None:
    """An id is echoed in the answer, where a lone surrogate cannot be encoded: it was a 500
    that also dropped the client's kept-alive connection."""
    answer = server.post(path, json.dumps(body).encode())
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].startswith(f"{where}: holds a lone surrogate")
    server.still_serving()


def test_control_characters_are_predicted_through_as_the_predictor_does(
    server: Server, predictor: Predictor
) -> None:
    text = "قصفت\x00 الطائرات\x07 التركية\x1b مواقع في الرقة\x7f"
    answer = server.post("/v1/entities", {"texts": [text, "\x00\x01", ""]})
    assert answer.status_code == 200, answer.text
    expected = entities(predictor.predict_batch([text, "\x00\x01", ""]))
    assert_same(answer.json()["results"], expected)


def test_a_client_that_disconnects_mid_request_leaves_the_server_serving(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /v1/entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"texts": ["'
        )
    wait_for_log(server, "POST /v1/entities 499")
    server.still_serving()


def test_one_log_line_per_request_without_the_text(server: Server) -> None:
    marker = "مواقع في الرقة والحسكة"
    assert server.post("/v1/entities", {"texts": [marker, "x"]}).status_code == 200
    counts = f"texts=2 chars={len(marker) + 1}"
    log = wait_for_log(server, counts)
    assert marker not in log
    line = [line for line in log.splitlines() if counts in line]
    assert len(line) == 1 and " POST /v1/entities 200 " in line[0] and " ms=" in line[0]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(
            ["قصفت", "الطائرات", "التركية", "الرقة", "يوم", "الأحد", "روسيا", "دمشق", " ", " ",
             "\u064e", "\u0651", "\u0640", "😀", "\u200f", "\u200e", "\u200c", "\n", ".", "،"]
        ),
        max_size=30,
    ).map("".join)
)  # fmt: skip
def test_offsets_hold_for_any_mix_of_arabic_marks_and_emoji(
    server: Server, predictor: Predictor, text: str
) -> None:
    answer = server.post("/v1/entities", {"texts": [text]})
    assert answer.status_code == 200, answer.text
    (found,) = answer.json()["results"]
    assert all(text[e["start"] : e["end"]] == e["text"] for e in found)
    assert_same([found], entities(predictor.predict_batch([text])))


# --- back-pressure, loading, the command --------------------------------------------------------


def test_a_full_queue_answers_503_with_retry_after_and_recovers(
    exported: Path, tmp_path: Path
) -> None:
    options = ["--queue-size", "1", "--max-texts", "1", "--max-batch", "1", "--log-texts"]
    with start_server(exported, tmp_path / "log", *options) as server:
        long_text = " ".join(TEXTS) * 40  # keeps the tiny model busy long enough to queue up
        with ThreadPoolExecutor(12) as pool:
            answers = list(
                pool.map(lambda _: server.post("/v1/entities", {"texts": [long_text]}), range(12))
            )
        statuses = [answer.status_code for answer in answers]
        assert set(statuses) == {200, 503}, statuses
        busy = next(answer for answer in answers if answer.status_code == 503)
        assert busy.headers["retry-after"] == "1"
        assert "busy" in busy.json()["error"]
        server.still_serving()
        wait_for_log(server, HARD[0])  # --log-texts logs them


def test_workers_each_load_the_model_and_answer(
    exported: Path, tmp_path: Path, predictor: Predictor
) -> None:
    with start_server(exported, tmp_path / "log", "--workers", "2") as server:
        answers = [server.post("/v1/entities", {"texts": [text]}) for text in HARD]
        assert [answer.status_code for answer in answers] == [200] * len(HARD)
        assert_same(
            [a.json()["results"][0] for a in answers], entities(predictor.predict_batch(HARD))
        )
        log = wait_for_log(server, "model loaded")
        deadline = time.monotonic() + 60
        while log.count("model loaded") < 2:  # the other worker may still be loading
            assert time.monotonic() < deadline, log
            time.sleep(0.2)
            log = server.log.read_text(encoding="utf-8")


def test_health_is_503_until_the_model_is_loaded(predictor: Predictor, exported: Path) -> None:
    from fastapi.testclient import TestClient

    from araevent.serving.app import create_app

    loaded = threading.Event()

    def load() -> Predictor:
        loaded.wait(30)
        return predictor

    with TestClient(create_app(load, [exported])) as client:
        waiting = client.get("/health")
        assert waiting.status_code == 503 and waiting.headers["retry-after"] == "1"
        assert client.post("/v1/entities", json={"texts": ["x"]}).status_code == 503
        loaded.set()
        deadline = time.monotonic() + 30
        while client.get("/health").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.post("/v1/entities", json={"texts": ["x"]}).status_code == 200


def test_a_model_that_fails_to_load_is_reported_by_health(exported: Path) -> None:
    from fastapi.testclient import TestClient

    from araevent.serving.app import create_app

    def load() -> Predictor:
        raise ValueError("weights are broken")

    with TestClient(create_app(load, [exported])) as client:
        deadline = time.monotonic() + 30
        while "broken" not in (answer := client.get("/health")).text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert answer.status_code == 503 and "retry-after" not in answer.headers
        assert answer.json() == {"error": "the model failed to load: weights are broken"}


def test_without_the_extra_the_command_says_how_to_install_it(
    exported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi raises ImportError
    assert main(["serve", "--model", str(exported)]) == 1
    assert capsys.readouterr().err == (
        'error: araevent serve needs the serve extra: pip install "araevent[serve]"\n'
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--model", "no/such/folder"], "no/such/folder: no such model folder"),
        (["--queue-size", "8", "--max-texts", "16"], "--queue-size 8 must hold"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--port", "70000"], "--port must be between"),
    ],
)
def test_bad_options_are_one_line_before_the_port_is_bound(
    exported: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    import uvicorn

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server was started")

    monkeypatch.setattr(uvicorn, "run", never)
    model = [] if "--model" in options else ["--model", str(exported)]
    assert main(["serve", *model, "--port", "0", *options]) == 1  # port 0: any free one
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_an_address_in_use_is_one_line_before_the_model_is_loaded(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model was loaded or the server started")

    monkeypatch.setattr(uvicorn, "run", never)
    monkeypatch.setattr("araevent.cli.serve.load_predictor", never)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--model", "unused", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


# --- the batching queue ------------------------------------------------------------------------


class Model:
    """A stand-in for ``predict_batch``: records each call and can be held until released."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.release = threading.Event()
        self.release.set()
        self.fail_on = fail_on

    def __call__(self, texts: list[str]) -> list[str]:
        self.calls.append(texts)
        self.release.wait(10)
        if self.fail_on in texts:
            raise ValueError(f"cannot do {self.fail_on}")
        return [text.upper() for text in texts]


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """Run a queue scenario; a queue that stalls fails it instead of hanging the suite."""

    async def bounded() -> None:
        await asyncio.wait_for(scenario, 30)

    asyncio.run(bounded())


async def until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


def test_requests_that_wait_together_run_in_one_model_call() -> None:
    async def scenario() -> None:
        model = Model()
        model.release.clear()
        queue = BatchQueue(model, BatchSettings(max_batch=64, max_wait=0))
        first = asyncio.create_task(queue.submit(["a"]))
        await until(lambda: model.calls)  # the model is busy with "a"
        others = [asyncio.create_task(queue.submit([t, t + t])) for t in "bcd"]
        await until(lambda: queue.queued == 6)
        model.release.set()
        assert await first == ["A"]
        assert [await task for task in others] == [["B", "BB"], ["C", "CC"], ["D", "DD"]]
        assert model.calls == [["a"], ["b", "bb", "c", "cc", "d", "dd"]]
        await queue.close()

    run(scenario())


def test_batches_stop_at_max_batch_but_a_large_request_runs_whole() -> None:
    async def scenario() -> None:
        model = Model()
        model.release.clear()
        queue = BatchQueue(model, BatchSettings(max_batch=3, max_wait=0))
        first = asyncio.create_task(queue.submit(["x"]))
        await until(lambda: model.calls)
        tasks = [
            asyncio.create_task(queue.submit(texts))
            for texts in (["a", "b"], ["c", "d"], ["e", "f", "g", "h"], ["i"])
        ]
        await until(lambda: queue.queued == 9)
        model.release.set()
        await asyncio.gather(first, *tasks)
        assert model.calls == [["x"], ["a", "b"], ["c", "d"], ["e", "f", "g", "h"], ["i"]]
        await queue.close()

    run(scenario())


def test_a_full_queue_refuses_at_once_and_frees_up_as_the_model_works() -> None:
    async def scenario() -> None:
        model = Model()
        model.release.clear()
        queue = BatchQueue(model, BatchSettings(max_batch=8, max_wait=0, max_queued=3))
        running = asyncio.create_task(queue.submit(["a"]))
        await until(lambda: model.calls)
        waiting = asyncio.create_task(queue.submit(["b", "c"]))
        await until(lambda: queue.queued == 2)
        with pytest.raises(QueueFull, match="2 texts are waiting"):
            await queue.submit(["d", "e"])
        model.release.set()
        assert await running == ["A"] and await waiting == ["B", "C"]
        assert await queue.submit(["d", "e"]) == ["D", "E"]
        await queue.close()

    run(scenario())


def test_a_failing_batch_fails_its_requests_only() -> None:
    async def scenario() -> None:
        model = Model(fail_on="bad")
        queue = BatchQueue(model, BatchSettings(max_batch=1, max_wait=0))
        with pytest.raises(ValueError, match="cannot do bad"):
            await queue.submit(["bad"])
        assert await queue.submit(["good"]) == ["GOOD"]
        await queue.close()

    run(scenario())


def test_a_request_whose_client_left_is_not_predicted() -> None:
    async def scenario() -> None:
        model = Model()
        model.release.clear()
        queue = BatchQueue(model, BatchSettings(max_batch=8, max_wait=0))
        first = asyncio.create_task(queue.submit(["a"]))
        await until(lambda: model.calls)
        gone = asyncio.create_task(queue.submit(["gone"]))
        kept = asyncio.create_task(queue.submit(["kept"]))
        await until(lambda: queue.queued == 2)
        gone.cancel()
        model.release.set()
        assert await first == ["A"] and await kept == ["KEPT"]
        assert model.calls == [["a"], ["kept"]]
        await queue.close()

    run(scenario())


@pytest.mark.parametrize("settings_", [{"max_batch": 0}, {"max_queued": 0}, {"max_wait": -1.0}])
def test_batch_settings_refuse_what_cannot_work(settings_: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        BatchSettings(**settings_)


def test_default_limits_are_the_documented_ones() -> None:
    assert (Limits().max_texts, Limits().max_chars) == (256, 1_000_000)


def test_the_ray_recipe_without_ray_says_what_to_install() -> None:
    """The recipe is optional; without Ray it is one line, not a ModuleNotFoundError."""
    import importlib.util

    if importlib.util.find_spec("ray") is not None:
        pytest.skip("ray is installed here")
    script = REPO / "scripts" / "serve_ray.py"
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == 'error: serve_ray.py needs Ray Serve: pip install "ray[serve]"\n'
