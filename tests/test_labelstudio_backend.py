"""``araevent serve`` as a Label Studio ML backend: every endpoint of the protocol against a
real server process, predictions equal to ``araevent predict --format labelstudio``; and,
marked slow, a real Label Studio that connects to it, asks it for predictions and exports
them for ``araevent.io`` to read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("fastapi")
httpx = pytest.importorskip("httpx")

from araevent.annotation.tasks import labelstudio_config, model_version  # noqa: E402
from araevent.cli.main import main  # noqa: E402
from araevent.serving.labelstudio import check_label_config  # noqa: E402
from tests.test_serve import HARD, TEXTS, Server, assert_same, start_server  # noqa: E402

MAX_TEXTS = 8
LABELS = ["ACTOR", "PLACE", "DATE", "TRIGGER"]


@pytest.fixture(scope="module")
def server(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("ls-backend") / "server.log"
    with start_server(exported, log, "--max-texts", str(MAX_TEXTS)) as running:
        yield running


@pytest.fixture(scope="module")
def config(exported: Path) -> str:
    labels = json.loads((exported / "araevent.json").read_text(encoding="utf-8"))["labels"]
    return labelstudio_config(labels)


def tasks(texts: list[str], field: str = "text", first: int = 1) -> list[dict[str, Any]]:
    """Tasks as Label Studio sends them to ``/predict`` (its TaskSimpleSerializer)."""
    return [
        {"id": first + i, "data": {field: text}, "project": 1, "meta": {}}
        for i, text in enumerate(texts)
    ]


def predict_body(texts: list[str], config: str, field: str = "text") -> dict[str, Any]:
    """The body of Label Studio's ``/predict`` call (``MLApi._prep_prediction_req``)."""
    return {
        "tasks": tasks(texts, field),
        "project": "1.1700000000",
        "label_config": config,
        "params": {"login": None, "password": None, "context": None},
    }


def setup_body(config: str) -> dict[str, Any]:
    """The body of Label Studio's ``/setup`` call (``MLApi.setup``)."""
    return {
        "project": "1.1700000000",
        "schema": config,
        "hostname": "http://localhost:8080",
        "access_token": "token-that-must-not-be-logged",
        "extra_params": None,
    }


def cli_predictions(exported: Path, texts: list[str], tmp_path: Path) -> list[dict[str, Any]]:
    """What ``araevent predict --format labelstudio`` writes for ``texts``, ids 1, 2, ...
    as the tasks of :func:`tasks` have."""
    source = tmp_path / "in.jsonl"
    records = [{"id": str(i), "text": text} for i, text in enumerate(texts, 1)]
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "tasks.json"
    assert main(["predict", "--model", str(exported), "--device", "cpu", "--format",
                 "labelstudio", "-o", str(out), str(source)]) == 0  # fmt: skip
    return [task["predictions"][0] for task in json.loads(out.read_text(encoding="utf-8"))]


def assert_offsets_exact(texts: list[str], predictions: list[dict[str, Any]]) -> None:
    for text, prediction in zip(texts, predictions, strict=True):
        for result in prediction["result"]:
            value = result["value"]
            assert text[value["start"] : value["end"]] == value["text"]


# --- the protocol ------------------------------------------------------------------------------


def test_health_is_what_label_studio_checks(server: Server) -> None:
    # the connector (MLApi.health) needs a 2xx JSON answer, nothing more
    answer = server.get("/health")
    assert answer.status_code == 200 and isinstance(answer.json(), dict)


def test_setup_accepts_the_models_config_and_names_the_model_version(
    server: Server, config: str, exported: Path
) -> None:
    answer = server.post("/setup", setup_body(config))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"model_version": model_version([exported])}
    assert "token-that-must-not-be-logged" not in server.log.read_text(encoding="utf-8")


CONFIG = labelstudio_config(LABELS)


@pytest.mark.parametrize(
    ("bad_config", "reason"),
    [
        ("<View><Labels", "not XML"),
        (CONFIG.replace('name="label"', 'name="ner"'), '<Labels name="label" toName="text">'),
        (CONFIG.replace('toName="text"', 'toName="body"'), '<Labels name="label" toName="text">'),
        (CONFIG.replace('<Text name="text"', '<Text name="body"'), '<Text name="text"'),
        (CONFIG.replace('value="$text"', 'value="text"'), '<Text name="text" value="$field">'),
        (CONFIG.replace('<Label value="DATE"', '<Label value="TIME"'), "lacks the labels DATE"),
    ],
)
def test_setup_refuses_a_config_that_cannot_show_the_predictions(
    server: Server, bad_config: str, reason: str
) -> None:
    answer = server.post("/setup", setup_body(bad_config))
    assert answer.status_code == 422
    assert reason in answer.json()["error"]
    # Label Studio shows only "422 Client Error", so the server's log says why
    log = server.log.read_text(encoding="utf-8")
    assert f"Label Studio's label config refused: {answer.json()['error']}" in log
    server.still_serving()


def test_a_config_may_name_more_labels_and_its_own_data_field() -> None:
    config = CONFIG.replace('value="$text"', 'value="$passage"').replace(
        "</Labels>", '<Label value="EVENT"/></Labels>'
    )
    assert check_label_config(config, LABELS) == "passage"


def test_predict_answers_what_araevent_predict_writes_with_exact_offsets(
    server: Server, config: str, exported: Path, tmp_path: Path
) -> None:
    texts = [*HARD, *TEXTS][:MAX_TEXTS]
    answer = server.post("/predict", predict_body(texts, config))
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert any(prediction["result"] for prediction in results)
    assert_same(results, cli_predictions(exported, texts, tmp_path))
    assert_offsets_exact(texts, results)
    assert all(p["model_version"] == model_version([exported]) for p in results)


def test_predict_reads_the_field_the_config_shows(server: Server, config: str) -> None:
    passage = config.replace('value="$text"', 'value="$passage"')
    by_field = server.post("/predict", predict_body(HARD[:2], passage, field="passage"))
    by_text = server.post("/predict", predict_body(HARD[:2], config))
    assert by_field.status_code == 200, by_field.text
    assert_same(by_field.json(), by_text.json())
    # without a config (an older Label Studio), data.text as the tasks araevent writes
    bare = server.post("/predict", {"tasks": tasks(HARD[:2])})
    assert_same(bare.json(), by_text.json())


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b'{"tasks": [', 400, "invalid JSON"),
        (b'{"tasks": []}', 422, "tasks: List should have at least 1 item"),
        (b'{"tasks": "x"}', 422, "tasks: Input should be a valid list"),
        (b'{"tasks": [{"id": 1}]}', 422, "tasks.0.data: Field required"),
        (b'{"tasks": [{"id": 1, "data": {"txt": "x"}}]}', 422, "tasks.0 (id 1): data.text must"),
        (b'{"tasks": [{"id": 5, "data": {"text": 3}}]}', 422, "got int"),
        (b'{"tasks": [{"data": {"text": "x"}}], "label_config": "<View/>"}', 422, "<Labels"),
        (json.dumps({"tasks": tasks(["x"] * (MAX_TEXTS + 1))}).encode(), 413, "the limit is 8"),
    ],
)
def test_bad_predict_requests_get_a_4xx_with_a_json_reason(
    server: Server, body: bytes, status: int, reason: str
) -> None:
    answer = server.post("/predict", body)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["error"]
    server.still_serving()


def test_lone_surrogates_in_a_task_are_predicted_as_the_service_predicts_them(
    server: Server, config: str
) -> None:
    text = "قصفت \ud83d الطائرات التركية مواقع في الرقة"
    body = json.dumps(predict_body([text], config)).encode()  # json escapes the surrogate
    answer = server.post("/predict", body)
    assert answer.status_code == 200, answer.text
    clean = text.replace("\ud83d", "\ufffd")
    assert_offsets_exact([clean], answer.json()["results"])


@pytest.mark.parametrize(
    ("action", "status"),
    [("START_TRAINING", 201), ("ANNOTATION_CREATED", 201), ("PROJECT_UPDATED", 200)],
)
def test_webhook_acknowledges_training_events_and_trains_nothing(
    server: Server, action: str, status: int
) -> None:
    event = {"action": action, "project": {"id": 42, "label_config": CONFIG}}
    answer = server.post("/webhook", event)
    assert answer.status_code == status, answer.text
    if status == 201:
        log = server.log.read_text(encoding="utf-8")
        assert f"Label Studio {action} (project 42) acknowledged" in log
        assert "does not train" in answer.json()["result"]


def test_webhook_without_an_action_is_refused(server: Server) -> None:
    answer = server.post("/webhook", {"project": {"id": 1}})
    assert answer.status_code == 422 and "action: Field required" in answer.json()["error"]


def test_versions_name_the_one_model(server: Server, exported: Path) -> None:
    assert server.get("/versions").json() == {"versions": [model_version([exported])]}


def test_openapi_schema_lists_the_backend(server: Server) -> None:
    paths = server.get("/openapi.json").json()["paths"]
    assert {"/setup", "/predict", "/webhook", "/versions", "/v1/entities"} <= set(paths)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.sampled_from(
            ["قصفت", "الطائرات", "التركية", "الرقة", "يوم", "الأحد", "دمشق", " ", " ",
             "\u064e", "\u0651", "\u0640", "😀", "🇸🇾", "\u200f", "\u200e", "\u200c", "\n"]
        ),
        max_size=30,
    ).map("".join)
)  # fmt: skip
def test_offsets_hold_for_any_mix_of_arabic_marks_and_emoji(
    server: Server, config: str, text: str
) -> None:
    answer = server.post("/predict", predict_body([text], config))
    assert answer.status_code == 200, answer.text
    assert_offsets_exact([text], answer.json()["results"])
