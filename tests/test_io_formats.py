"""Each reader on small literal files, and the writers' round trips."""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from araevent import DataFormatError, Document, Span
from araevent.data.bio import Scheme
from araevent.evaluation import score_spans
from araevent.io import ConllOptions, detect_format, load, save
from araevent.training import DataConfig
from tests.conftest import write


def spans_of(doc: Document) -> list[tuple[str, str]]:
    return [(doc.span_text(s), s.label) for s in doc.spans]


CONLL = """-DOCSTART- O

قصفت B-TRIGGER
الطائرات B-ACTOR
التركية I-ACTOR
الرقة B-PLACE
. O

وانسحبت B-TRIGGER
القوات B-ACTOR

-DOCSTART- O
# id = second
أمس B-DATE
"""


def test_conll_rebuilds_text_and_spans_per_document(tmp_path: Path) -> None:
    corpus = load(write(tmp_path / "x.conll", CONLL))
    first, second = corpus
    assert first.text == "قصفت الطائرات التركية الرقة .\nوانسحبت القوات"
    assert spans_of(first) == [
        ("قصفت", "TRIGGER"),
        ("الطائرات التركية", "ACTOR"),
        ("الرقة", "PLACE"),
        ("وانسحبت", "TRIGGER"),
        ("القوات", "ACTOR"),
    ]
    assert second.id == "second" and spans_of(second) == [("أمس", "DATE")]


def test_conll_without_docstart_makes_a_document_per_sentence(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", "قصفت O\n\nالرقة B-LOC\n")
    assert [d.text for d in load(path)] == ["قصفت", "الرقة"]
    assert [d.text for d in load(path, conll=ConllOptions(documents="file"))] == ["قصفت\nالرقة"]


def test_conll_tab_separated_with_other_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "x.tsv", "1\tروسيا\tNNP\tB-PERS\n2\tتقصف\tVB\tO\n")
    corpus = load(path, conll=ConllOptions(token_col=1, tag_col=3))
    assert spans_of(corpus[0]) == [("روسيا", "PERS")]


def test_conll_crlf_bom_and_bidi_marks_are_handled_and_counted(tmp_path: Path) -> None:
    content = "\ufeff\u200eالإمارات\tB-Nation\r\n\u200eتقصف\tO\r\n"
    corpus = load(write(tmp_path / "x.txt", content), label_map="newsfane")
    assert corpus[0].text == "الإمارات تقصف"
    assert spans_of(corpus[0]) == [("الإمارات", "PLACE")]
    assert corpus.report.problems["bidi controls stripped from tokens"] == 2


def test_conll_detects_iobes(tmp_path: Path) -> None:
    path = write(tmp_path / "x.bio", "قوات B-ORG\nالنظام E-ORG\nفي O\nحلب S-LOC\n")
    assert spans_of(load(path)[0]) == [("قوات النظام", "ORG"), ("حلب", "LOC")]


def test_conll_detects_iob1(tmp_path: Path) -> None:
    path = write(tmp_path / "x.bio", "قوات I-ORG\nالنظام I-ORG\nحماس B-ORG\n")
    assert spans_of(load(path)[0]) == [("قوات النظام", "ORG"), ("حماس", "ORG")]


WOJOOD = """مراسلة O
سكرتير B-OCC
اللجنة I-OCC B-ORG
القومية I-OCC I-ORG
في I-OCC
نابلس I-OCC B-GPE
$#$ O

روسيا B-ORG
"""


def test_wojood_nested_keeps_outermost_after_mapping_and_counts_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "w.txt", WOJOOD)
    corpus = load(path, label_map="wojood", conll=ConllOptions(nested=True))
    first, second = corpus
    # OCC is dropped by the map, so the ORG and GPE inside it become the outer layer
    assert spans_of(first) == [("اللجنة القومية", "ACTOR"), ("نابلس", "PLACE")]
    assert "$#$" not in first.text
    assert spans_of(second) == [("روسيا", "ACTOR")]
    assert corpus.report.labels_dropped["OCC"] == 1
    assert corpus.report.problems["marker tokens skipped"] == 1
    unmapped = load(path, conll=ConllOptions(nested=True))
    assert spans_of(unmapped[0]) == [("سكرتير اللجنة القومية في نابلس", "OCC")]
    assert unmapped.report.problems["inner-layer spans dropped"] == 2


def test_anercorp_label_map_counts_mapped_and_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "بوش B-PERS\nفي O\nالعراق B-LOC\nاليورو B-MISC\n")
    corpus = load(path, label_map="anercorp")
    assert spans_of(corpus[0]) == [("بوش", "ACTOR"), ("العراق", "PLACE")]
    assert corpus.report.labels_mapped == {"PERS -> ACTOR": 1, "LOC -> PLACE": 1}
    assert corpus.report.labels_dropped == {"MISC": 1}


BRAT_TEXT = "قصفت الطائرات\r\nالتركية الرقة"


def test_brat_reads_pairs_skips_discontinuous_and_counts_relations(tmp_path: Path) -> None:
    write(tmp_path / "doc1.txt", BRAT_TEXT)
    write(
        tmp_path / "doc1.ann",
        "T1\tTRIGGER 0 4\tقصفت\n"
        "T2\tACTOR 5 13;15 22\tالطائرات التركية\nT3\tPLACE 23 28\tالرقة\n"
        "R1\tArg Arg1:T1 Arg2:T3\n",
    )
    assert detect_format(tmp_path) == "brat"
    corpus = load(tmp_path)
    assert corpus[0].id == "doc1"
    assert spans_of(corpus[0]) == [("قصفت", "TRIGGER"), ("الرقة", "PLACE")]
    assert corpus.report.problems["discontinuous entities skipped"] == 1
    assert corpus.report.problems["brat relations ignored"] == 1


def test_brat_malformed_line_names_the_ann_file(tmp_path: Path) -> None:
    write(tmp_path / "d.txt", "قصفت")
    ann = write(tmp_path / "d.ann", "T1\tTRIGGER zero 4\tقصفت\n")
    with pytest.raises(DataFormatError, match=f"{ann}:1.*malformed text-bound annotation"):
        load(tmp_path)


def test_brat_keeps_tabs_and_line_breaks_inside_spans(tmp_path: Path) -> None:
    text = "قال\tالرئيس في\r\nبغداد"
    doc = Document("a b", text, (Span(0, 10, "ACTOR"), Span(11, len(text), "PLACE")))
    save([doc], tmp_path / "out", "brat")
    corpus = load(tmp_path / "out")
    assert (corpus[0].id, corpus[0].spans) == ("a b", doc.spans) and corpus.report.clean


def test_brat_refuses_ids_that_would_share_a_file(tmp_path: Path) -> None:
    docs = [Document("a/b", "قصفت"), Document("a_b", "الرقة")]
    with pytest.raises(ValueError, match=r"'a/b' and 'a_b' would both be written to a_b\.txt"):
        save(docs, tmp_path / "out", "brat")
    assert not (tmp_path / "out").exists()  # checked before anything is written


def test_conllu_comments_are_skipped_and_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.conllu",
        "# sent_id = 1\n# text = قصفت الرقة #\nقصفت\tB-TRIGGER\nالرقة\tB-PLACE\n#\tO\n",
    )
    corpus = load(path)
    assert corpus[0].text == "قصفت الرقة #"  # a '#' token with a tag is data
    assert spans_of(corpus[0]) == [("قصفت", "TRIGGER"), ("الرقة", "PLACE")]
    assert corpus.report.problems == {"comment lines skipped": 2}


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.conll"])
def test_documents_without_ids_pair_up_across_file_names(tmp_path: Path, name: str) -> None:
    docs = [Document("x", "قصفت الرقة", (Span(5, 10, "PLACE"),)), Document("y", "دخلت")]
    save(docs, tmp_path / name)
    if name.endswith("jsonl"):  # records without ids
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        write(tmp_path / name, "".join(line.replace('"id"', '"_id"') + "\n" for line in lines))
    else:  # and CoNLL without '# id =' lines
        text = (tmp_path / name).read_text(encoding="utf-8")
        write(tmp_path / name, "\n".join(x for x in text.split("\n") if not x.startswith("#")))
    gold, predicted = tmp_path / f"gold-{name}", tmp_path / f"pred-{name}"
    (tmp_path / name).rename(gold)
    predicted.write_bytes(gold.read_bytes())
    gold_docs, predicted_docs = load(gold), load(predicted)
    assert [d.id for d in gold_docs] == [d.id for d in predicted_docs]
    assert score_spans(list(gold_docs), predicted_docs).micro.f1 == 1.0


def test_conll_files_of_a_folder_get_distinct_ids(tmp_path: Path) -> None:
    write(tmp_path / "a.conll", "قصفت B-TRIGGER\n")
    write(tmp_path / "b.conll", "الرقة B-PLACE\n")
    assert [d.id for d in load(tmp_path, format="conll")] == ["a-1", "b-1"]


def test_label_studio_tasks_without_annotation_are_skipped_and_counted(tmp_path: Path) -> None:
    tasks = [
        {"id": 1, "data": {"text": "قصفت"}, "annotations": []},
        {"id": 2, "data": {"text": "قصفت"}, "annotations": [{"was_cancelled": True}]},
        {"id": 3, "data": {"text": "قصفت"}, "predictions": [{"result": []}]},
        {"id": 4, "data": {"text": "قصفت"}, "annotations": [{"result": []}]},
    ]
    corpus = load(write(tmp_path / "ls.json", json.dumps(tasks)))
    assert [d.id for d in corpus] == ["4"]  # annotated, with no span: a real all-O document
    assert corpus.report.problems == {"tasks without annotation skipped": 3}


def test_doccano_both_export_shapes(tmp_path: Path) -> None:
    text = "طالبت روسيا بالانسحاب"
    lines = [
        {"id": 1, "text": text, "label": [[6, 11, "ACTOR"]]},
        {
            "id": 2,
            "text": text,
            "entities": [{"id": 9, "label": "TRIGGER", "start_offset": 0, "end_offset": 5}],
        },
    ]
    path = write(tmp_path / "d.jsonl", "\n".join(json.dumps(x) for x in lines))
    first, second = load(path, "doccano")
    assert spans_of(first) == [("روسيا", "ACTOR")]
    assert spans_of(second) == [("طالبت", "TRIGGER")]


def test_label_studio_export(tmp_path: Path) -> None:
    text = "طالبت روسيا بالانسحاب"
    result = [
        {
            "type": "labels",
            "from_name": "label",
            "to_name": "text",
            "value": {"start": 6, "end": 11, "text": "روسيا", "labels": ["ACTOR"]},
        },
        {"type": "relation", "from_id": "a", "to_id": "b"},
    ]
    tasks = [{"id": 7, "data": {"text": text}, "annotations": [{"result": result}, {"result": []}]}]
    corpus = load(write(tmp_path / "ls.json", json.dumps(tasks)))
    assert corpus[0].id == "7" and spans_of(corpus[0]) == [("روسيا", "ACTOR")]
    assert corpus.report.problems["extra annotations of a task ignored"] == 1
    assert corpus.report.problems["non-span results ignored"] == 1


SCHEME_TEXT = "قصفت الطائرات التركية الرقة"
SCHEME_SPANS = (Span(0, 4, "TRIGGER"), Span(5, 21, "ACTOR"), Span(22, 27, "PLACE"))


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [
        ("IOB1", ["I-TRIGGER", "I-ACTOR", "I-ACTOR", "I-PLACE"]),
        ("iob2", ["B-TRIGGER", "B-ACTOR", "I-ACTOR", "B-PLACE"]),
        ("IOBES", ["S-TRIGGER", "B-ACTOR", "E-ACTOR", "S-PLACE"]),
        ("Iobes", ["S-TRIGGER", "B-ACTOR", "E-ACTOR", "S-PLACE"]),
        ("bilou", ["U-TRIGGER", "B-ACTOR", "L-ACTOR", "U-PLACE"]),
    ],
)
def test_conll_is_written_in_the_scheme_named_in_any_case(
    tmp_path: Path, scheme: str, tags: list[str]
) -> None:
    """The README's ``save(docs, "out.conll", scheme="IOBES")`` writes IOBES, not BILOU."""
    save([Document("a", SCHEME_TEXT, SCHEME_SPANS)], tmp_path / "out.conll", scheme=scheme)
    lines = (tmp_path / "out.conll").read_text(encoding="utf-8").splitlines()
    written = [line.split(" ")[1] for line in lines if line and line[0] not in "-#"]
    assert written == tags


def test_a_config_names_the_scheme_of_its_conll_files(tmp_path: Path) -> None:
    """``data.scheme=iob2`` reads a chunk opened by I- as the IOB2 error it is; detected, the
    same file is IOB1."""
    path = write(tmp_path / "train.conll", "قصفت O\nروسيا I-ACTOR\n")
    assert spans_of(DataConfig(train=str(path), labels=["ACTOR"]).load("train")[0]) == [
        ("روسيا", "ACTOR")
    ]
    with pytest.raises(DataFormatError, match=r"train\.conll:2 .*I-ACTOR after O"):
        DataConfig(train=str(path), labels=["ACTOR"], scheme="iob2").load("train")


# --- round trips ---------------------------------------------------------------------------

WORDS = st.sampled_from(["قصفت", "والروس", "الطائرات", "3", "٢٠٢٠", "مواقعَ", "CNN", "الرقة"])
# U+001C and U+001F are tokens to the text utilities, but str.split() splits on them
PUNCT = st.sampled_from(["،", ".", "«", "»", ":", "؟", "\x1c", "\x1f"])
LABELS = st.sampled_from(["ACTOR", "PLACE", "DATE", "TRIGGER"])


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Documents in CoNLL's canonical layout (tokens split by spaces, sentences by newlines)
    with word-aligned spans, so that every format must reproduce them exactly."""
    sentences = draw(
        st.lists(
            st.lists(st.one_of(WORDS, WORDS, PUNCT), min_size=1, max_size=8), min_size=0, max_size=4
        )
    )
    text, offsets = "", []
    for s, sentence in enumerate(sentences):
        if s:
            text += "\n"
        for t, token in enumerate(sentence):
            if t:
                text += " "
            offsets.append((len(text), len(text) + len(token), token[0].isalnum()))
            text += token
    spans, i = [], 0
    while i < len(offsets):
        length = draw(st.integers(1, 3))
        chosen = offsets[i : i + length]
        aligned = chosen[0][2] and chosen[-1][2]
        if draw(st.booleans()) and aligned and "\n" not in text[chosen[0][0] : chosen[-1][1]]:
            spans.append(Span(chosen[0][0], chosen[-1][1], draw(LABELS)))
            i += length
            continue
        i += 1
    return Document(f"doc-{draw(st.integers(0, 10**6))}", text, tuple(spans))


ROUND_TRIP = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@ROUND_TRIP
@given(st.lists(documents(), min_size=1, max_size=3, unique_by=lambda d: d.id))
def test_jsonl_round_trip(tmp_path: Path, docs: list[Document]) -> None:
    save(docs, tmp_path / "out.jsonl")
    assert list(load(tmp_path / "out.jsonl")) == docs


# a scheme as the enum or named in any case, as the API, the CLI and configs take it
SCHEMES = st.sampled_from(
    [*Scheme, *(s.value for s in Scheme), *(s.value.lower() for s in Scheme), "Iobes", "biLou"]
)


@ROUND_TRIP
@given(st.lists(documents(), min_size=1, max_size=3, unique_by=lambda d: d.id), SCHEMES)
def test_conll_round_trip(tmp_path: Path, docs: list[Document], scheme: Scheme | str) -> None:
    save(docs, tmp_path / "out.conll", scheme=scheme)
    loaded = load(tmp_path / "out.conll", conll=ConllOptions(scheme=scheme))
    assert [d.id for d in loaded] == [d.id for d in docs]
    for original, read in zip(docs, loaded, strict=True):
        assert [spans_of(read)] == [spans_of(original)]
        assert read.text.split() == original.text.split()


@ROUND_TRIP
@given(st.lists(documents(), min_size=1, max_size=3, unique_by=lambda d: d.id))
def test_brat_round_trip(tmp_path: Path, docs: list[Document]) -> None:
    folder = tmp_path / "brat"
    for old in folder.glob("*") if folder.exists() else ():
        old.unlink()
    save(docs, folder, "brat")
    loaded = {d.id: d for d in load(folder)}
    assert [(loaded[d.id].text, loaded[d.id].spans) for d in docs] == [
        (d.text, d.spans) for d in docs
    ]
