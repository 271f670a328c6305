"""Every ```python block of README.md runs, so that its examples cannot rot.

Each block is written to a file and run with ``python FILE`` (not ``-c``: a ``spawn`` worker
re-imports the file it was started from, as it would a user's script) in a temporary folder
that holds what the README leaves to the reader. These placeholders are the whole contract
between the README and this test:

- ``models/runs/<run>`` (also ``<a>``, ``<b>``): ``<run>`` is replaced by a link, in that
  folder, to the session's tiny trained run (``tiny_run``);
- ``OUT``, ``texts``, ``lines``, ``preds``, ``refs``: names a preamble defines before the
  block (and nothing else, no import): the tiny run exported with ONNX and int8
  (``exported``), the sample dev texts, an iterator over them, and predicted and gold BIO
  tags;
- ``data/``: the repository's ``data`` folder;
- the loading example's files: ``train.txt`` and ``wojood/train.txt`` are ANERcorp's and
  Wojood's training files in ``../shared`` (the block is skipped without them),
  ``brat_folder/`` is the sample's brat export, ``export.json`` and ``doccano.jsonl`` are
  small Label Studio and doccano exports written here.

An HTML comment on the line before a block, invisible on GitHub, says when not to run it:
``<!-- no-run: REASON -->`` (it needs what a test cannot have, such as a cloud bucket) or
``<!-- slow: REASON -->`` (it runs with ``pytest -m slow`` only).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from araevent.io import load
from tests.conftest import REPO, SAMPLE, SHARED

README = REPO / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
MARK = re.compile(r"<!--\s*(no-run|slow):\s*(.+?)\s*-->")
RUN = "tiny"  # what ``<run>``, ``<a>`` and ``<b>`` become

PREAMBLE = """\
OUT = {out!r}
texts = {texts!r}
lines = iter(texts)
refs = [["B-ACTOR", "I-ACTOR", "O", "B-TRIGGER", "B-PLACE"]]
preds = [["B-ACTOR", "I-ACTOR", "O", "O", "B-ACTOR"]]
"""

SHARED_FILES = {"train.txt": "anercorp/train.txt", "wojood/train.txt": "wojood-sample/train.txt"}

TEXT = "طالبت روسيا بالانسحاب"
LABEL_STUDIO = [
    {
        "id": 1,
        "data": {"text": TEXT},
        "annotations": [
            {
                "result": [
                    {
                        "type": "labels",
                        "value": {"start": 6, "end": 11, "text": "روسيا", "labels": ["ACTOR"]},
                    }
                ]
            }
        ],
    }
]
DOCCANO = {"id": 1, "text": TEXT, "label": [[0, 5, "TRIGGER"], [6, 11, "ACTOR"]]}


@dataclass(frozen=True)
class Snippet:
    """One ```python block: its first line in README.md, its code and its mark, if any."""

    line: int
    code: str
    mark: str | None = None
    reason: str = ""


def snippets(text: str) -> list[Snippet]:
    """The README's python blocks, each with the mark on the nearest non-blank line above."""
    found = []
    for match in BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        above = text[: match.start()].rstrip().rsplit("\n", 1)[-1]
        mark = MARK.fullmatch(above.strip())
        found.append(Snippet(line, match.group(1), *(mark.groups() if mark else (None, ""))))
    return found


def cases() -> list[Any]:
    """One pytest case per block, skipped or marked slow as the README says."""
    params = []
    for snippet in snippets(README.read_text(encoding="utf-8")):
        marks: list[pytest.MarkDecorator] = []
        if snippet.mark == "no-run":
            marks.append(pytest.mark.skip(reason=f"README marks it no-run: {snippet.reason}"))
        elif snippet.mark == "slow":
            marks.append(pytest.mark.slow)
        params.append(pytest.param(snippet, id=f"README.md:{snippet.line}", marks=marks))
    return params


def prepare(folder: Path, code: str, request: pytest.FixtureRequest) -> str:
    """Lay out in ``folder`` what ``code`` needs; return the code with its preamble."""
    (folder / "data").symlink_to(REPO / "data", target_is_directory=True)
    if "<run>" in code or "<a>" in code:
        runs = folder / "models" / "runs"
        runs.mkdir(parents=True)
        (runs / RUN).symlink_to(request.getfixturevalue("tiny_run").output_dir)
    for name, source in SHARED_FILES.items():
        if f'"{name}"' in code:
            if not (SHARED / "data" / source).is_file():
                pytest.skip(f"{name}: shared corpora not found at {SHARED} (set ARAEVENT_SHARED)")
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).symlink_to(SHARED / "data" / source)
    (folder / "brat_folder").symlink_to(SAMPLE / "test-brat", target_is_directory=True)
    (folder / "export.json").write_text(json.dumps(LABEL_STUDIO), encoding="utf-8")
    (folder / "doccano.jsonl").write_text(json.dumps(DOCCANO) + "\n", encoding="utf-8")
    out = str(request.getfixturevalue("exported")) if re.search(r"\bOUT\b", code) else ""
    preamble = PREAMBLE.format(out=out, texts=[doc.text for doc in load(SAMPLE / "dev.jsonl")])
    return preamble + re.sub(r"<(run|a|b)>", RUN, code)


@pytest.mark.parametrize("snippet", cases())
def test_readme_python_block_runs(
    snippet: Snippet, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(prepare(tmp_path, snippet.code, request), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # README examples claim to need no network
    done = subprocess.run(
        [sys.executable, script.name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"README.md:{snippet.line} failed:\n{done.stderr[-3000:]}"


def test_marks_are_read_from_the_line_above_a_block() -> None:
    text = (
        "intro\n\n<!-- no-run: needs Ray -->\n```python\nimport ray\n```\n\n```python\nx = 1\n```\n"
    )
    first, second = snippets(text)
    assert (first.line, first.code, first.mark, first.reason) == (
        4,
        "import ray\n",
        "no-run",
        "needs Ray",
    )
    assert (second.line, second.mark) == (8, None)
