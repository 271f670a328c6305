"""Whether an event lexicon could teach the triggers a model misses: how many of them it
matches, and how precise its matches are as labels.

Why: most triggers a model misses are words the training documents never tag (see
error_sources.py), and the Arabic CAMEO dictionaries list event verbs and nouns by the
thousand. A lexicon can only label raw text for a student if it reaches those words *and* its
matches are mostly triggers. The script measures both: of the missed TRIGGER spans whose core
is never a trigger's core in train, the share whose word the lexicon matches; and, over every
word of the training text, the share of lexicon matches that lie inside a gold TRIGGER.

Matching is generous by default (a light stemmer, not a morphological analyser): hamza forms,
alef maqsura and ta marbuta folded; proclitics, common suffixes and imperfect prefixes
stripped; a match of any resulting stem counts. ``--strict`` matches only the word or it
without a proclitic, against entries of three letters or more: fewer matches, more of them
right.

    python scripts/lexicon_coverage.py models/bench/news-first-distill-s42 \\
        models/bench/news-first-distill-s1 models/bench/news-first-distill-s2
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).parent))

from error_sources import SHARED, TrainingUse, add_run_arguments, run_errors

from araevent.data.document import Document
from araevent.io import load

CAMEO = SHARED / "data" / "cameo-arabic" / "CAMEO.ar.0.5.txt"
LABEL = "TRIGGER"
MARKS = re.compile(r"[\u064b-\u065f\u0640\u0670]")
FOLD = str.maketrans("أإآٱىة", "اااايه")
ARABIC_WORD = re.compile(r"[\u0621-\u064a\u064b-\u065f\u0670]+")
PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "س", "ك")
SUFFIXES = ("اتها", "اتهم", "ات", "ون", "ين", "وا", "ها", "هم", "ان", "ه", "ت", "ي", "ن")
IMPERFECT = ("است", "ست", "ي", "ت", "ن", "ا")


def normalise(word: str) -> str:
    """Without diacritics and tatweel, with hamza forms, alef maqsura and ta marbuta folded."""
    return MARKS.sub("", word).translate(FOLD)


def cameo_words(path: Path) -> set[str]:
    """The verbs a CAMEO verb dictionary lists: the first word of each entry line (``اضرم+نار+في``
    gives ``اضرم``), normalised; synonym sets, section heads, comments and the object patterns
    below each verb (``- * نار ...``) are left out, as their words (prepositions, objects) are
    no events themselves."""
    words = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry or entry.startswith(("---", "&", "+", "-")):
            continue
        word = normalise(re.split(r"[\s+_\[]", entry, maxsplit=1)[0])
        if len(word) >= 2 and ARABIC_WORD.fullmatch(word):
            words.add(word)
    return words


def _strip(words: set[str], affixes: Sequence[str], at_start: bool, keep: int) -> set[str]:
    """``words`` and each with one of ``affixes`` removed from its start (or end), where at
    least ``keep`` letters remain."""
    out = set(words)
    for word in words:
        for affix in affixes:
            if len(word) - len(affix) < keep:
                continue
            if at_start and word.startswith(affix):
                out.add(word[len(affix) :])
            elif not at_start and word.endswith(affix):
                out.add(word[: -len(affix)])
    return out


def stems(word: str) -> set[str]:
    """The word and what remains of it after stripping a proclitic, a suffix and an imperfect
    prefix (each optional)."""
    found = _strip({normalise(word)}, PREFIXES, at_start=True, keep=2)
    found = _strip(found, SUFFIXES, at_start=False, keep=2)
    return _strip(found, IMPERFECT, at_start=True, keep=3)


def matches(word: str, lexicon: set[str]) -> bool:
    """Whether a stem of ``word`` (or it with a leading alef or final ta marbuta restored, as
    lemmas of derived verbs and verbal nouns are written) is in ``lexicon``."""
    return any(
        stem in lexicon or "ا" + stem in lexicon or stem + "ه" in lexicon for stem in stems(word)
    )


def matches_strictly(word: str, lexicon: set[str]) -> bool:
    """Whether ``word``, or it without a proclitic, is an entry of three letters or more."""
    forms = _strip({normalise(word)}, PREFIXES, at_start=True, keep=3)
    return any(len(form) >= 3 and form in lexicon for form in forms)


class TrainMatches(NamedTuple):
    """Words of the training text: all, those in a gold TRIGGER, those the lexicon matches,
    and those both matched and in a TRIGGER."""

    words: int
    in_triggers: int
    matched: int
    matched_in_triggers: int
    wrong: Counter[str]  # matched words outside every TRIGGER


def train_matches(
    documents: Sequence[Document], lexicon: set[str], match: Callable[[str, set[str]], bool]
) -> TrainMatches:
    words = in_triggers = matched = both = 0
    wrong: Counter[str] = Counter()
    for doc in documents:
        triggers = [(s.start, s.end) for s in doc.spans if s.label == LABEL]
        for word in ARABIC_WORD.finditer(doc.text):
            inside = any(a <= word.start() and word.end() <= b for a, b in triggers)
            hit = match(word.group(), lexicon)
            words += 1
            in_triggers += inside
            matched += hit
            both += hit and inside
            if hit and not inside:
                wrong[word.group()] += 1
    return TrainMatches(words, in_triggers, matched, both, wrong)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_arguments(parser)
    parser.add_argument("--lexicon", type=Path, default=CAMEO, help="a CAMEO verb dictionary")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="match only the word or it without a proclitic, entries of 3 letters or more",
    )
    args = parser.parse_args(argv)
    match = matches_strictly if args.strict else matches
    try:
        lexicon = cameo_words(args.lexicon)
        train = list(load(args.train))
        found = run_errors(args.gold, args.runs, args.split)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    use = TrainingUse(train)
    missed = [s for label, kind, s in found if label == LABEL and kind == "missed"]
    untaught = [s for s in missed if not use.core_taught(s, LABEL)]
    reached = [s for s in untaught if len(s.split()) == 1 and match(s, lexicon)]
    train_words = train_matches(train, lexicon, match)
    runs = len(args.runs)
    print("python scripts/lexicon_coverage.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"\n{args.lexicon.name}: {len(lexicon):,} words; {runs} runs\n")
    head = ["missed triggers a run", "untaught", "matched by the lexicon", "share"]
    print("| " + " | ".join(head) + " |\n" + "|---:" * len(head) + "|")
    share = len(reached) / len(untaught) if untaught else 0.0
    counts = [len(missed) / runs, len(untaught) / runs, len(reached) / runs]
    print("| " + " | ".join(f"{n:.1f}" for n in counts) + f" | {share:.2f} |")
    print("\nthe lexicon as a labeller of the training text (Arabic words)\n")
    head = ["words", "in a TRIGGER", "matched", "matched, in a TRIGGER", "precision", "recall"]
    print("| " + " | ".join(head) + " |\n" + "|---:" * len(head) + "|")
    t = train_words
    precision = t.matched_in_triggers / t.matched if t.matched else 0.0
    recall = t.matched_in_triggers / t.in_triggers if t.in_triggers else 0.0
    counts = [t.words, t.in_triggers, t.matched, t.matched_in_triggers]
    cells = [f"{n:,}" for n in counts] + [f"{precision:.3f}", f"{recall:.3f}"]
    print("| " + " | ".join(cells) + " |")
    wrong = ", ".join(f"`{w}` {n}" for w, n in t.wrong.most_common(12))
    print(f"\nmatched outside every trigger, most frequent: {wrong}")
    common = ", ".join(f"`{s}`" for s, _ in Counter(reached).most_common(12))
    print(f"\nmatched untaught triggers, most frequent: {common}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
