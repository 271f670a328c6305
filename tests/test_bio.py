import pytest

from araevent.data.bio import Scheme, TagError, chunks_to_tags, detect_scheme, tags_to_chunks

CHUNKS = [(0, 2, "ACTOR"), (2, 3, "ACTOR"), (4, 5, "PLACE")]


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [
        (Scheme.IOB2, ["B-ACTOR", "I-ACTOR", "B-ACTOR", "O", "B-PLACE"]),
        (Scheme.IOB1, ["I-ACTOR", "I-ACTOR", "B-ACTOR", "O", "I-PLACE"]),
        (Scheme.IOBES, ["B-ACTOR", "E-ACTOR", "S-ACTOR", "O", "S-PLACE"]),
        (Scheme.BILOU, ["B-ACTOR", "L-ACTOR", "U-ACTOR", "O", "U-PLACE"]),
    ],
)
def test_each_scheme_encodes_detects_and_decodes(scheme: Scheme, tags: list[str]) -> None:
    assert chunks_to_tags(CHUNKS, 5, scheme) == tags
    assert detect_scheme([tags]) is scheme
    assert tags_to_chunks(tags, scheme).chunks == CHUNKS


def test_strict_iob2_rejects_i_after_o_with_its_position() -> None:
    with pytest.raises(TagError, match="I-PLACE after O") as info:
        tags_to_chunks(["O", "I-PLACE"], Scheme.IOB2)
    assert info.value.index == 1


def test_strict_iob2_rejects_i_of_another_type() -> None:
    with pytest.raises(TagError, match="I-PLACE after a ACTOR chunk"):
        tags_to_chunks(["B-ACTOR", "I-PLACE"], Scheme.IOB2)


def test_lenient_decoding_repairs_like_conlleval_and_reports() -> None:
    result = tags_to_chunks(["O", "I-PLACE", "I-PLACE", "I-ACTOR"], Scheme.IOB2, strict=False)
    assert result.chunks == [(1, 3, "PLACE"), (3, 4, "ACTOR")]
    assert [r.index for r in result.repairs] == [1, 3]


def test_iobes_unclosed_chunk_is_an_error() -> None:
    with pytest.raises(TagError, match="not closed"):
        tags_to_chunks(["B-ACTOR", "O"], Scheme.IOBES)


def test_iob2_file_with_stray_i_is_still_detected_as_iob2() -> None:
    assert detect_scheme([["B-ACTOR", "O"], ["O", "I-PLACE"]]) is Scheme.IOB2


def test_malformed_tag_is_an_error() -> None:
    with pytest.raises(TagError, match="malformed tag 'B_ACTOR'"):
        tags_to_chunks(["B_ACTOR"], Scheme.IOB2)
