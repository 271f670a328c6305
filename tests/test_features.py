"""Documents to windows and labels: nothing truncated, no word cut, offsets exact."""

import itertools
from typing import Any

import numpy as np
import pytest

from araevent import Document, LabelSchema, Span
from araevent.data.text import NormalizationConfig, normalize
from araevent.features import (
    IGNORE_INDEX,
    EncodingConfig,
    Window,
    subtoken_labels,
    tokenize_documents,
    window_features,
    windows,
)
from araevent.modeling import train_wordpiece

SCHEMA = LabelSchema()
SENTENCES = [
    "قصفت الطائرات التركية مواقع لقوات سوريا الديمقراطية قرب عين عيسى شمال الرقة.",
    "وأعلنت وزارة الدفاع الروسية انسحاب قواتها من محافظة دير الزور أمس.",
    "اندلعت اشتباكات عنيفة بين الجيش والمسلحين في حلب يوم الجمعة.",
]


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    # no room beyond the alphabet: every word is split into character sub-tokens
    return train_wordpiece(SENTENCES * 5, vocab_size=1)


def long_document(n_sentences: int = 40) -> Document:
    text = " ".join(SENTENCES[i % 3] for i in range(n_sentences))
    spans = []
    for target, label in (("الطائرات التركية", "ACTOR"), ("الرقة", "PLACE"), ("أمس", "DATE")):
        start = text.find(target)
        while start != -1:
            spans.append(Span(start, start + len(target), label))
            start = text.find(target, start + 1)
    return Document("long", text, tuple(spans))


def test_windows_cover_everything_within_length_and_cut_between_words(tokenizer: Any) -> None:
    config = EncodingConfig(max_length=32, stride=8)
    (doc,) = tokenize_documents([long_document()], tokenizer, config)
    assert doc.unseen_words == 0
    spans = windows(doc, config)
    assert len(spans) > 5
    covered = np.zeros(len(doc.input_ids), dtype=bool)
    for window in spans:
        assert window.end - window.start <= config.max_length - 2
        assert doc.first_subtoken[window.start]  # starts on a word
        assert window.end == len(doc.input_ids) or doc.first_subtoken[window.end]
        covered[window.start : window.end] = True
    assert covered.all()
    for a, b in itertools.pairwise(spans):
        assert a.end - b.start >= config.stride  # neighbours share at least `stride`


def test_no_window_lies_inside_the_one_before(tokenizer: Any) -> None:
    """Before a word longer than the room left, the next window used to end where the last one
    did: a window run through the model for nothing."""
    config = EncodingConfig(max_length=8, stride=2)
    (doc,) = tokenize_documents([Document("d", " ".join(SENTENCES))], tokenizer, config)
    spans = windows(doc, config)
    assert all(b.end > a.end for a, b in itertools.pairwise(spans))
    covered = np.zeros(len(doc.input_ids), dtype=bool)
    for window in spans:
        covered[window.start : window.end] = True
    assert covered.all()


def test_window_features_add_specials_and_ignore_them(tokenizer: Any) -> None:
    config = EncodingConfig(max_length=32, stride=8)
    (doc,) = tokenize_documents([long_document(2)], tokenizer, config)
    labels = subtoken_labels(doc, SCHEMA, "first")
    window = windows(doc, config)[0]
    features = window_features(doc, window, tokenizer, labels)
    assert features["input_ids"][0] == tokenizer.cls_token_id
    assert features["input_ids"][-1] == tokenizer.sep_token_id
    assert features["labels"][0] == features["labels"][-1] == IGNORE_INDEX
    assert len(features["input_ids"]) == len(features["labels"]) <= 32


def test_first_and_all_subtoken_label_policies(tokenizer: Any) -> None:
    text = "الطائرات التركية"
    document = Document("d", text, (Span(0, len(text), "ACTOR"),))
    (doc,) = tokenize_documents([document], tokenizer, EncodingConfig())
    n_first = int(doc.first_subtoken.sum())
    assert n_first == 2 and len(doc.input_ids) > 2  # both words split into sub-tokens
    first = subtoken_labels(doc, SCHEMA, "first")
    assert first[doc.first_subtoken].tolist() == [
        SCHEMA.begin_id("ACTOR"),
        SCHEMA.inside_id("ACTOR"),
    ]
    assert (first[~doc.first_subtoken] == IGNORE_INDEX).all()
    every = subtoken_labels(doc, SCHEMA, "all")
    assert every[0] == SCHEMA.begin_id("ACTOR")
    assert (every[1:] == SCHEMA.inside_id("ACTOR")).all()


def test_normalised_tokenisation_keeps_original_offsets(tokenizer: Any) -> None:
    # diacritics and tatweel the tokenizer never saw; normalisation removes them before it
    text = "قَصَفَتْ الطائـــرات التركية"
    config = EncodingConfig(normalization=NormalizationConfig())
    (doc,) = tokenize_documents([Document("d", text)], tokenizer, config)
    words = [text[s:e] for s, e in doc.word_offsets]
    assert words == ["قَصَفَتْ", "الطائـــرات", "التركية"]
    assert tokenizer.unk_token_id not in doc.input_ids.tolist()
    # each word's sub-tokens are those of its normalised form: offsets mapped back to the right
    # word, none shifted onto a neighbour by the deleted characters
    expected = [tokenizer(normalize(w).text, add_special_tokens=False)["input_ids"] for w in words]
    got = [doc.input_ids[doc.subtoken_word == i].tolist() for i in range(len(words))]
    assert got == expected


def test_span_that_cuts_a_word_cannot_be_encoded(tokenizer: Any) -> None:
    document = Document("d", "والروس", (Span(1, 6, "ACTOR"),))
    (doc,) = tokenize_documents([document], tokenizer, EncodingConfig())
    with pytest.raises(ValueError, match="word boundaries"):
        subtoken_labels(doc, SCHEMA, "first")


def test_empty_document(tokenizer: Any) -> None:
    (doc,) = tokenize_documents([Document("d", "")], tokenizer, EncodingConfig())
    assert windows(doc, EncodingConfig()) == [Window(0, 0, 0)]  # one empty window, no crash
    assert len(doc.input_ids) == 0 and len(doc.word_offsets) == 0


@pytest.mark.parametrize(("max_length", "stride"), [(4, 0), (16, 7), (16, -1)])
def test_invalid_window_settings(max_length: int, stride: int) -> None:
    with pytest.raises(ValueError):
        EncodingConfig(max_length=max_length, stride=stride)


def test_words_the_tokenizer_deletes_are_counted_not_lost_silently(tokenizer: Any) -> None:
    from araevent.training import encode_split

    # the BERT normaliser deletes control characters and U+FFFD: such a token gets no sub-token
    text = "قصفت \x07 الرقة \ufffd"
    spans = (Span(0, 4, "TRIGGER"), Span(5, 6, "PLACE"), Span(7, 12, "PLACE"))
    split = encode_split([Document("d", text, spans)], tokenizer, SCHEMA, EncodingConfig())
    assert (split.unseen_words, split.unseen_in_spans) == (2, 1)
    assert split.tokenized[0].unseen.tolist() == [False, True, False, True]
