"""scripts/download_corpora.py, offline: fake upstream files stand in for the publishers'.

Every test runs the script's ``main()`` on archives built in ``tmp_path`` (or with ``fetch``
replaced), and checks the exact files written, as the data configs will read them.
"""

from __future__ import annotations

import hashlib
import io
import urllib.error
import zipfile
from email.message import Message
from pathlib import Path

import pytest

from araevent import LabelSchema
from araevent.io import load
from tests.conftest import load_script

dc = load_script("download_corpora")

# Two ANERcorp-like files as the CAMeL zip has them: one clean, one with a BOM, CRLF line ends,
# a tab separator and trailing blanks, which the conversion must turn into our plain layout.
TRAIN_UPSTREAM = "فرانكفورت B-LOC\n(د O\n\nوقال O\nبرند B-PERS\nجوتشولك I-PERS\n. O\n\n"
TEST_UPSTREAM = "\ufeffالصالحية\tB-LOC \r\nالمفرق B-LOC\r\n\r\nغيث B-PERS\r\nالطراونة I-PERS\r\n"
TEST_EXPECTED = "الصالحية B-LOC\nالمفرق B-LOC\n\nغيث B-PERS\nالطراونة I-PERS\n"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _anercorp_zip(folder: Path) -> Path:
    return _zip(
        folder / "ANERcorp-CamelLabSplits.zip",
        {
            # macOS resource forks: same base names (some with "._"), never the data
            "__MACOSX/ANERCorp_CamelLab_train.txt": b"\x00\x05junk",
            "ANERcorp-CamelLabSplits/ANERCorp_CamelLab_train.txt": TRAIN_UPSTREAM.encode(),
            "ANERcorp-CamelLabSplits/ANERCorp_CamelLab_test.txt": TEST_UPSTREAM.encode(),
            "ANERcorp-CamelLabSplits/README.txt": b"readme",
            "__MACOSX/ANERcorp-CamelLabSplits/._ANERCorp_CamelLab_test.txt": b"\x00\x05junk",
            "__MACOSX/ANERcorp-CamelLabSplits/ANERCorp_CamelLab_test.txt": b"\x00\x05junk",
        },
    )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = dc.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_anercorp_zip_is_converted_to_the_config_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _anercorp_zip(tmp_path / "downloads")
    dest = tmp_path / "shared"
    code, out, err = _run(
        capsys, "anercorp", "--archives", str(archive.parent), "--dest", str(dest)
    )

    assert (code, err) == (0, "")
    folder = dest / "data" / "anercorp"
    assert sorted(p.name for p in folder.iterdir()) == ["test.txt", "train.txt"]  # no .part left
    assert (folder / "train.txt").read_bytes() == TRAIN_UPSTREAM.encode()  # clean: unchanged
    assert (folder / "test.txt").read_bytes() == TEST_EXPECTED.encode()
    assert f"sha256 {hashlib.sha256(archive.read_bytes()).hexdigest()}" in out
    size = len(TRAIN_UPSTREAM.encode())
    assert f"wrote    train.txt: {size} B, 2 sentences, 6 tokens\n" in out
    assert f"wrote    test.txt: {len(TEST_EXPECTED.encode())} B, 2 sentences, 4 tokens\n" in out
    assert "CC BY-SA 4.0" in out
    assert f"araevent train data=anercorp-original shared={dest.resolve()}" in out


def test_converted_anercorp_loads_with_the_projects_conll_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _anercorp_zip(tmp_path / "downloads")
    dest = tmp_path / "shared"
    assert _run(capsys, "anercorp", "--archives", str(archive.parent), "--dest", str(dest))[0] == 0

    # as data=anercorp-original reads it: CoNLL, its own four labels, strict enough to fail on
    # a BOM or CR left in a token or a tag
    corpus = load(
        dest / "data" / "anercorp" / "test.txt",
        format="conll",
        label_map="anercorp-original",
        schema=LabelSchema(("PERS", "ORG", "LOC", "MISC")),
    )
    assert corpus.report.clean
    assert len(corpus) == 2
    assert [[(d.span_text(s), s.label) for s in d.spans] for d in corpus] == [
        [("الصالحية", "LOC"), ("المفرق", "LOC")],
        [("غيث الطراونة", "PERS")],
    ]


def test_existing_files_are_kept_unless_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = _anercorp_zip(tmp_path / "downloads").parent
    dest = tmp_path / "shared"
    args = ("anercorp", "--archives", str(archives), "--dest", str(dest))
    assert _run(capsys, *args)[0] == 0
    train = dest / "data" / "anercorp" / "train.txt"
    train.write_text("mine O\n", encoding="utf-8")

    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert "all target files exist: kept (use --force" in out
    assert train.read_text(encoding="utf-8") == "mine O\n"

    (dest / "data" / "anercorp" / "test.txt").unlink()  # one missing: written, the other kept
    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert "kept     train.txt (exists; use --force to overwrite)" in out
    assert train.read_text(encoding="utf-8") == "mine O\n"
    assert (dest / "data" / "anercorp" / "test.txt").read_text(encoding="utf-8") == TEST_EXPECTED

    assert _run(capsys, *args, "--force")[0] == 0
    assert train.read_bytes() == TRAIN_UPSTREAM.encode()


@pytest.mark.parametrize("name", ["araevent-news", "raw-news"])
def test_the_projects_own_data_is_not_downloadable(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "anercorp", name, "--dest", str(tmp_path / "shared"))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {name} is the project's own")
    assert "distributed separately" in err
    assert not (tmp_path / "shared").exists()  # refused before anything was fetched


def test_unknown_corpus_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "conll2003", "--dest", str(tmp_path))
    assert code == 2
    assert "unknown corpus 'conll2003'" in err


def test_missing_archive_is_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = tmp_path / "downloads"
    archives.mkdir()
    code, out, err = _run(
        capsys, "anercorp", "--archives", str(archives), "--dest", str(tmp_path / "shared")
    )
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: anercorp: ANERcorp-CamelLabSplits.zip not found in ")
    assert dc.ANERCORP_URL in err
    assert "data/anercorp/train.txt" not in out


def test_fetch_failure_names_the_url_and_leaves_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(url: str, dest: Path) -> None:
        dest.write_bytes(b"half a file")  # as an interrupted transfer would
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(dc, "fetch", offline)
    dest = tmp_path / "shared"
    code, _, err = _run(capsys, "wojood-sample", "anercorp", "--dest", str(dest))

    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 2 and "Traceback" not in err  # one line per corpus, the run goes on
    assert f"cannot download {dc.WOJOOD_RAW}/data/train.txt (" in lines[0]
    assert "--archives" in lines[0]
    assert f"cannot download {dc.ANERCORP_URL} (" in lines[1]
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_http_error_is_reported_with_its_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_found(url: str, dest: Path) -> None:
        raise urllib.error.HTTPError(url, 404, "Not Found", Message(), io.BytesIO())

    monkeypatch.setattr(dc, "fetch", not_found)
    code, _, err = _run(capsys, "aqmar", "--dest", str(tmp_path / "shared"))
    assert code == 1
    assert f"cannot download {dc.AQMAR_URL} (HTTP 404 Not Found)" in err


def test_a_web_page_saved_as_the_zip_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = tmp_path / "downloads"
    archives.mkdir()
    (archives / "AQMAR_Arabic_NER_corpus-1.0.zip").write_text("<html>moved</html>")
    code, _, err = _run(capsys, "aqmar", "--archives", str(archives), "--dest", str(tmp_path))
    assert code == 1
    assert err.count("\n") == 1
    assert "is not a readable zip archive" in err and dc.AQMAR_URL in err


def test_network_path_writes_verbatim_files_and_reports_upstream_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served = {
        f"{dc.WOJOOD_RAW}/data/train.txt": "قرية B-GPE\nأسدود I-GPE B-LOC\n$#$ O\n\n".encode(),
        f"{dc.WOJOOD_RAW}/data/val.txt": "جريدة B-ORG\n\n".encode(),
        f"{dc.WOJOOD_RAW}/data/test.txt": "نابلس B-GPE\r\n".encode(),  # kept as published
        f"{dc.WOJOOD_RAW}/LICENSE": b"MIT License\n",
    }
    fetched: list[str] = []

    def serve(url: str, dest: Path) -> None:
        assert dest.parent == tmp_path / "shared" / "data" / "wojood-sample"  # temp in target dir
        fetched.append(url)
        dest.write_bytes(served[url])

    monkeypatch.setattr(dc, "fetch", serve)
    code, out, err = _run(capsys, "wojood-sample", "--dest", str(tmp_path / "shared"))

    assert (code, err) == (0, "")
    assert fetched == list(served)
    folder = tmp_path / "shared" / "data" / "wojood-sample"
    assert sorted(p.name for p in folder.iterdir()) == [
        "LICENSE.repo.txt",
        "test.txt",
        "train.txt",
        "val.txt",
    ]
    for url, data in served.items():
        target = "LICENSE.repo.txt" if url.endswith("LICENSE") else url.rsplit("/", 1)[-1]
        assert (folder / target).read_bytes() == data
        assert f"sha256 {hashlib.sha256(data).hexdigest()}" in out
    size = len(served[f"{dc.WOJOOD_RAW}/data/train.txt"])
    assert f"train.txt: {size} B, 1 sentence, 2 tokens" in out  # the $#$ marker is no token
    assert "araevent train data=wojood" in out


def test_newsfane_and_license_clash_across_corpora(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = tmp_path / "downloads"
    newsfane = "\ufeff\u200eفرانكفورت\tB-Population-Center\r\n(\tO\r\n".encode()
    _zip(
        archives / "WikiFANE_2014_Gold_standard.zip",
        {
            "WikiFANECorp/License.txt": b"another corpus's licence",
            "WikiFANE_2014_Gold_standard/Readme.txt": b"readme",
            "WikiFANE_2014_Gold_standard/NewsFANE_Gold_2014_170K.txt": newsfane,
            "WikiFANE_2014_Gold_standard/License.txt": b"CC BY-SA 3.0\r\n",
        },
    )
    # both cameo-arabic and wojood-sample publish a LICENSE: per-corpus sub-folders tell them apart
    for name in dc.CAMEO_FILES:
        (archives / "cameo-arabic").mkdir(parents=True, exist_ok=True)
        (archives / "cameo-arabic" / name).write_bytes(f"# {name}\r\n".encode())
    (archives / "cameo-arabic" / "LICENSE").write_bytes(b"Open Event Data Alliance")
    (archives / "LICENSE").write_bytes(b"a LICENSE of something else")
    dest = tmp_path / "shared"

    code, _, err = _run(
        capsys, "newsfane", "cameo-arabic", "--archives", str(archives), "--dest", str(dest)
    )

    assert (code, err) == (0, "")
    data = dest / "data"
    assert (data / "newsfane" / "NewsFANE_Gold_2014_170K.txt").read_bytes() == newsfane
    assert (data / "newsfane" / "License.txt").read_bytes() == b"CC BY-SA 3.0\r\n"
    assert (data / "cameo-arabic" / "LICENSE.repo.txt").read_bytes() == b"Open Event Data Alliance"
    assert (data / "cameo-arabic" / "synsets.ar.txt").read_bytes() == b"# synsets.ar.txt\r\n"
    assert len(list((data / "cameo-arabic").iterdir())) == 7


def test_aqmar_zip_and_an_unpacked_download(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = {f"{a}.txt": f"{a} B-PER\r\nفي O\r\n\r\n".encode() for a in dc.AQMAR_ARTICLES}
    zipped = _zip(tmp_path / "zip" / "AQMAR_Arabic_NER_corpus-1.0.zip", articles)
    code, out, err = _run(
        capsys, "aqmar", "--archives", str(zipped.parent), "--dest", str(tmp_path / "a")
    )
    assert (code, err) == (0, "")
    written = tmp_path / "a" / "data" / "aqmar" / "articles"
    assert len(list(written.iterdir())) == 28
    assert (written / "Razi.txt").read_text(encoding="utf-8") == "Razi B-PER\nفي O\n\n"
    assert out.count(", 1 sentence, 2 tokens\n") == 28

    # a browser that unpacks zips (Safari does) leaves a folder named after the archive
    unpacked = tmp_path / "browser" / "AQMAR_Arabic_NER_corpus-1.0"
    unpacked.mkdir(parents=True)
    for name, content in articles.items():
        (unpacked / name).write_bytes(content)
    code, _, err = _run(
        capsys, "aqmar", "--archives", str(unpacked.parent), "--dest", str(tmp_path / "b")
    )
    assert (code, err) == (0, "")
    written_b = tmp_path / "b" / "data" / "aqmar" / "articles"
    assert {p.name: p.read_bytes() for p in written_b.iterdir()} == {
        p.name: p.read_bytes() for p in written.iterdir()
    }


def test_list_names_every_corpus_with_licence_sources_and_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "--list")
    assert code == 0
    for corpus in dc.CORPORA:
        assert f"{corpus.name}\n  licence: {corpus.licence}\n" in out
        for upstream in corpus.upstreams:
            assert f"  source:  {upstream.url}\n" in out
    assert "writes:  data/anercorp/train.txt, test.txt (2)" in out
    assert "araevent-news: not downloadable" in out and "raw-news: not downloadable" in out


def test_normalise_conll_keeps_tokens_with_inner_no_break_space() -> None:
    assert dc.normalise_conll("a\u00a0b  O \r\n".encode(), "x") == "a\u00a0b O\n".encode()
    clean = "كلمة O\n\n".encode()
    assert dc.normalise_conll(clean, "x") == clean


def test_a_web_page_served_instead_of_the_zip_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def landing_page(url: str, dest: Path) -> None:
        dest.write_bytes(b"<!DOCTYPE html><html>By downloading the ANERcorp files...</html>")

    monkeypatch.setattr(dc, "fetch", landing_page)
    dest = tmp_path / "shared"
    code, _, err = _run(capsys, "anercorp", "--dest", str(dest))
    assert code == 1
    assert err.count("\n") == 1
    assert f"error: anercorp: {dc.ANERCORP_URL} is not a readable zip archive" in err
    assert "--archives downloads" in err
    assert [p for p in dest.rglob("*") if p.is_file()] == []


def test_a_file_that_is_not_utf8_names_the_corpus_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _zip(
        tmp_path / "downloads" / "ANERcorp-CamelLabSplits.zip",
        {
            "ANERCorp_CamelLab_train.txt": "قال O\n".encode("cp1256"),
            "ANERCorp_CamelLab_test.txt": "قال O\n".encode(),
        },
    )
    code, _, err = _run(
        capsys, "anercorp", "--archives", str(archive.parent), "--dest", str(tmp_path / "s")
    )
    assert code == 1
    assert err.startswith("error: anercorp: ANERCorp_CamelLab_train.txt is not UTF-8 text")
    assert not (tmp_path / "s" / "data" / "anercorp" / "test.txt").exists()  # nothing half done
