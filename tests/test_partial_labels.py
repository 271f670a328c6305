"""Training beside corpora that annotate only some labels: the partial-label loss, the share of
auxiliary windows, and a run end to end on the tiny model."""

import json
import math
from pathlib import Path

import pytest
import torch

from araevent.data.labels import LabelSchema
from araevent.features import EncodingConfig
from araevent.training import (
    AuxiliaryCorpus,
    DataConfig,
)
from araevent.training.partial import annotation_mask, partial_label_loss
from araevent.training.splits import Corpora, auxiliary_rows, encode_split
from tests.conftest import SAMPLE, auxiliary_data, train_with_auxiliary

SCHEMA = LabelSchema()  # O, B-ACTOR, I-ACTOR, B-PLACE, I-PLACE, B-DATE, I-DATE, B-TRIGGER, ...
LOGITS = torch.tensor([[[0.0, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 2.0, 0.0], [0.0] * 9]])


def test_an_o_token_of_a_corpus_without_triggers_may_be_a_trigger() -> None:
    """By hand: ANERcorp annotates ACTOR and PLACE; its O token is O, DATE or TRIGGER."""
    labels = torch.tensor([[0, -100]])
    loss = partial_label_loss(
        LOGITS, labels, torch.tensor([annotation_mask(SCHEMA, ["ACTOR", "PLACE"])])
    )
    e = [math.exp(x) for x in LOGITS[0, 0].tolist()]
    compatible = e[0] + e[5] + e[6] + e[7] + e[8]  # O, B-DATE, I-DATE, B-TRIGGER, I-TRIGGER
    assert loss.item() == pytest.approx(-math.log(compatible / sum(e)), abs=1e-6)


def test_a_fully_annotated_row_is_plain_cross_entropy() -> None:
    labels = torch.tensor([[3, 0]])
    full = annotation_mask(SCHEMA, SCHEMA.labels)
    loss = partial_label_loss(LOGITS, labels, torch.tensor([full]))
    assert loss.item() == pytest.approx(
        torch.nn.functional.cross_entropy(LOGITS[0], labels[0]).item(), abs=1e-6
    )


def test_a_span_token_of_a_partial_corpus_keeps_its_own_tag_only() -> None:
    """A B-ACTOR from ANERcorp is as sure as any gold tag: plain cross-entropy."""
    labels = torch.tensor([[1, -100]])
    loss = partial_label_loss(LOGITS, labels, torch.tensor([annotation_mask(SCHEMA, ["ACTOR"])]))
    expected = torch.nn.functional.cross_entropy(LOGITS[0, :1], labels[0, :1])
    assert loss.item() == pytest.approx(expected.item(), abs=1e-6)


def test_annotates_must_name_labels_of_the_schema() -> None:
    with pytest.raises(ValueError, match="outside the schema: PERS"):
        annotation_mask(SCHEMA, ["PERS"])


def _auxiliary(fraction: float | None) -> AuxiliaryCorpus:
    return AuxiliaryCorpus(
        path=str(SAMPLE / "test.jsonl"),
        annotates=["ACTOR", "PLACE"],
        label_map="ACTOR=ACTOR,PLACE=PLACE,DATE=,TRIGGER=",
        fraction=fraction,
    )


@pytest.mark.parametrize(
    ("fraction", "main", "drawn"), [(0.5, 40, 20), (1.0, 7, 7), (3.0, 10, 30), (None, 7, None)]
)
def test_the_share_of_auxiliary_windows_follows_fraction(
    fraction: float | None, main: int, drawn: int | None
) -> None:
    """None: every window of the corpus once, in order."""
    from araevent.modeling import build_tiny_model

    data = DataConfig(train=str(SAMPLE / "train.jsonl"), auxiliary=[_auxiliary(fraction)])
    corpora = Corpora(
        data.load("train"), None, None, [(a, data.load_auxiliary(a)) for a in data.auxiliary]
    )
    _, tokenizer = build_tiny_model([d.text for d in corpora.train], SCHEMA, seed=0)
    encoding = EncodingConfig(max_length=64, stride=16)
    rows = auxiliary_rows(corpora, tokenizer, SCHEMA, encoding, main, 0)
    if drawn is None:
        every = encode_split(corpora.auxiliary[0][1].documents, tokenizer, SCHEMA, encoding).rows
        assert [row["input_ids"] for row in rows] == [row["input_ids"] for row in every]
    else:
        assert len(rows) == drawn
    assert {row["annotated"] for row in rows} == {0b0011}  # ACTOR and PLACE
    labels = {t for row in rows for t in row["labels"]}
    assert labels <= {-100, 0, 1, 2, 3, 4}  # no DATE or TRIGGER tag was read


def test_a_run_with_an_auxiliary_corpus_trains_and_counts_its_windows(tmp_path: Path) -> None:
    result = train_with_auxiliary(auxiliary_data(), tmp_path)
    train = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["train"]
    assert train["auxiliary_windows"] == train["windows"] > 0
    assert math.isfinite(train["loss"])
    assert "dev" in result.evaluations


def test_a_mixed_micro_batch_counts_once_per_accumulated_batch(tmp_path: Path) -> None:
    """With gradient accumulation the Trainer does not divide a loss it believes scaled by the
    batch's token count; the mixed loss, a micro-batch mean, is divided by the steps itself."""
    from transformers import TrainingArguments

    from araevent.modeling import build_tiny_model
    from araevent.training.trainer import span_trainer_class

    texts = ["قصفت الطائرات التركية مواقع في الرقة", "أعلنت وزارة الدفاع السورية"]
    net, tokenizer = build_tiny_model(texts, SCHEMA, seed=0)
    batch = dict(tokenizer(texts, padding=True, return_tensors="pt"))
    mask = annotation_mask(SCHEMA, ["ACTOR", "PLACE"])
    inputs = {
        **batch,
        "labels": torch.zeros_like(batch["input_ids"]),
        "annotated": torch.tensor([mask, mask]),
    }

    def loss(steps: int) -> float:
        args = TrainingArguments(
            output_dir=str(tmp_path),
            gradient_accumulation_steps=steps,
            use_cpu=True,
            report_to="none",
        )
        trainer = span_trainer_class()(model=net, args=args)
        assert trainer.model_accepts_loss_kwargs  # the case where the Trainer does not divide
        net.train()
        torch.manual_seed(0)  # the same dropout both times
        return trainer.compute_loss(net, dict(inputs), num_items_in_batch=torch.tensor(9)).item()

    assert loss(2) == pytest.approx(loss(1) / 2)
