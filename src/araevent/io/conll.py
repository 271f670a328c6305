"""CoNLL-style column files: one token per line with its tag(s), blank lines between sentences.

Reading rebuilds a text from the tokens (one space between tokens, a newline between
sentences) and turns tag chunks into character spans over it, so the rest of the package never
sees tags. Supported: a token column and a tag column anywhere (tab- or space-separated),
``-DOCSTART-`` document boundaries, ``# id = ...`` comments naming documents, IOB1 / IOB2 /
IOBES / BILOU (stated or detected), and Wojood-style nested files whose tokens carry a variable
number of tag columns (the outermost span is kept after label mapping, inner layers counted as
dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import regex

from araevent.data.bio import (
    Scheme,
    TagError,
    chunks_to_tags,
    detect_scheme,
    parse_tag,
    tags_to_chunks,
)
from araevent.data.document import Document, Span
from araevent.data.text import BIDI_CONTROLS, sentences, tokens
from araevent.errors import DataFormatError
from araevent.io.builder import DocumentBuilder, RawSpan
from araevent.io.files import read_lines, source_name

DocumentMode = Literal["auto", "docstart", "sentence", "file"]
DOCSTART = "-DOCSTART-"
_ID_COMMENT_RE = re.compile(r"^#\s*(?:doc_?)?id\s*[=:]\s*(\S.*?)\s*$")
_REPAIRABLE_TAG_RE = re.compile(r"^([BIESLU])-+([A-Za-z][\w-]*?)[^\w]*$")


@dataclass(frozen=True)
class ConllOptions:
    """How to read a column file.

    ``tag_col`` may be negative (``-1``: last column). ``nested`` treats every column after the
    token as a tag layer, as in Wojood. ``documents``: ``docstart`` splits at ``-DOCSTART-``,
    ``sentence`` makes each sentence a document, ``file`` the whole file one document, and
    ``auto`` picks ``docstart`` when the file has such lines and ``sentence`` otherwise.
    ``skip_tokens`` are corpus markers that are not text (Wojood's ``$#$``): skipped, counted.
    ``scheme`` (None: detected) may be named in any case; another name is a ``ValueError`` here,
    before any file is read.
    """

    token_col: int = 0
    tag_col: int = -1
    nested: bool = False
    sep: Literal["auto", "tab", "space"] = "auto"
    scheme: Scheme | str | None = None
    documents: DocumentMode = "auto"
    strip_bidi: bool = True
    skip_tokens: tuple[str, ...] = ("$#$",)

    def __post_init__(self) -> None:
        if self.scheme is not None:
            object.__setattr__(self, "scheme", Scheme.parse(self.scheme))


@dataclass
class _Sentence:
    tokens: list[str] = field(default_factory=list)
    layers: list[list[str]] = field(default_factory=list)  # one tag list per token
    lines: list[int] = field(default_factory=list)


@dataclass
class _Doc:
    id: str | None
    line: int
    sentences: list[_Sentence] = field(default_factory=list)


def read_conll(
    path: str | Path,
    builder: DocumentBuilder,
    options: ConllOptions | None = None,
    id_prefix: str = "",
) -> Iterator[Document]:
    """Documents of one column file. Those without a ``# id =`` line are numbered in file order
    (``id_prefix`` + number), so that a gold file and a prediction file pair up whatever their
    names; ``id_prefix`` tells apart the files of one folder."""
    options = options or ConllOptions()
    path = Path(path)
    builder.path = source_name(path)
    docs = _parse(path, builder, options)
    scheme = (
        Scheme.parse(options.scheme)
        if options.scheme is not None
        else detect_scheme(
            [layers[0] for layers in sentence.layers] for doc in docs for sentence in doc.sentences
        )
    )
    why = "" if options.scheme is not None else _evidence(docs, scheme)
    for number, doc in enumerate(docs, 1):
        doc_id = doc.id or f"{id_prefix}{number}"
        yield _build(doc, doc_id, scheme, builder, options, why)


def _evidence(docs: list[_Doc], scheme: Scheme) -> str:
    """Where a detected IOBES or BILOU scheme comes from: one stray ``S-`` decides a file, and
    the errors it then causes name other lines."""
    marks = {Scheme.IOBES: ("E", "S"), Scheme.BILOU: ("L", "U")}.get(scheme)
    if marks is None:
        return ""
    for doc in docs:
        for sentence in doc.sentences:
            for tags, line in zip(sentence.layers, sentence.lines, strict=True):
                if parse_tag(tags[0])[0] in marks:
                    return f", detected from {tags[0]} at line {line}"
    return ""


# Whitespace as the text utilities see it (Unicode White_Space). str.split() also splits on
# U+001C-U+001F, which the tokenizer keeps as tokens: a file araevent wrote would not read back.
_SPACES = regex.compile(r"\s+")
_EDGE_SPACES = regex.compile(r"^\s+|\s+$")


def _split(line: str, sep: str) -> list[str]:
    if sep == "tab" or (sep == "auto" and "\t" in line):
        return [_EDGE_SPACES.sub("", column) for column in line.split("\t")]
    return _SPACES.split(_EDGE_SPACES.sub("", line))


def _parse(path: Path, builder: DocumentBuilder, options: ConllOptions) -> list[_Doc]:
    lines = read_lines(path, strict=builder.strict, report=builder.report)
    has_docstart = any(line.startswith(DOCSTART) for line in lines)
    mode = options.documents
    if mode == "auto":
        mode = "docstart" if has_docstart else "sentence"
    docs: list[_Doc] = [_Doc(None, 1)]
    sentence = _Sentence()
    expected_columns: int | None = None

    def end_sentence() -> None:
        nonlocal sentence
        if sentence.tokens:
            if mode == "sentence" and docs[-1].sentences:
                docs.append(_Doc(None, sentence.lines[0]))
            docs[-1].sentences.append(sentence)
        sentence = _Sentence()

    for number, line in enumerate(lines, 1):
        if not _EDGE_SPACES.sub("", line):
            end_sentence()
            continue
        comment = _ID_COMMENT_RE.match(line)
        if comment and not sentence.tokens:
            if docs[-1].sentences:
                docs.append(_Doc(None, number))
            docs[-1].id = comment.group(1)
            continue
        columns = _split(line, options.sep)
        if line.startswith("#") and not sentence.tokens and not _is_tagged(columns, options):
            # CoNLL-U and similar comments (``# sent_id = 1``, ``# text = ...``); a ``#`` token
            # with a valid tag is data
            builder.report.add("comment lines skipped", path=builder.path, line=number)
            continue
        if columns[0] == DOCSTART:
            end_sentence()
            if mode == "docstart" and (docs[-1].sentences or docs[-1].id is not None):
                docs.append(_Doc(None, number))
            continue
        if options.nested:
            if len(columns) < 2:
                builder.problem(
                    "wrong column count", "a token needs at least one tag", number, None
                )
                continue
        else:
            expected_columns = expected_columns or len(columns)
            if len(columns) != expected_columns or len(columns) < 2:
                builder.problem(
                    "wrong column count",
                    f"expected {max(expected_columns, 2)} columns, found "
                    f"{len(columns)}: {line[:60]!r}",
                    number,
                    None,
                )
                continue
        wanted = (options.token_col,) if options.nested else (options.token_col, options.tag_col)
        if any(not -len(columns) <= column < len(columns) for column in wanted):
            builder.problem(
                "wrong column count",
                f"columns {wanted} asked for (token, tag), the line has {len(columns)}",
                number,
                None,
            )
            continue
        token = columns[options.token_col]
        if not token:
            builder.problem(
                "empty token", f"the token column is empty: {line[:60]!r}", number, None
            )
            continue
        if options.strip_bidi and token.strip(BIDI_CONTROLS) != token:
            token = token.strip(BIDI_CONTROLS)
            kind = "bidi controls stripped from tokens" if token else "bidi-only tokens skipped"
            builder.report.add(kind, path=builder.path, line=number)
            if not token:
                continue
        if token in options.skip_tokens:
            builder.report.add("marker tokens skipped", repr(token), path=builder.path, line=number)
            continue
        if options.nested:
            tags = [c for i, c in enumerate(columns) if i != options.token_col % len(columns)]
        else:
            tags = [columns[options.tag_col]]
        sentence.tokens.append(token)
        sentence.layers.append([_checked_tag(tag, number, builder) for tag in tags])
        sentence.lines.append(number)
    end_sentence()
    # a document named by '# id =' is kept even when empty, so empty documents round-trip
    return [doc for doc in docs if doc.sentences or doc.id is not None]


def _is_tagged(columns: list[str], options: ConllOptions) -> bool:
    """Whether a split line reads as a token with a well-formed tag."""
    if len(columns) < 2 or not -len(columns) <= options.tag_col < len(columns):
        return False
    try:
        parse_tag(columns[options.tag_col])
    except ValueError:
        return False
    return True


def _checked_tag(tag: str, line: int, builder: DocumentBuilder) -> str:
    try:
        parse_tag(tag)
        return tag
    except ValueError:
        pass
    repaired = _repair_tag(tag)
    builder.problem("malformed tag", repr(tag), line, None, repair=f"read as {repaired!r}")
    return repaired


def _repair_tag(tag: str) -> str:
    """Best reading of a malformed tag: ``I--ORG`` is ``I-ORG``, ``B-MIS1``` is ``B-MIS1``."""
    match = _REPAIRABLE_TAG_RE.match(tag)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return "O"


def _build(
    doc: _Doc,
    doc_id: str,
    scheme: Scheme,
    builder: DocumentBuilder,
    options: ConllOptions,
    why: str,
) -> Document:
    parts: list[str] = []
    position = 0
    layered: list[tuple[int, Span, int]] = []  # (layer, span, line)
    for sentence in doc.sentences:
        starts = []
        for token in sentence.tokens:
            starts.append(position)
            position += len(token) + 1
        depth = max(len(tags) for tags in sentence.layers)
        for layer in range(depth):
            tags = [tags[layer] if layer < len(tags) else "O" for tags in sentence.layers]
            chunks = _chunks(tags, scheme, sentence, builder, doc_id, layer, why)
            for first, last, label in chunks:
                line = sentence.lines[first]
                target = builder.map_label(label, line, doc_id)
                if target is not None:
                    end = starts[last - 1] + len(sentence.tokens[last - 1])
                    layered.append((layer, Span(starts[first], end, target), line))
        parts.append(" ".join(sentence.tokens))
    text = "\n".join(parts)
    raw = (
        _outermost(layered, builder, doc_id)
        if options.nested
        else [RawSpan(span.start, span.end, span.label, line) for _, span, line in layered]
    )
    return builder.build(
        doc_id,
        text,
        raw,
        {"source": str(builder.path), "line": doc.line},
        doc.line,
        labels_mapped=True,
    )


def _chunks(
    tags: list[str],
    scheme: Scheme,
    sentence: _Sentence,
    builder: DocumentBuilder,
    doc_id: str,
    layer: int,
    why: str,
) -> list[tuple[int, int, str]]:
    # Inner layers of nested files are decoded leniently: their I- tags may continue a chunk
    # whose B- sits in another column, which is layout, not an annotation error.
    strict = builder.strict and layer == 0
    try:
        result = tags_to_chunks(tags, scheme, strict=strict)
    except TagError as exc:
        line = sentence.lines[min(exc.index, len(sentence.lines) - 1)]
        raise DataFormatError(
            f"invalid tag sequence ({scheme.value}{why}): {exc.reason}",
            path=builder.path,
            line=line,
            doc_id=doc_id,
        ) from None
    for repair in result.repairs if layer == 0 else ():
        line = sentence.lines[min(repair.index, len(sentence.lines) - 1)]
        builder.report.add(
            "tag sequence repaired", repair.reason, path=builder.path, line=line, doc_id=doc_id
        )
    return result.chunks


def _outermost(
    layered: list[tuple[int, Span, int]], builder: DocumentBuilder, doc_id: str
) -> list[RawSpan]:
    """Keep the longest non-overlapping spans across layers; count the inner ones dropped."""
    kept: list[tuple[Span, int]] = []
    for layer, span, line in sorted(layered, key=lambda t: (t[1].start, -t[1].end, t[0])):
        if kept and kept[-1][0].overlaps(span):
            builder.report.add(
                "inner-layer spans dropped",
                f"{span.label} in layer {layer + 1}",
                path=builder.path,
                line=line,
                doc_id=doc_id,
            )
            continue
        kept.append((span, line))
    return [RawSpan(span.start, span.end, span.label, line) for span, line in kept]


def write_conll(
    documents: Iterable[Document],
    path: str | Path,
    scheme: Scheme | str = Scheme.IOB2,
    sep: str = " ",
) -> int:
    """Write documents as ``token<sep>tag`` lines with ``-DOCSTART-`` and ``# id =`` headers.

    Tokens are the guideline's words and single punctuation characters; sentences come from
    :func:`araevent.data.text.sentences`, never split inside a span. A span that does not
    start and end on token boundaries cannot be written and raises :class:`DataFormatError`.
    ``scheme`` is a :class:`Scheme` or its name in any case, checked before ``path`` is opened.
    """
    scheme = Scheme.parse(scheme)
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for document in documents:
            out.write(f"{DOCSTART}{sep}O\n# id = {document.id}\n\n")
            for block in _sentence_blocks(document, scheme):
                for token, tag in block:
                    out.write(f"{token}{sep}{tag}\n")
                out.write("\n")
            count += 1
    return count


def _sentence_blocks(document: Document, scheme: Scheme) -> Iterator[list[tuple[str, str]]]:
    text = document.text
    offsets = tokens(text)
    index_of_start = {start: i for i, (start, _) in enumerate(offsets)}
    index_of_end = {end: i + 1 for i, (_, end) in enumerate(offsets)}
    chunks = []
    for span in document.spans:
        first, last = index_of_start.get(span.start), index_of_end.get(span.end)
        if first is None or last is None:
            raise DataFormatError(
                f"span [{span.start}, {span.end}) {span.label} {document.span_text(span)!r} "
                "does not start and end on token boundaries",
                doc_id=document.id,
            )
        chunks.append((first, last, span.label))
    inside = {i for first, last, _ in chunks for i in range(first + 1, last)}
    sentence_ends = {end for _, end in sentences(text)}
    cuts = [
        i + 1
        for i, (_, end) in enumerate(offsets)
        if end in sentence_ends and (i + 1) not in inside
    ]
    if offsets and (not cuts or cuts[-1] != len(offsets)):
        cuts.append(len(offsets))
    begin = 0
    for cut in cuts:
        # tags are computed per sentence: IOB1's B- depends on the chunk before it
        local = [(f - begin, last - begin, label) for f, last, label in chunks if begin <= f < cut]
        tags = chunks_to_tags(local, cut - begin, scheme)
        yield [(text[s:e], tag) for (s, e), tag in zip(offsets[begin:cut], tags, strict=True)]
        begin = cut
