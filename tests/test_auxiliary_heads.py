"""Auxiliary corpora with a classification head of their own on the shared encoder."""

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from araevent import Predictor
from araevent.data.labels import LabelSchema
from araevent.modeling import build_tiny_model
from araevent.training import AuxiliaryCorpus
from araevent.training.heads import HEADS, add_heads, remove_heads, routed_forward
from araevent.training.losses import mixed_loss
from tests.conftest import auxiliary_data, train_with_auxiliary

SCHEMA = LabelSchema()
TEXTS = ["قصفت الطائرات التركية مواقع في الرقة", "أعلنت وزارة الدفاع السورية يوم الأحد"]


def _batch() -> tuple[object, dict[str, torch.Tensor]]:
    net, tokenizer = build_tiny_model(TEXTS, SCHEMA, seed=0)
    inputs = tokenizer(TEXTS, padding=True, return_tensors="pt")
    return net, dict(inputs)


def test_each_row_is_scored_by_the_head_it_trains() -> None:
    net, inputs = _batch()
    add_heads(net, 1)
    net.eval()
    extra = getattr(net, HEADS)[0]
    torch.nn.init.zeros_(extra.weight)
    torch.nn.init.constant_(extra.bias, 7.0)
    main = net(**inputs).logits
    logits = routed_forward(net, inputs, torch.tensor([0, 1])).logits
    assert torch.equal(logits[0], main[0])
    assert torch.equal(logits[1], torch.full_like(main[1], 7.0))


def test_windows_of_an_own_head_corpus_do_not_train_the_main_classifier() -> None:
    net, inputs = _batch()
    add_heads(net, 1)
    labels = torch.zeros_like(inputs["input_ids"])
    logits = routed_forward(net, inputs, torch.tensor([1, 1])).logits
    mixed_loss(logits, labels).backward()
    extra = getattr(net, HEADS)[0]
    assert net.classifier.weight.grad is None or not net.classifier.weight.grad.any()
    assert extra.weight.grad is not None and extra.weight.grad.any()
    assert net.bert.embeddings.word_embeddings.weight.grad.any()  # the encoder learns from them


def test_removed_heads_leave_the_main_model() -> None:
    net, _ = _batch()
    keys = set(net.state_dict())
    add_heads(net, 2)
    assert len(set(net.state_dict()) - keys) == 4  # two heads, weight and bias each
    remove_heads(net)
    assert set(net.state_dict()) == keys


def test_a_model_without_a_linear_classifier_is_refused() -> None:
    net, _ = _batch()
    net.classifier = torch.nn.Sequential(net.classifier)
    with pytest.raises(ValueError, match="one linear layer"):
        add_heads(net, 1)


def test_head_is_shared_or_own() -> None:
    with pytest.raises(ValueError, match="head is shared or own, not 'separate'"):
        AuxiliaryCorpus(path="x", annotates=["ACTOR"], head="separate")  # type: ignore[arg-type]


def test_a_run_with_an_own_head_corpus_exports_the_main_model_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import araevent.training.trainer as trainer_module

    heads_seen: set[int] = set()

    def recording(model: object, inputs: dict, head: torch.Tensor) -> object:
        heads_seen.update(head.tolist())
        return routed_forward(model, inputs, head)

    monkeypatch.setattr(trainer_module, "routed_forward", recording)
    result = train_with_auxiliary(auxiliary_data({"head": "own"}), tmp_path)
    train = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["train"]
    assert train["auxiliary_windows"] == train["windows"] > 0
    assert heads_seen == {0, 1}  # gold windows trained the main head, the others their own
    with safe_open(result.model_dir / "model.safetensors", "pt") as weights:
        assert not [key for key in weights.keys() if HEADS in key]  # noqa: SIM118
    text = "قصفت الطائرات التركية مواقع في الرقة"
    for entity in Predictor.from_pretrained(result.model_dir, device="cpu").predict(text):
        assert text[entity.start : entity.end] == entity.text
