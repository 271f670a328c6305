"""Loading models and tokenizers: clear errors offline, exact offsets whatever the tokenizer."""

import logging
import socket
from pathlib import Path
from typing import Any

import pytest

from araevent import Document, LabelSchema
from araevent.features import EncodingConfig, tokenize_documents
from araevent.modeling import (
    ModelLoadError,
    OverrideError,
    describe_loading,
    load_model,
    load_tokenizer,
    train_wordpiece,
)
from araevent.training import ModelConfig, TrainResult
from araevent.training.model import build_model_and_tokenizer

SCHEMA = LabelSchema()


def test_hub_model_without_network_fails_fast_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(-2, "Name or service not known")

    def no_download(*args: Any, **kwargs: Any) -> Any:  # a download would retry for a minute
        raise AssertionError("a download was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr("transformers.AutoTokenizer.from_pretrained", no_download)
    monkeypatch.setattr("transformers.AutoModelForTokenClassification.from_pretrained", no_download)
    with pytest.raises(ModelLoadError, match=r"cannot be reached.*pass its folder"):
        load_tokenizer("aubmindlab/bert-base-arabertv02")
    with pytest.raises(ModelLoadError, match="cannot be reached"):
        load_model("aubmindlab/bert-base-arabertv02", SCHEMA)


def test_a_path_that_does_not_exist_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")  # a path is still a path
    with pytest.raises(ModelLoadError, match="no such folder"):
        load_model(str(tmp_path / "missing"), SCHEMA)


def test_a_home_relative_model_folder_loads(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tiny_run.model_dir.parent))
    assert load_tokenizer("~/model").is_fast


def test_folder_without_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="exists but holds no loadable model"):
        load_model(str(tmp_path), SCHEMA)


def test_config_overrides_reach_the_dropout_layers_of_a_saved_model(tiny_run: TrainResult) -> None:
    """What run_ner.py's --config_overrides does: the field is set before the model is built,
    so its modules use it, not only its saved config."""
    model = load_model(
        str(tiny_run.model_dir), SCHEMA, {"hidden_dropout_prob": 0.3, "classifier_dropout": 0.4}
    )
    assert model.config.hidden_dropout_prob == 0.3
    assert model.bert.embeddings.dropout.p == 0.3 and model.dropout.p == 0.4


def test_config_overrides_reach_the_tiny_model() -> None:
    config = ModelConfig(config_overrides={"attention_probs_dropout_prob": 0.25})
    model, _ = build_model_and_tokenizer(config, SCHEMA, ["قصفت الطائرات مواقع"] * 3, seed=0)
    assert model.bert.encoder.layer[0].attention.self.dropout.p == 0.25


def test_a_config_override_the_model_does_not_have_is_refused_by_name(
    tiny_run: TrainResult,
) -> None:
    with pytest.raises(OverrideError, match=r"hiden_dropout is not a field of .*BertConfig"):
        load_model(str(tiny_run.model_dir), SCHEMA, {"hiden_dropout": 0.3})
    config = ModelConfig(config_overrides={"hiden_dropout": 0.3})
    with pytest.raises(OverrideError, match="hiden_dropout is not a field of the tiny model"):
        build_model_and_tokenizer(config, SCHEMA, ["قصفت الطائرات مواقع"] * 3, seed=0)


def test_lowercasing_accent_stripping_tokenizer_keeps_original_offsets() -> None:
    text = "أعلنت CNN أنّ الجَيْشَ قصف ريف إدلب"
    tokenizer = train_wordpiece([text.lower()] * 3, vocab_size=200, lowercase=True)
    (doc,) = tokenize_documents([Document("d", text)], tokenizer, EncodingConfig())
    words = [text[s:e] for s, e in doc.word_offsets]
    assert words == ["أعلنت", "CNN", "أنّ", "الجَيْشَ", "قصف", "ريف", "إدلب"]
    # every original word got the sub-tokens of its own (lower-cased, accent-stripped) form
    expected = [tokenizer(w, add_special_tokens=False)["input_ids"] for w in words]
    assert [doc.input_ids[doc.subtoken_word == i].tolist() for i in range(len(words))] == expected


def test_shared_small_encoder_loads_with_the_schema(shared_data: Path) -> None:
    folder = shared_data.parent / "models" / "araevent-small-encoder"
    tokenizer = load_tokenizer(str(folder))
    model = load_model(str(folder), SCHEMA)
    assert model.config.id2label[1] == "B-ACTOR" and model.config.num_labels == 9
    text = "قَصفت الطائرات التركية مواقع في الرقة"
    (doc,) = tokenize_documents([Document("d", text)], tokenizer, EncodingConfig())
    assert doc.unseen_words == 0


def test_a_pretrained_encoder_loads_with_one_line_about_its_new_head(
    shared_data: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """transformers' LOAD REPORT table (with terminal colour codes) and loading bar are not
    shown; one log line says the classification head is new."""
    with caplog.at_level("INFO", logger="araevent.modeling"):
        load_model(str(shared_data.parent / "models" / "araevent-small-encoder"), SCHEMA)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "the classification head is new (2 tensors" in messages[0]
    assert "5 tensors of the pretraining head are not used" in messages[0]


def test_weights_that_do_not_fit_the_usual_fine_tuning_case_stay_visible() -> None:
    info = {
        "missing_keys": {"classifier.weight", "classifier.bias", "encoder.layer.0.attention.q"},
        "unexpected_keys": {"lm_head.bias", "encoder.extra"},
        "mismatched_keys": {("embeddings.word_embeddings.weight", (10, 4), (12, 4))},
    }
    lines = describe_loading("m", info)
    assert lines[0] == (
        logging.INFO,
        "m: the classification head is new (2 tensors, trained from scratch); 1 tensors of "
        "the pretraining head are not used",
    )
    assert lines[1:] == [
        (logging.WARNING, "m: weights missing (randomly initialised): encoder.layer.0.attention.q"),
        (logging.WARNING, "m: weights unexpected (not used): encoder.extra"),
        (logging.WARNING, "m: weights resized (randomly initialised): "
         "embeddings.word_embeddings.weight"),
    ]  # fmt: skip
