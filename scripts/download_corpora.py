"""Fetch the public corpora the hydra data configs read, into the layout those configs expect.

The configs under ``src/araevent/configs/data/`` read ``${shared}/data/<corpus>/...``, where
``shared`` is ``../shared`` unless ``ARAEVENT_SHARED`` or the override ``shared=DIR`` says
otherwise. This script downloads each corpus from its publisher, converts it where the upstream
packaging differs (a zip, other file names, a byte-order mark or CRLF line ends in a CoNLL file),
and writes ``DEST/data/<corpus>/...`` so that ``araevent train data=<config> shared=DEST`` works.

    python scripts/download_corpora.py --list
    python scripts/download_corpora.py                      # every downloadable corpus
    python scripts/download_corpora.py anercorp aqmar --dest ../shared
    python scripts/download_corpora.py --archives ~/Downloads   # no internet: files fetched by hand

Without internet, download the files listed by ``--list`` with a browser into ``DIR/<corpus>/``
(or straight into ``DIR`` where no two corpora publish a file of the same name: both Wojood and
UniversalPetrarch publish a ``LICENSE``) and pass ``--archives DIR``.

``araevent-news`` and ``raw-news`` are the project's own data and are distributed separately.
Standard library only, so it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_S = 30
DEFAULT_DEST = "../shared"  # the configs' default for ${shared}
USER_AGENT = "araevent-download-corpora (python urllib)"
CHUNK = 1 << 16

# The project's own data: nothing public to fetch.
NOT_DOWNLOADABLE = {
    "araevent-news": "the project's own ACTOR/PLACE/DATE/TRIGGER benchmark",
    "raw-news": "the project's own de-duplicated raw news text",
}

Files = Mapping[str, bytes]  # upstream (or zip member) base name -> content
Converter = Callable[[Files], dict[str, bytes]]  # -> target path under data/<corpus>/ -> content


class CorpusError(Exception):
    """A corpus could not be fetched or read; the message is one line telling what to do."""


@dataclass(frozen=True)
class Upstream:
    """One file as its publisher distributes it.

    ``name`` is the file name a browser saves it under: ``--archives`` looks it up by that name.
    ``members`` names (by base name) the files the corpus needs from inside it when it is a zip.
    """

    name: str
    url: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class CorpusSource:
    """A public corpus: where it comes from, its licence, and how it becomes our layout."""

    name: str
    licence: str
    page: str  # where a person finds the corpus (and its download link) by hand
    upstreams: tuple[Upstream, ...]
    targets: tuple[str, ...]  # paths under DEST/data/<name>/ that convert() writes
    convert: Converter
    configs: tuple[str, ...] = ()  # hydra data configs that read it
    conll: bool = True  # report sentence and token counts of the data files
    notes: tuple[str, ...] = ()


# --- conversions -------------------------------------------------------------------------------


def normalise_conll(data: bytes, source: str) -> bytes:
    """``token tag`` lines as our CoNLL files have them: UTF-8 without BOM, LF line ends,
    one space between columns, no trailing blanks.

    Why: our layout (and the copies the project was developed with) is that plain form, while a
    re-packaged archive or an editor on the way may add a BOM, CRLF or tabs. Only spaces and tabs
    separate columns: a no-break space inside a token stays in the token. A file already in the
    plain form comes out byte for byte unchanged, so its sha256 stays comparable.
    """
    text = _decode(data, source).removeprefix("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = [re.sub(r"[ \t]+", " ", line.strip(" \t")) for line in lines]
    result = "\n".join(out)
    return (result if result.endswith("\n") else result + "\n").encode("utf-8")


def verbatim(renames: Mapping[str, str]) -> Converter:
    """Copy files unchanged, under our names (``renames``: upstream name -> target path).

    Why unchanged: Wojood, NewsFANE and the CAMEO dictionaries are used exactly as published
    (NewsFANE's BOM, CRLF and U+200E marks included: the loader handles them), so keeping the
    bytes keeps the upstream sha256 meaningful.
    """

    def convert(files: Files) -> dict[str, bytes]:
        return {target: files[name] for name, target in renames.items()}

    return convert


def conll_renames(renames: Mapping[str, str]) -> Converter:
    """Normalise each file with :func:`normalise_conll` and store it under our name."""

    def convert(files: Files) -> dict[str, bytes]:
        return {target: normalise_conll(files[name], name) for name, target in renames.items()}

    return convert


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{source} is not UTF-8 text ({exc})") from None


# --- the corpora -------------------------------------------------------------------------------

# ANERcorp, CAMeL Lab train/test split (Obeid et al. 2020).
# Page: https://camel.abudhabi.nyu.edu/anercorp/ (found in aub-mind/arabert's README and
# examples/AraBERT_ANERCorp_CamelSplits.ipynb, LLMeBench's ANERcorp dataset and many model cards).
# The archive name ANERcorp-CamelLabSplits.zip and its content (a folder ANERcorp-CamelLabSplits/
# with ANERCorp_CamelLab_train.txt, ANERCorp_CamelLab_test.txt, ANERCorp_Benajiba.txt, README.txt,
# plus __MACOSX/ entries; `token TAG` separated by one space, LF, blank line between sentences)
# are confirmed by the unzip and head output stored in that arabert notebook.
# UNCONFIRMED: the direct URL of the zip. The page links it as "HERE" and no public source we could
# read spells the link out; the URL below is the page folder plus the archive name. If it fails,
# the error message sends the user to the page and --archives.
ANERCORP_URL = "https://camel.abudhabi.nyu.edu/anercorp/ANERcorp-CamelLabSplits.zip"

# Wojood public sample: data/{train,val,test}.txt and LICENSE (MIT) of SinaLab/ArabicNER (paths
# and format read in a stored copy of the repository: the same `token tag...` columns with `$#$`
# markers as our files). The default branch name was not confirmed, so the URLs use HEAD, which
# raw.githubusercontent.com resolves to the default branch.
WOJOOD_RAW = "https://raw.githubusercontent.com/SinaLab/ArabicNER/HEAD"

# AQMAR: this URL is the one of a Hugging Face `datasets` loading script for AQMAR (public GitHub
# code); flair's NER_ARABIC_AQMAR docstring names the same file over http, and stanza's
# stanza/utils/datasets/ner/convert_ar_aqmar.py reads this archive. Stanza's converter shows the
# layout: exactly 28 `<Article>.txt` files at the zip root, UTF-8, two whitespace-separated
# columns; the loading script lists the 28 names used below.
AQMAR_URL = "https://www.cs.cmu.edu/~ark/ArabicNER/AQMAR_Arabic_NER_corpus-1.0.zip"
AQMAR_ARTICLES = (
    "Atom", "Christiano_Ronaldo", "Computer", "Computer_Software", "Crusades", "Damascus",
    "Enrico_Fermi", "Football", "Ibn_Tolun_Mosque", "Imam_Hussein_Shrine", "Internet",
    "Islamic_Golden_Age", "Islamic_History", "Light", "Linux", "Nuclear_Power", "Periodic_Table",
    "Physics", "Portugal_football_team", "Raul_Gonzales", "Razi", "Real_Madrid",
    "Richard_Stallman", "Soccer_Worldcup", "Solaris", "Summer_Olympics2004", "Ummaya_Mosque",
    "X_window_system",
)  # fmt: skip

# NewsFANE Gold (Alotaibi and Lee, COLING 2014), CC BY-SA 3.0. Its Readme names
# http://www.cs.bham.ac.uk/~fsa081/ as the download site; the author's current page is
# https://fsalotaibi.kau.edu.sa/Pages-Arabic-NE-Corpora.aspx, and bvanaken/visbert's
# data/Finegrained/data-links.txt also lists
# https://sourceforge.net/projects/arabic-named-entity-corpora/files/ . None of these gives a
# file URL we could read, so the download uses the archive WikiFANE_2014_Gold_standard.zip kept
# in the GitHub repository ibrahim85/Arabic-Named-Entity-Recognition-1 (a third-party mirror;
# github.com/.../raw/ redirects to the file, through Git LFS if it is stored there).
# bvanaken/visbert has the same folder extracted (WikiFANE_2014_Gold_standard/ with
# NewsFANE_Gold_2014_170K.txt, License.txt, Readme.txt): the member names come from there.
# UNCONFIRMED: the zip's inner folders (members are matched by base name anywhere in it), that
# the mirror's zip is the publisher's, and the mirror's branch (HEAD is used).
NEWSFANE_URL = (
    "https://github.com/ibrahim85/Arabic-Named-Entity-Recognition-1/raw/HEAD/"
    "WikiFANE_2014_Gold_standard.zip"
)

# Arabic CAMEO dictionaries of openeventdata/UniversalPetrarch (MIT). The folder
# UniversalPetrarch/data/dictionaries/arabic/ and the names CAMEO.ar.0.5.txt, actor_dict_ar_v4.txt,
# agents.all.ar_v3.txt and PETR.Internal.Coding.Ontology.txt are those of
# UniversalPetrarch/data/config/PETR_AR_config.ini (commit 843e3cd); synsets.ar.txt and
# verbs_assualt_only.txt were read in that folder; the branch name master comes from the links in
# the repository's README. The files are used as published (the ontology file has CRLF ends).
CAMEO_RAW = "https://raw.githubusercontent.com/openeventdata/UniversalPetrarch/master"
CAMEO_DIR = f"{CAMEO_RAW}/UniversalPetrarch/data/dictionaries/arabic"
CAMEO_FILES = (
    "CAMEO.ar.0.5.txt",
    "actor_dict_ar_v4.txt",
    "agents.all.ar_v3.txt",
    "synsets.ar.txt",
    "verbs_assualt_only.txt",
    "PETR.Internal.Coding.Ontology.txt",
)

CORPORA: tuple[CorpusSource, ...] = (
    CorpusSource(
        name="anercorp",
        licence="CC BY-SA 4.0 (CAMeL Lab split of ANERcorp)",
        page="https://camel.abudhabi.nyu.edu/anercorp/",
        upstreams=(
            Upstream(
                "ANERcorp-CamelLabSplits.zip",
                ANERCORP_URL,
                members=("ANERCorp_CamelLab_train.txt", "ANERCorp_CamelLab_test.txt"),
            ),
        ),
        targets=("train.txt", "test.txt"),
        convert=conll_renames(
            {"ANERCorp_CamelLab_train.txt": "train.txt", "ANERCorp_CamelLab_test.txt": "test.txt"}
        ),
        configs=("anercorp-original", "anercorp"),
        notes=("ANERcorp and NewsFANE share their text: never train on one, test on the other.",),
    ),
    CorpusSource(
        name="wojood-sample",
        licence="MIT (repository)",
        page="https://github.com/SinaLab/ArabicNER",
        upstreams=(
            Upstream("train.txt", f"{WOJOOD_RAW}/data/train.txt"),
            Upstream("val.txt", f"{WOJOOD_RAW}/data/val.txt"),
            Upstream("test.txt", f"{WOJOOD_RAW}/data/test.txt"),
            Upstream("LICENSE", f"{WOJOOD_RAW}/LICENSE"),
        ),
        targets=("train.txt", "val.txt", "test.txt", "LICENSE.repo.txt"),
        convert=verbatim(
            {
                "train.txt": "train.txt",
                "val.txt": "val.txt",
                "test.txt": "test.txt",
                "LICENSE": "LICENSE.repo.txt",
            }
        ),
        configs=("wojood",),
    ),
    CorpusSource(
        name="aqmar",
        licence="CC BY-SA 3.0",
        page="http://www.cs.cmu.edu/~ark/ArabicNER/",
        upstreams=(
            Upstream(
                "AQMAR_Arabic_NER_corpus-1.0.zip",
                AQMAR_URL,
                members=tuple(f"{article}.txt" for article in AQMAR_ARTICLES),
            ),
        ),
        targets=tuple(f"articles/{article}.txt" for article in AQMAR_ARTICLES),
        convert=conll_renames({f"{a}.txt": f"articles/{a}.txt" for a in AQMAR_ARTICLES}),
        configs=("aqmar",),
    ),
    CorpusSource(
        name="newsfane",
        licence="CC BY-SA 3.0",
        page="https://fsalotaibi.kau.edu.sa/Pages-Arabic-NE-Corpora.aspx",
        upstreams=(
            Upstream(
                "WikiFANE_2014_Gold_standard.zip",
                NEWSFANE_URL,
                members=("NewsFANE_Gold_2014_170K.txt", "License.txt"),
            ),
        ),
        targets=("NewsFANE_Gold_2014_170K.txt", "License.txt"),
        convert=verbatim(
            {
                "NewsFANE_Gold_2014_170K.txt": "NewsFANE_Gold_2014_170K.txt",
                "License.txt": "License.txt",
            }
        ),
        configs=("newsfane",),
        notes=("ANERcorp and NewsFANE share their text: never train on one, test on the other.",),
    ),
    CorpusSource(
        name="cameo-arabic",
        licence="MIT",
        page="https://github.com/openeventdata/UniversalPetrarch",
        upstreams=(
            *(Upstream(name, f"{CAMEO_DIR}/{name}") for name in CAMEO_FILES),
            Upstream("LICENSE", f"{CAMEO_RAW}/LICENSE"),
        ),
        targets=(*CAMEO_FILES, "LICENSE.repo.txt"),
        convert=verbatim({**{name: name for name in CAMEO_FILES}, "LICENSE": "LICENSE.repo.txt"}),
        conll=False,
    ),
)

BY_NAME = {corpus.name: corpus for corpus in CORPORA}


# --- getting the upstream files ----------------------------------------------------------------


def fetch(url: str, dest: Path) -> None:
    """Download ``url`` into the file ``dest`` (a temporary file), with a timeout.

    Kept as one small function so tests can replace it; it raises what urllib raises.
    """
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, dest.open("wb") as out:
        while chunk := response.read(CHUNK):
            out.write(chunk)


@contextmanager
def temporary_path(folder: Path, name: str) -> Iterator[Path]:
    """A fresh file in ``folder`` that is removed on the way out, however the block ends.

    Why in ``folder``: the download lands on the same file system as the target, and an
    interrupted run leaves at worst a hidden ``.part`` file, never a half-written target.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, raw = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(handle)
    path = Path(raw)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def download(corpus: CorpusSource, upstream: Upstream, folder: Path) -> tuple[bytes, str]:
    """The upstream file's bytes and sha256, fetched from the network."""
    with temporary_path(folder, upstream.name) as part:
        try:
            fetch(upstream.url, part)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError is an OSError
            raise CorpusError(
                f"{corpus.name}: cannot download {upstream.url} ({_reason(exc)}); "
                + browser_hint(corpus, upstream)
            ) from None
        data = part.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def browser_hint(corpus: CorpusSource, upstream: Upstream) -> str:
    """What to do when the network fails: fetch by hand, then read it with ``--archives``."""
    return (
        f"download {upstream.name} with a browser (see {corpus.page}) into a folder, e.g. "
        f"downloads/{corpus.name}/, and rerun with --archives downloads"
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def find_in_archives(corpus: CorpusSource, name: str, archives: Path) -> Path | None:
    """``archives/<corpus>/<name>`` or ``archives/<name>``: the per-corpus folder comes first
    because two corpora publish a file called ``LICENSE`` (and ``train.txt`` is common)."""
    for candidate in (archives / corpus.name / name, archives / name):
        if candidate.is_file():
            return candidate
    return None


def find_extracted_members(corpus: CorpusSource, upstream: Upstream, archives: Path) -> Files:
    """The members of a zip a browser already unpacked (macOS does by default), if all are there.

    Looked for next to where the zip would be and in a folder named after the zip.
    """
    stem = upstream.name.removesuffix(".zip")
    found: dict[str, bytes] = {}
    for member in upstream.members:
        candidates = [archives / corpus.name / member, archives / member]
        for unpacked in (archives / corpus.name / stem, archives / stem):
            if unpacked.is_dir():
                candidates += sorted(
                    (p for p in unpacked.rglob(member) if "__MACOSX" not in p.parts),
                    key=lambda p: len(p.parts),
                )
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            return {}
        found[member] = path.read_bytes()
    return found


def read_members(
    corpus: CorpusSource, upstream: Upstream, data: bytes, origin: str, remedy: str
) -> Files:
    """The needed members of a zip, found by base name in any folder (``__MACOSX`` skipped).

    ``origin`` (a URL or a path) and ``remedy`` (what to do) go into the error messages.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [
                info
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
            found: dict[str, bytes] = {}
            home: str | None = None  # the folder of the first member: later ones prefer it
            for member in upstream.members:
                matches = [e for e in entries if _split(e.filename)[1] == member]
                if not matches:
                    raise CorpusError(
                        f"{corpus.name}: {member} is not in {origin}, so it is not the expected "
                        f"archive; {remedy}"
                    )
                best = min(
                    matches,
                    key=lambda e: (_split(e.filename)[0] != home, e.filename.count("/")),
                )
                home = _split(best.filename)[0] if home is None else home
                found[member] = archive.read(best)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise CorpusError(
            f"{corpus.name}: {origin} is not a readable zip archive ({exc}; a web page served "
            f"instead of the file looks like this); {remedy}"
        ) from None
    return found


def _split(member: str) -> tuple[str, str]:
    """A zip member name as (folder, base name)."""
    folder, _, name = member.rpartition("/")
    return folder, name


@dataclass
class Fetched:
    """The upstream content one corpus needs, with what was read and its sha256."""

    files: dict[str, bytes] = field(default_factory=dict)
    origins: list[tuple[str, str, int]] = field(default_factory=list)  # (what, sha256, bytes)


def gather(corpus: CorpusSource, folder: Path, archives: Path | None) -> Fetched:
    """Every upstream file of ``corpus``, from ``archives`` when given, else from the network."""
    fetched = Fetched()
    for upstream in corpus.upstreams:
        if archives is None:
            data, digest = download(corpus, upstream, folder)
            origin, remedy = upstream.url, browser_hint(corpus, upstream)
        else:
            path = find_in_archives(corpus, upstream.name, archives)
            if path is None:
                loose = find_extracted_members(corpus, upstream, archives)
                if not loose:
                    raise CorpusError(
                        f"{corpus.name}: {upstream.name} not found in {archives} (nor in "
                        f"{archives / corpus.name}); download it from {upstream.url} (see "
                        f"{corpus.page}) into {archives} and rerun"
                    )
                for member, content in loose.items():
                    digest = hashlib.sha256(content).hexdigest()
                    fetched.origins.append((f"{member} (unpacked)", digest, len(content)))
                fetched.files.update(loose)
                continue
            data = path.read_bytes()
            digest, origin = hashlib.sha256(data).hexdigest(), str(path)
            remedy = (
                f"delete it and download {upstream.name} again from {upstream.url} "
                f"(see {corpus.page})"
            )
        fetched.origins.append((upstream.name, digest, len(data)))
        if upstream.members:
            fetched.files.update(read_members(corpus, upstream, data, origin, remedy))
        else:
            fetched.files[upstream.name] = data
    return fetched


# --- writing -----------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and a rename, so no half file is left."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with temporary_path(path.parent, path.name) as part:
        part.write_bytes(data)
        os.replace(part, path)


def conll_counts(data: bytes) -> tuple[int, int]:
    """Sentences (blocks of non-blank lines) and tokens (those lines, less ``$#$`` markers)."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    sentences = tokens = 0
    in_sentence = False
    for line in text.splitlines():
        if not line.strip():
            in_sentence = False
            continue
        if not in_sentence:
            sentences, in_sentence = sentences + 1, True
        if line.split()[0] not in ("$#$", "-DOCSTART-"):
            tokens += 1
    return sentences, tokens


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"


def is_data_file(target: str) -> bool:
    return not Path(target).name.upper().startswith(("LICENSE", "README"))


def install(corpus: CorpusSource, dest: Path, archives: Path | None, force: bool) -> None:
    """Fetch, convert and write one corpus, and report what was written.

    Nothing is fetched when every target exists (unless ``force``): the user asked to keep them.
    """
    folder = dest / "data" / corpus.name
    present = [t for t in corpus.targets if (folder / t).exists()]
    print(f"== {corpus.name} -> {folder}")
    if len(present) == len(corpus.targets) and not force:
        print("   all target files exist: kept (use --force to download and overwrite)")
        return
    fetched = gather(corpus, folder, archives)
    try:
        outputs = corpus.convert(fetched.files)
    except CorpusError as exc:
        raise CorpusError(f"{corpus.name}: {exc}; the upstream file is not as expected") from None
    for what, digest, size in fetched.origins:
        print(f"   upstream {what}: {human_size(size)}, sha256 {digest}")
    for target in corpus.targets:
        path = folder / target
        if target in present and not force:
            print(f"   kept     {target} (exists; use --force to overwrite)")
            continue
        data = outputs[target]
        write_atomic(path, data)
        line = f"   wrote    {target}: {human_size(len(data))}"
        if corpus.conll and is_data_file(target):
            sentences, tokens = conll_counts(data)
            line += f", {_count(sentences, 'sentence')}, {_count(tokens, 'token')}"
        print(line)
    print(f"   licence: {corpus.licence} (see {corpus.page})")
    for note in corpus.notes:
        print(f"   note: {note}")


# --- command line ------------------------------------------------------------------------------


def list_corpora() -> None:
    for corpus in CORPORA:
        print(f"{corpus.name}")
        print(f"  licence: {corpus.licence}")
        print(f"  page:    {corpus.page}")
        for upstream in corpus.upstreams:
            print(f"  source:  {upstream.url}")
        shown = corpus.targets if len(corpus.targets) <= 8 else (*corpus.targets[:3], "...")
        print(f"  writes:  data/{corpus.name}/" + ", ".join(shown) + f" ({len(corpus.targets)})")
        if corpus.configs:
            print("  configs: " + ", ".join(f"data={c}" for c in corpus.configs))
    for name, what in NOT_DOWNLOADABLE.items():
        print(f"{name}: not downloadable ({what}, distributed separately)")
    print("--archives DIR looks for each source file by its name in DIR/<corpus>/, then in DIR.")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Download the public corpora the data configs read into DEST/data/<corpus>/.",
        epilog="Corpora: "
        + ", ".join(BY_NAME)
        + ". Not downloadable (the project's own data): "
        + ", ".join(NOT_DOWNLOADABLE)
        + ".",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="corpora (default: all)")
    parser.add_argument(
        "--dest",
        default=DEFAULT_DEST,
        help=f"the shared folder; files go to DEST/data/<corpus>/ (default: {DEFAULT_DEST}, "
        "as in the configs)",
    )
    parser.add_argument(
        "--archives",
        metavar="DIR",
        help="read the upstream files from DIR (or DIR/<corpus>/) instead of the network",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing target files")
    parser.add_argument("--list", action="store_true", help="list corpora, licences and sources")
    return parser.parse_args(argv)


def select(names: Sequence[str]) -> list[CorpusSource] | str:
    """The requested corpora, or the message explaining why a name cannot be fetched."""
    for name in names:
        if name in NOT_DOWNLOADABLE:
            return (
                f"{name} is {NOT_DOWNLOADABLE[name]}: it is not public and is distributed "
                "separately, so there is nothing to download; put it under "
                f"DEST/data/{name}/ yourself. Downloadable: " + ", ".join(BY_NAME)
            )
        if name not in BY_NAME:
            return f"unknown corpus {name!r}; downloadable: " + ", ".join(BY_NAME)
    return [BY_NAME[n] for n in dict.fromkeys(names)] if names else list(CORPORA)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        list_corpora()
        return 0
    chosen = select(args.names)
    if isinstance(chosen, str):
        print(f"error: {chosen}", file=sys.stderr)
        return 2
    dest = Path(args.dest).expanduser().resolve()
    archives = Path(args.archives).expanduser().resolve() if args.archives else None
    if archives is not None and not archives.is_dir():
        print(f"error: --archives {archives} is not a folder", file=sys.stderr)
        return 1
    failed: list[str] = []
    done: list[CorpusSource] = []
    try:
        for corpus in chosen:
            try:
                install(corpus, dest, archives, args.force)
                done.append(corpus)
            except CorpusError as exc:
                print(f"error: {exc}", file=sys.stderr)
                failed.append(corpus.name)
    except KeyboardInterrupt:
        print("interrupted: no half-written file was left behind", file=sys.stderr)
        return 130
    configs = [c for corpus in done for c in corpus.configs]
    if configs:
        print()
        print("use them with, for example:")
        for config in configs:
            print(f"   araevent train data={config} shared={dest}")
        print(f"   (or export ARAEVENT_SHARED={dest})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
