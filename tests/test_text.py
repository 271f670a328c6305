from hypothesis import given
from hypothesis import strategies as st

from araevent.data.text import (
    NormalizationConfig,
    Normalizer,
    normalize,
    sentences,
    strip_proclitics,
    tokens,
    words,
)


def surfaces(text: str, offsets: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in offsets]


def test_words_follow_the_guidelines() -> None:
    text = "في 15 تموز/يوليو 2016، قصفت «الطائرات» مواقعَ"
    assert surfaces(text, words(text)) == [
        "في",
        "15",
        "تموز",
        "يوليو",
        "2016",
        "قصفت",
        "الطائرات",
        "مواقعَ",
    ]


def test_tokens_keep_each_punctuation_mark() -> None:
    text = "قال: «لا»؟"
    assert surfaces(text, tokens(text)) == ["قال", ":", "«", "لا", "»", "؟"]


def test_bidi_marks_join_no_token_and_never_start_a_word() -> None:
    text = "\u200eالإمارات \u200fو\u200cهذا"
    assert surfaces(text, words(text)) == ["الإمارات", "و\u200cهذا"]


def test_sentences_split_on_arabic_punctuation_and_newlines_not_decimals() -> None:
    text = "بلغ العدد 3.5 مليون. هل انتهى؟ نعم! ثم؛ بعدها\nسطر جديد"
    assert surfaces(text, sentences(text)) == [
        "بلغ العدد 3.5 مليون.",
        "هل انتهى؟",
        "نعم!",
        "ثم؛",
        "بعدها",
        "سطر جديد",
    ]


def test_sentence_keeps_closing_quote() -> None:
    text = "قال «انتهى.» ثم غادر."
    assert surfaces(text, sentences(text)) == ["قال «انتهى.»", "ثم غادر."]


def test_normalisation_defaults() -> None:
    result = normalize("الجَيْشُ الـــعراقي إلى أربيل في ٣ آذار\u200f")
    assert result.text == "الجيش العراقي الي اربيل في 3 اذار"


def test_ta_marbuta_is_optional() -> None:
    assert normalize("مدينة").text == "مدينة"
    assert normalize("مدينة", NormalizationConfig(ta_marbuta=True)).text == "مدينه"


def test_each_normalisation_can_be_switched_off() -> None:
    text = "الجَيْشُ ـ إلى ٣\u200f"
    assert (
        normalize(
            text,
            NormalizationConfig(
                diacritics=False,
                tatweel=False,
                alef=False,
                alef_maqsura=False,
                digits=False,
                bidi=False,
            ),
        ).text
        == text
    )


def test_span_in_normalised_text_maps_back_with_its_final_mark() -> None:
    original = "قصفت الطائراتُ التركيـــة"
    result = normalize(original)
    start = result.text.index("الطائرات التركية")
    s, e = result.to_original(start, start + len("الطائرات التركية"))
    assert original[s:e] == "الطائراتُ التركيـــة"


def test_leading_bidi_mark_stays_outside_mapped_span() -> None:
    original = "في \u200eالإمارات"
    result = normalize(original)
    s, e = result.to_original(3, len(result.text))
    assert original[s:e] == "الإمارات"


def test_non_bmp_characters_pass_through() -> None:
    original = "هجوم 🚀 قرب"
    result = normalize(original)
    assert result.text == original
    assert list(result.starts) == list(range(len(original)))


ARABIC_ISH = st.text(
    alphabet=st.sampled_from(
        [
            *"ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإىةٱ ٠١٢٩.،\n",
            "\u064e",
            "\u064f",
            "\u0650",
            "\u0651",
            "\u0652",
            "\u0640",
            "\u200e",
            "\u200f",
            "\u061c",
            "\u0670",
            "😀",
            "a",
        ]
    ),
    max_size=60,
)


@given(ARABIC_ISH, st.booleans(), st.booleans())
def test_offset_map_is_monotonic_and_points_into_the_original(
    text: str, ta_marbuta: bool, digits: bool
) -> None:
    normalizer = Normalizer(NormalizationConfig(ta_marbuta=ta_marbuta, digits=digits))
    result = normalizer(text)
    assert result.text == normalizer.normalize_str(text)
    assert len(result.starts) == len(result.ends) == len(result.text)
    for i, char in enumerate(result.text):
        start, end = int(result.starts[i]), int(result.ends[i])
        assert 0 <= start < end <= len(text)
        assert normalizer.normalize_str(text[start:end]) == char
        if i + 1 < len(result.text):
            assert end <= result.starts[i + 1]


def test_proclitics_are_stripped_only_when_unambiguous() -> None:
    assert strip_proclitics("والروس").text == "الروس"
    assert strip_proclitics("بالقوات الأمريكية").text == "القوات الأمريكية"
    assert strip_proclitics("وزير").text == "وزير"
    assert strip_proclitics("بغداد").text == "بغداد"


def test_lam_lam_restores_the_article() -> None:
    core = strip_proclitics("للنظام السوري")
    assert core.text == "النظام السوري"
    assert (core.start, core.end) == (1, len("للنظام السوري"))


def test_vocabulary_decides_bare_stems() -> None:
    vocabulary = {"روسيا", "لبنان"}
    assert strip_proclitics("وروسيا", vocabulary=vocabulary).text == "روسيا"
    assert strip_proclitics("للبنان", vocabulary=vocabulary).text == "لبنان"
    assert strip_proclitics("وروسيا").text == "وروسيا"


def test_core_offsets_point_into_the_text() -> None:
    text = "طلب الكرد من والروس"
    core = strip_proclitics(text, 13, len(text))
    assert text[core.start : core.end] == core.text == "الروس"
