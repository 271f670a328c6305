"""``araevent select``: uncertainty from the decoder's distributions, aggregated per document;
duplicates, near duplicates and annotated documents never chosen; a bounded pool; a seeded
random baseline; and the command on the tiny model."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from araevent import DataFormatError
from araevent.annotation.dedup import signature, similarity, text_key
from araevent.annotation.selection import (
    Candidate,
    CandidatePool,
    Exclusions,
    Scorer,
    Selection,
    select,
)
from araevent.annotation.uncertainty import document_uncertainty, word_uncertainty
from araevent.cli.main import main
from araevent.data.document import Document
from araevent.io import load
from araevent.io.files import iter_lines
from araevent.predictor import Entity, Predictor
from araevent.training import TrainResult
from tests.conftest import write

SURE = [0.97, 0.01, 0.01, 0.01]
TORN = [0.5, 0.45, 0.03, 0.02]  # two tags compete
SPREAD = [0.25, 0.25, 0.25, 0.25]


def test_each_strategy_is_zero_when_certain_and_highest_on_its_own_kind_of_doubt() -> None:
    probs = np.array([[1.0, 0.0, 0.0, 0.0], TORN, SPREAD])
    least = word_uncertainty(probs, "least-confidence")
    margin = word_uncertainty(probs, "margin")
    entropy = word_uncertainty(probs, "entropy")
    assert least[0] == margin[0] == entropy[0] == 0.0
    assert entropy[2] == pytest.approx(1.0) and margin[2] == pytest.approx(1.0)
    # two close tags are almost as doubtful as four to margin, much less so to entropy
    assert margin[1] > 0.9 and entropy[1] < 0.7
    assert all(((u >= 0) & (u <= 1)).all() for u in (least, margin, entropy))


def test_a_document_is_as_uncertain_as_its_most_uncertain_tenth_whatever_its_length() -> None:
    """A paragraph twice as long with the same share of doubtful words scores the same (a sum,
    a maximum or a mean of the 8 worst words would rank it higher), and doubtful words among
    many confident ones are not diluted (as a mean over all words would)."""
    paragraph = np.array([*[TORN] * 4, *[SURE] * 36])
    twice = np.concatenate([paragraph, paragraph])
    torn = document_uncertainty(np.array([TORN]), "margin")
    assert document_uncertainty(paragraph, "margin") == pytest.approx(torn)
    assert document_uncertainty(twice, "margin") == pytest.approx(torn)
    denser = np.array([*[TORN] * 6, *[SURE] * 34])
    assert document_uncertainty(denser, "margin", share=0.15) > document_uncertainty(
        paragraph, "margin", share=0.15
    )
    # a short paragraph averages at least 3 words, not just its worst one
    assert document_uncertainty(np.array([TORN, SURE, SURE]), "margin") < torn
    assert document_uncertainty(np.zeros((0, 4)), "entropy") == 0.0


def fake_scorer(doubt: dict[str, list[float]]) -> Scorer:
    """A scorer that gives each text whose first word is in ``doubt`` that distribution on
    every word, and confident ones to the rest: rankings whose answer is known."""

    def score(texts: list[str]) -> list[tuple[list[Entity], np.ndarray]]:
        return [
            ([], np.array([doubt.get(text.split()[0], SURE)] * len(text.split()))) for text in texts
        ]

    return score


def records(texts: list[str]) -> list[tuple[str, str]]:
    return [(f"in:{i}", text) for i, text in enumerate(texts, 1)]


PLAIN = [f"خبر رقم {i} عن اجتماع الوزراء في المدينة اليوم" for i in range(30)]


@pytest.mark.parametrize("strategy", ["least-confidence", "margin", "entropy"])
def test_the_uncertain_document_is_selected_first(strategy: str) -> None:
    texts = [*PLAIN[:10], "غامض جدا هذا النص الذي لا يفهمه النموذج", *PLAIN[10:]]
    chosen = select(records(texts), fake_scorer({"غامض": SPREAD}), 3, strategy=strategy)
    assert chosen.documents[0].text.startswith("غامض")
    assert chosen.documents[0].meta["task_score"] == pytest.approx(
        1 - document_uncertainty(np.array([SPREAD] * 8), strategy)
    )
    assert chosen.counts.selected == 3 and chosen.counts.read == len(texts)


def test_exact_duplicates_up_to_normalisation_are_removed_and_counted() -> None:
    text = "أعلنت وزارة الدفاع الروسية أن قواتها دخلت مدينة تدمر"
    variants = [
        text,
        "أَعلنت وزارةُ الدفاع الروسية أن قواتها دخلت مدينة تدمر",  # diacritics
        "أعلـــنت وزارة الدفاع الروسية أن قواتها دخلت مدينة تدمر",  # tatweel
        "اعلنت وزارة  الدفاع الروسية أن قواتها دخلت مدينة تدمر ",  # alef, spaces
    ]
    texts = [*variants, " ", "", *PLAIN[:5]]
    chosen = select(records(texts), fake_scorer({"أعلنت": SPREAD}), 5)
    assert chosen.counts.duplicates == 3
    assert chosen.counts.empty == 2  # nothing to annotate: counted, never a task
    assert [d.text for d in chosen.documents].count(text) == 1
    assert len({text_key(v) for v in variants}) == 1


def test_near_duplicates_are_removed_and_counted() -> None:
    base = (
        "قصفت الطائرات التركية مواقع للمسلحين في ريف الرقة الشمالي يوم الأحد وقتلت عشرة منهم "
        "وأصابت آخرين بجروح بحسب ما أعلنت وزارة الدفاع في بيان نشرته وكالة الأنباء الرسمية مساء"
    )
    near = base.replace("عشرة", "أحد عشر")  # one word differs
    assert similarity(signature(base), np.stack([signature(near)]))[0] >= 0.7
    chosen = select(records([base, near, *PLAIN[:5]]), fake_scorer({"قصفت": SPREAD}), 3)
    texts = [d.text for d in chosen.documents]
    assert (base in texts) != (near in texts)
    assert chosen.counts.near_duplicates == 1


def test_documents_already_annotated_are_never_selected() -> None:
    annotated = "غامض أول في الملف المعلم سابقا من قبل المعلقين"
    exclusions = Exclusions()
    exclusions.add(f"{annotated}\nسطر آخر من الوثيقة نفسها")
    texts = [annotated, "غامض ثان لم يعلم بعد", *PLAIN[:5]]
    chosen = select(records(texts), fake_scorer({"غامض": SPREAD}), 5, exclusions=exclusions)
    assert annotated not in [d.text for d in chosen.documents]
    assert chosen.counts.excluded == 1


def test_diversity_skips_a_document_too_similar_to_one_chosen() -> None:
    first = "غامض قصف الطيران مواقع في ريف حلب الشمالي صباح اليوم وسقط قتلى"
    second = "غامض قصف الطيران مواقع في ريف إدلب الجنوبي مساء أمس وسقط جرحى"
    texts, scorer = records([first, second, *PLAIN[:3]]), fake_scorer({"غامض": SPREAD})
    plain = select(texts, scorer, 2)
    assert {first, second} <= {d.text for d in plain.documents}
    diverse = select(texts, scorer, 2, diversity=0.2)  # their shingle Jaccard is about 0.25
    assert len({first, second} & {d.text for d in diverse.documents}) == 1
    assert diverse.counts.too_similar == 1


def test_the_pool_never_holds_more_than_its_capacity_and_keeps_the_best() -> None:
    pool = CandidatePool(10)
    rng = random.Random(3)
    priorities = [rng.random() for _ in range(500)]
    for order, priority in enumerate(priorities):
        text = f"وثيقة {order} " + " ".join(f"كلمة{order}-{j}" for j in range(5))
        pool.offer(Candidate(priority, -order, Document(str(order), text), signature(text)))
        assert len(pool) <= 10
    assert [c.priority for c in pool.best_first()] == sorted(priorities, reverse=True)[:10]


def test_random_selection_is_reproducible_by_seed_and_never_scores_the_stream() -> None:
    scored: list[int] = []

    def score(texts: list[str]) -> list[tuple[list[Entity], np.ndarray]]:
        scored.append(len(texts))
        return fake_scorer({})(texts)

    def run(seed: int) -> Selection:
        return select(records(PLAIN), score, 4, strategy="random", seed=seed)

    first, again, other = run(7), run(7), run(8)
    assert [d.text for d in first.documents] == [d.text for d in again.documents]
    assert [d.text for d in first.documents] != [d.text for d in other.documents]
    assert scored == [4, 4, 4]  # only the sample is pre-annotated


def test_iter_lines_reads_gzip_and_names_a_damaged_file(tmp_path: Path) -> None:
    good = tmp_path / "in.txt.gz"
    good.write_bytes(gzip.compress("سطر أول\r\nسطر ثان\n".encode()))
    assert list(iter_lines(good)) == ["سطر أول", "سطر ثان"]
    damaged = tmp_path / "bad.txt.gz"
    damaged.write_bytes(gzip.compress(("سطر\n" * 1000).encode())[:-30])
    with pytest.raises(DataFormatError, match=r"bad\.txt\.gz.*cannot decompress"):
        list(iter_lines(damaged))
    not_gzip = write(tmp_path / "plain.txt.gz", "سطر\n")  # no line came out: none is named
    with pytest.raises(DataFormatError, match=r"^\S*plain\.txt\.gz: cannot decompress: Not a gzip"):
        list(iter_lines(not_gzip))


def test_predict_with_probs_gives_each_word_a_distribution_and_the_same_entities(
    tiny_run: TrainResult,
) -> None:
    predictor = Predictor.from_pretrained(tiny_run.model_dir, device="cpu")
    texts = ["قصفت الطائرات التركية مواقع في الرقة يوم الأحد", "😀 أعلنت وزارة الدفاع"]
    scored = predictor.predict_with_probs(texts)
    assert [entities for entities, _ in scored] == predictor.predict_batch(texts)
    for text, (_, probs) in zip(texts, scored, strict=True):
        assert probs.shape == (len(text.split()), predictor.schema.num_tags)
        assert np.allclose(probs.sum(axis=1), 1.0)


def test_select_command_picks_the_most_uncertain_and_excludes_annotated(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = load(Path(__file__).parents[1] / "data" / "sample" / "train.jsonl")
    train = list(dict.fromkeys(line for d in sample for line in d.text.splitlines() if line))
    lines = [*train[:8], train[0], "Lorem ipsum dolor sit amet 😀 ٢٠٢٠ ???", "قال"]
    source = tmp_path / "raw.txt.gz"
    source.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))
    # an annotated document of two paragraphs, one of them in the input
    done = {"text": f"{train[20]}\n{train[1]}", "spans": []}
    annotated = write(tmp_path / "done.jsonl", json.dumps(done) + "\n")
    out = tmp_path / "tasks.json"
    model = str(tiny_run.model_dir)
    args = ["select", "--model", model, "--from", str(source), "--k", "3", "-o", str(out)]
    assert main([*args, "--exclude", str(annotated), "--no-progress"]) == 0
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("read 11, empty 0, duplicates removed 1 exact + ")
    assert "excluded 1," in err
    tasks = json.loads(out.read_text(encoding="utf-8"))
    chosen = [t["data"]["text"] for t in tasks]
    assert len(chosen) == 3 and train[1] not in chosen
    # the model's own least-confidence ranking of the candidates, highest first
    predictor = Predictor.from_pretrained(model, device="cpu")
    candidates = [t for t in dict.fromkeys(lines) if t != train[1]]
    doubt = {
        text: document_uncertainty(probs, "least-confidence")
        for text, (_, probs) in zip(
            candidates, predictor.predict_with_probs(candidates), strict=True
        )
    }
    assert chosen == sorted(doubt, key=doubt.__getitem__, reverse=True)[:3]
    scores = [t["predictions"][0]["score"] for t in tasks]
    assert scores == pytest.approx([1 - doubt[text] for text in chosen])


def test_select_refuses_a_missing_input_before_loading_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["select", "--model", str(tmp_path / "no-model"), "--from", str(tmp_path / "x.txt")]
    assert main([*args, "--k", "2", "-o", str(tmp_path / "t.json")]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'x.txt'}: no such file\n"


def test_tasks_of_an_earlier_selection_are_excluded_before_they_are_annotated(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second round of ``select`` while the first round's tasks (predictions, no
    annotations yet) are with the annotators must not pick them again."""
    sample = load(Path(__file__).parents[1] / "data" / "sample" / "train.jsonl")
    lines = list(dict.fromkeys(line for d in sample for line in d.text.splitlines() if line))
    source = write(tmp_path / "raw.txt", "\n".join(lines[:12]) + "\n")
    model = str(tiny_run.model_dir)
    args = ["select", "--model", model, "--from", str(source), "--k", "3"]
    first, second = tmp_path / "round1.json", tmp_path / "round2.json"
    assert main([*args, "-o", str(first)]) == 0
    assert main([*args, "-o", str(second), "--exclude", str(first)]) == 0
    err = capsys.readouterr().err
    assert f"{first}: 3 texts excluded (3 tasks not annotated yet)" in err
    assert "doc/s" not in err and "\r" not in err  # stderr is no terminal: no progress bar
    texts = [{t["data"]["text"] for t in json.loads(f.read_text("utf-8"))} for f in (first, second)]
    assert len(texts[1]) == 3 and not texts[0] & texts[1]


def test_exclusion_files_in_another_shape_still_exclude_their_texts(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spans written as lists and a Label Studio project reading ``$passage`` excluded
    nothing, silently, and the same paragraphs were picked for annotation again."""
    lines = [f"قصفت الطائرات مواقع في الرقة رقم {i}" for i in range(6)]
    source = write(tmp_path / "raw.txt", "\n".join(lines) + "\n")
    done = [{"id": f"x{i}", "text": lines[i], "spans": [[0, 4, "TRIGGER"]]} for i in range(2)]
    annotated = write(tmp_path / "done.jsonl", "\n".join(map(json.dumps, done)) + "\n")
    tasks = [{"data": {"passage": lines[i]}, "annotations": [{"result": []}]} for i in (2, 3)]
    exported = write(tmp_path / "export.json", json.dumps(tasks))
    out = tmp_path / "t.json"
    args = ["select", "--model", str(tiny_run.model_dir), "--from", str(source), "--k", "6"]
    assert (
        main([*args, "--no-progress", "--exclude", str(annotated), str(exported), "-o", str(out)])
        == 0
    )
    assert f"{annotated}: 2 texts excluded" in capsys.readouterr().err
    assert {t["data"]["text"] for t in json.loads(out.read_text("utf-8"))} == set(lines[4:])
