"""Every corpus in ../shared/data loads with its label map and reports what it dropped.

Skipped where the shared folder is absent. Figures asserted here are properties of the
distributed files (counted independently with awk when the loaders were written), so a loader
that silently loses spans fails.
"""

from pathlib import Path

import pytest

from araevent import LabelSchema
from araevent.cli.main import main
from araevent.io import ConllOptions, load

SCHEMA = LabelSchema()


def test_araevent_news_loads_strictly_with_the_project_schema(shared_data: Path) -> None:
    train = load(shared_data / "araevent-news" / "train.jsonl", schema=SCHEMA)
    dev = load(shared_data / "araevent-news" / "dev.jsonl", schema=SCHEMA)
    assert (len(train), len(dev)) == (360, 72)
    assert sum(len(d.spans) for d in train) == 6505
    assert sum(len(d.spans) for d in dev) == 1290
    assert train.report.clean and dev.report.clean


def test_anercorp_maps_to_the_schema_and_counts_misc(shared_data: Path) -> None:
    path = shared_data / "anercorp" / "train.txt"
    corpus = load(path, mode="lenient", label_map="anercorp", schema=SCHEMA)
    assert len(corpus) == 3989
    # Every B- tag opens a chunk, and lenient decoding turns each I- after O (or after another
    # type) into a chunk start, counted as a repair: nothing else may appear or vanish.
    begins = sum(
        line.split()[-1].startswith("B-") for line in path.read_text().splitlines() if line.strip()
    )
    repaired = corpus.report.problems["tag sequence repaired"]
    assert repaired > 0
    mapped = sum(corpus.report.labels_mapped.values())
    dropped = corpus.report.labels_dropped["MISC"]
    assert mapped + dropped == begins + repaired
    assert {s.label for d in corpus for s in d.spans} == {"ACTOR", "PLACE"}


def test_anercorp_strict_mode_reports_the_first_bad_sequence(shared_data: Path) -> None:
    with pytest.raises(ValueError, match=r"train\.txt:\d+ .*I-\w+ after O"):
        load(shared_data / "anercorp" / "train.txt")


def test_wojood_nested_layers(shared_data: Path) -> None:
    corpus = load(
        shared_data / "wojood-sample" / "train.txt",
        mode="lenient",
        label_map="wojood",
        schema=SCHEMA,
        conll=ConllOptions(nested=True),
    )
    assert corpus.report.problems["marker tokens skipped"] == 350  # the $#$ lines
    assert corpus.report.problems["inner-layer spans dropped"] > 0
    assert corpus.report.labels_dropped["OCC"] > 0
    assert {s.label for d in corpus for s in d.spans} == {"ACTOR", "PLACE", "DATE"}


def test_aqmar_folder_with_malformed_tags(shared_data: Path) -> None:
    corpus = load(
        shared_data / "aqmar" / "articles", mode="lenient", label_map="aqmar", schema=SCHEMA
    )
    assert corpus.report.problems["malformed tag"] >= 3
    assert corpus.report.labels_dropped["MIS1"] > 1000
    assert "unknown label" not in corpus.report.problems


def test_newsfane_bom_crlf_and_bidi_marks(shared_data: Path) -> None:
    corpus = load(
        shared_data / "newsfane" / "NewsFANE_Gold_2014_170K.txt",
        mode="lenient",
        label_map="newsfane",
        schema=SCHEMA,
    )
    assert corpus.report.problems["bidi controls stripped from tokens"] > 100_000
    assert not any("\u200e" in d.text or "\r" in d.text for d in corpus)
    assert "unknown label" not in corpus.report.problems


@pytest.mark.parametrize(
    ("relative", "options"),
    [
        ("araevent-news/dev.jsonl", []),
        ("anercorp/test.txt", ["--label-map", "anercorp"]),
        ("wojood-sample/val.txt", ["--label-map", "wojood", "--nested"]),
        ("aqmar/articles", ["--label-map", "aqmar"]),
        ("newsfane/NewsFANE_Gold_2014_170K.txt", ["--label-map", "newsfane"]),
    ],
)
def test_data_stats_on_every_corpus(
    shared_data: Path, relative: str, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["data", "stats", str(shared_data / relative), *options]) == 0
    out = capsys.readouterr().out
    assert "documents" in out and "sentences" in out and "words" in out
    assert "ACTOR" in out and "PLACE" in out
