"""Markdown tables and two plots from the outputs of a benchmark suite run.

    python scripts/benchmark_report.py SUITE_DIR [--out DIR]

SUITE_DIR may hold any of:

- ``quality/<run>/metrics.json`` (written by ``araevent train``) with ``command.txt`` beside it,
  and an optional ``quality/references.json`` of figures quoted from elsewhere;
- ``train-speed/<model>/results.json`` (written by ``scripts/bench_train.py``);
- ``predict-<device>.json`` (written by ``scripts/bench_predict.py --json``).

Writes ``report.md`` (tables to paste into docs/benchmarks.md, each beside the command that
produced its figures), ``f1_per_label.png`` and ``throughput.png`` to ``--out`` (default
SUITE_DIR). A section whose inputs are absent becomes one "not run" line, a plot with no data
is not written, and without matplotlib the report is still written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

NO_MATPLOTLIB = "matplotlib not installed: plots skipped (pip install matplotlib)"


@dataclass(frozen=True)
class QualityRun:
    """One training run's scores on the split the report uses (test when it was scored)."""

    name: str
    split: str
    scores: dict[str, Any]
    train: dict[str, Any]
    command: str


@dataclass(frozen=True)
class Source:
    """A results file, named by what tells it apart (the model's folder, the file's name)."""

    name: str
    results: dict[str, Any]


@dataclass(frozen=True)
class Suite:
    """Everything found in SUITE_DIR, and a note for each input that had to be left out."""

    runs: list[QualityRun]
    references: dict[str, Any]
    train_speed: list[Source]
    predictions: list[Source]
    notes: list[str]


# --- reading ----------------------------------------------------------------------------------


def read_json(path: Path) -> dict[str, Any]:
    """The parsed file; a broken file stops the report naming its path, not with a traceback."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        sys.exit(f"{path}: {error}")
    if not isinstance(data, dict):
        sys.exit(f"{path}: expected a JSON object")
    return data


def read_quality_run(folder: Path) -> QualityRun | str:
    """The run in ``folder``, or why it is left out: its figures need a command and a split."""
    metrics = read_json(folder / "metrics.json")
    command_file = folder / "command.txt"
    command = command_file.read_text(encoding="utf-8").strip() if command_file.is_file() else ""
    if not command:
        return f"left out: quality/{folder.name} (no command in command.txt)"
    split = next((s for s in ("test", "dev") if s in metrics), None)
    if split is None:
        return f"left out: quality/{folder.name} (metrics.json scores neither test nor dev)"
    return QualityRun(folder.name, split, metrics[split], metrics.get("train", {}), command)


def read_sources(named: Sequence[tuple[str, Path]], suite: Path) -> tuple[list[Source], list[str]]:
    """Results files that record their command, and a note for each that does not."""
    sources, notes = [], []
    for name, path in named:
        results = read_json(path)
        if results.get("command"):
            sources.append(Source(name, results))
        else:
            notes.append(f"left out: {path.relative_to(suite)} (no command recorded)")
    return sources, notes


def read_suite(suite: Path) -> Suite:
    """Every input found under ``suite``; an absent kind leaves its list empty."""
    runs: list[QualityRun] = []
    notes: list[str] = []
    for metrics in sorted(suite.glob("quality/*/metrics.json")):
        run = read_quality_run(metrics.parent)
        if isinstance(run, str):
            notes.append(run)
        else:
            runs.append(run)
    references_file = suite / "quality" / "references.json"
    references = read_json(references_file) if references_file.is_file() else {}
    unmatched = sorted(set(references) - {run.name for run in runs})
    if unmatched:
        notes.append(f"references.json names runs not reported here: {', '.join(unmatched)}")
    train_files = sorted(suite.glob("train-speed/*/results.json"))
    train_speed, train_notes = read_sources([(p.parent.name, p) for p in train_files], suite)
    predict_files = sorted(suite.glob("predict-*.json"))
    predictions, predict_notes = read_sources([(p.name, p) for p in predict_files], suite)
    return Suite(runs, references, train_speed, predictions, notes + train_notes + predict_notes)


# --- formatting -------------------------------------------------------------------------------


def fixed(value: float | None, digits: int = 3) -> str:
    """A figure to ``digits`` decimals, or "-" where the input has none (a null, a CPU run)."""
    return "-" if value is None else f"{value:.{digits}f}"


def grouped(value: float | None) -> str:
    """A rate as a whole number with thousands separators, as docs/benchmarks.md writes them."""
    return "-" if value is None else f"{value:,.0f}"


def code(text: str) -> str:
    """Inline code that survives a backtick inside the command."""
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def table(header: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> list[str]:
    """A markdown table; ``align`` has one character per column, "l" or "r"."""
    rule = "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"
    return ["| " + " | ".join(header) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows)]


# --- quality ----------------------------------------------------------------------------------


def intervals(scores: dict[str, Any]) -> dict[str, Any] | None:
    """The bootstrap block when it holds intervals; zero samples mean none were drawn."""
    bootstrap = scores.get("bootstrap") or {}
    return bootstrap if bootstrap.get("samples") else None


def f1_cell(f1: float, interval: dict[str, float] | None) -> str:
    """F1 with its bootstrap interval after it, so the spread travels with the figure."""
    if interval is None:
        return fixed(f1)
    return f"{fixed(f1)} [{fixed(interval['low'])}, {fixed(interval['high'])}]"


def seqeval_line(scores: dict[str, Any]) -> str | None:
    """seqeval's word-level micro F1 per mode, the figure other papers' tables quote."""
    found = []
    for mode, name in (("strict", "seqeval strict"), ("conlleval", "conlleval")):
        report = ((scores.get("seqeval") or {}).get(mode) or {}).get("report") or {}
        if "micro avg" in report:
            found.append(f"{name} micro F1 {fixed(report['micro avg']['f1-score'])}")
    return "; ".join(found) + "." if found else None


def training_line(train: dict[str, Any]) -> str | None:
    """How long the run trained, so a quality figure is read next to what it cost."""
    if "seconds" not in train:
        return None
    parts = [f"{train['seconds']:.1f} s", f"{train.get('steps', '?')} steps"]
    parts.append(f"{train.get('documents', '?')} documents")
    if train.get("tokens_per_second"):
        parts.append(f"{grouped(train['tokens_per_second'])} sub-tokens/s")
    if train.get("peak_gpu_memory_bytes"):
        parts.append(f"peak GPU memory {train['peak_gpu_memory_bytes'] / 2**30:.2f} GiB")
    return "Training: " + ", ".join(parts) + "."


def quality_rows(
    run: QualityRun, bootstrap: dict[str, Any] | None, reference: dict[str, Any] | None
) -> list[list[str]]:
    """One row per label in the run's order, then micro; the quoted reference last if any."""
    strict = run.scores["strict"]
    label_intervals = bootstrap["per_label_f1"] if bootstrap else {}
    quoted = reference.get("per_label", {}) if reference else {}
    entries = [
        (label, strict["per_label"][label], label_intervals.get(label), quoted.get(label))
        for label in run.scores["labels"]
    ]
    micro_interval = bootstrap["micro"]["f1"] if bootstrap else None
    micro_quoted = reference.get("micro_f1") if reference else None
    entries.append(("micro", strict["micro"], micro_interval, micro_quoted))
    rows = []
    for label, figures, interval, reference_f1 in entries:
        row = [label, fixed(figures["precision"]), fixed(figures["recall"])]
        row += [f1_cell(figures["f1"], interval), str(figures["support"])]
        rows.append([*row, fixed(reference_f1)] if reference else row)
    return rows


def quality_section(run: QualityRun, reference: dict[str, Any] | None) -> list[str]:
    """Per-label and micro strict span scores of one run, with its command and provenance."""
    scores, strict = run.scores, run.scores["strict"]
    bootstrap = intervals(scores)
    header = ["label", "P", "R", "F1", "support"]
    if bootstrap:
        header[3] = f"F1 [{bootstrap.get('confidence', 0.95):.0%} interval]"
    if reference:
        header.append("reference F1 (quoted)")
    rows = quality_rows(run, bootstrap, reference)

    meta = scores.get("meta", {})
    lines = [f"### {run.name}: {run.split} split ({scores['documents']} documents)", ""]
    if meta:
        lines += [f"Model {code(str(meta.get('model')))}, gold {code(str(meta.get('gold')))}.", ""]
    lines += table(header, "lrrrr" + ("r" if reference else ""), rows)
    lines.append("")
    notes = [f"Strict span scores; macro F1 {fixed(strict['macro_f1'])}."]
    if bootstrap:
        notes.append(
            f"Intervals: {bootstrap['samples']} bootstrap samples over documents, "
            f"seed {bootstrap.get('seed')}."
        )
    notes += [line for line in (seqeval_line(scores), training_line(run.train)) if line]
    if reference:
        notes.append(
            f"Reference (quoted, not measured here): {reference.get('label', '?')}, "
            f"{reference.get('metric', 'metric not stated')}."
        )
    lines += [*notes, "", f"Command: {code(run.command)}", ""]
    return lines


# --- training speed ---------------------------------------------------------------------------


def seconds_to_target(curve: Sequence[dict[str, Any]], target: float | None) -> str:
    """Training seconds at the first evaluation reaching ``target``; "-" if none did."""
    from araevent.learning_curve import first_reaching

    reached = None if target is None else first_reaching(curve, "span_f1", target)
    return "-" if reached is None else fixed(reached["train_seconds"], 1)


def train_speed_section(source: Source) -> list[str]:
    """One model's frameworks side by side, with the versions and every command behind them."""
    results = source.results
    target = results.get("target_f1")
    header = ["framework", "train s", "sub-tokens/s", "words/s", "peak GPU GiB", "MFU %"]
    header += ["best dev F1", f"train s to F1 {fixed(target)}", "truncated examples"]
    rows = []
    for name, run in results["frameworks"].items():
        s = run["summary"]
        mfu = None if s.get("mfu") is None else 100 * s["mfu"]
        rows.append(
            [
                name,
                fixed(s["train_seconds"], 1),
                grouped(s["tokens_per_second"]),
                grouped(s["words_per_second"]),
                fixed(s.get("peak_gpu_memory_gib"), 2),
                fixed(mfu, 1),
                fixed(s["best_f1"]),
                seconds_to_target(run["curve"], target),
                f"{run.get('truncated', 0)} of {run.get('examples', '?')}",
            ]
        )
    versions = ", ".join(f"{k} {v}" for k, v in results.get("versions", {}).items())
    lines = [f"### Training speed: {source.name}", ""]
    lines.append(
        f"Model {code(str(results.get('model')))}, {results.get('train_documents', '?')} "
        f"training documents ({grouped(results.get('train_words'))} words), "
        f"{results.get('date', 'date not recorded')}. Dev F1 is strict span micro F1."
    )
    lines += ["", *table(header, "lrrrrrrrr", rows), ""]
    lines += [f"Versions: {versions}.", ""] if versions else []
    lines += [f"Command: {code(results['command'])}", ""]
    lines += [f"- {name}: {code(run['command'])}" for name, run in results["frameworks"].items()]
    return [*lines, ""]


# --- inference speed --------------------------------------------------------------------------


def predict_section(source: Source) -> list[str]:
    """One bench_predict.py run: its backends' throughput and F1, beside its command."""
    results = source.results
    rows = [
        [
            row["backend"],
            row["device"],
            fixed(row["docs_per_second"], 1),
            grouped(row["words_per_second"]),
            fixed(row.get("f1")),
        ]
        for row in results["rows"]
    ]
    lines = [f"### Inference speed: {source.name}", ""]
    lines.append(
        f"{results.get('documents', '?')} documents ({grouped(results.get('words'))} words) "
        f"on {results.get('machine') or 'an unrecorded machine'}."
    )
    header = ["backend", "device", "docs/s", "words/s", "strict micro F1"]
    lines += ["", *table(header, "llrrr", rows), "", f"Command: {code(results['command'])}", ""]
    return lines


# --- the report -------------------------------------------------------------------------------


def render_report(suite: Suite) -> str:
    """The whole report.md; each absent section is one "not run" line in its place."""
    lines: list[str] = []
    if suite.runs:
        lines += ["## Quality", ""]
        for run in suite.runs:
            lines += quality_section(run, suite.references.get(run.name))
    else:
        lines += ["not run: quality (no quality/<run>/metrics.json with command.txt)", ""]
    if suite.train_speed:
        lines += ["## Training speed", ""]
        for source in suite.train_speed:
            lines += train_speed_section(source)
    else:
        lines += ["not run: training speed (no train-speed/<model>/results.json)", ""]
    if suite.predictions:
        lines += ["## Inference speed", ""]
        for source in suite.predictions:
            lines += predict_section(source)
    else:
        lines += ["not run: inference speed (no predict-<device>.json)", ""]
    lines += [f"Note: {note}" for note in suite.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- plots ------------------------------------------------------------------------------------


def label_bars(run: QualityRun) -> tuple[list[str], list[float], list[list[float]] | None]:
    """Bar names, F1 heights and error bar lengths (below, above) of one run's plot panel.

    Lengths are clipped at zero: a percentile interval can miss its point estimate, and
    matplotlib refuses negative error bars.
    """
    strict, bootstrap = run.scores["strict"], intervals(run.scores)
    names = [*run.scores["labels"], "micro"]
    heights = [strict["per_label"][label]["f1"] for label in run.scores["labels"]]
    heights.append(strict["micro"]["f1"])
    if bootstrap is None:
        return names, heights, None
    bounds = [bootstrap["per_label_f1"].get(label) for label in run.scores["labels"]]
    bounds.append(bootstrap["micro"]["f1"])
    below = [max(0.0, h - b["low"]) if b else 0.0 for h, b in zip(heights, bounds, strict=True)]
    above = [max(0.0, b["high"] - h) if b else 0.0 for h, b in zip(heights, bounds, strict=True)]
    return names, heights, [below, above]


def plot_f1_per_label(runs: Sequence[QualityRun], path: Path) -> None:
    """One panel per run: the corpora have different labels, so no x axis is shared."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    figure = Figure(figsize=(max(8.0, 3.2 * len(runs)), 4.0), dpi=120, layout="constrained")
    panels = figure.subplots(1, len(runs), sharey=True, squeeze=False)[0]
    for index, (run, axes) in enumerate(zip(runs, panels, strict=True)):
        names, heights, errors = label_bars(run)
        axes.bar(names, heights, color=f"C{index}", yerr=errors, capsize=3)
        axes.set_title(f"{run.name} ({run.split})", fontsize=9)
        axes.set_ylim(0, 1)
        axes.tick_params(axis="x", labelsize=8, rotation=30)
        axes.grid(axis="y", alpha=0.3)
    panels[0].set_ylabel("F1")
    handles = [Patch(color=f"C{i}", label=run.name) for i, run in enumerate(runs)]
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(runs), 4))
    figure.suptitle("F1 per label (strict spans)")
    figure.savefig(path)


def horizontal_bars(axes: Axes, bars: Sequence[tuple[str, float]], title: str) -> None:
    """Rates as horizontal bars with the number at each bar's end; "not run" when empty."""
    axes.set_title(title, fontsize=10)
    if not bars:
        axes.text(0.5, 0.5, "not run", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    names, values = [name for name, _ in bars], [value for _, value in bars]
    drawn = axes.barh(names, values, color="C0")
    axes.bar_label(drawn, labels=[grouped(v) for v in values], padding=3, fontsize=8)
    axes.set_xlim(0, 1.3 * max(values))
    axes.invert_yaxis()
    axes.tick_params(labelsize=8)


def train_bars(sources: Sequence[Source]) -> list[tuple[str, float]]:
    """Training sub-tokens/s per model and framework."""
    return [
        (f"{source.name} · {name}", run["summary"]["tokens_per_second"])
        for source in sources
        for name, run in source.results["frameworks"].items()
    ]


def predict_bars(sources: Sequence[Source]) -> list[tuple[str, float]]:
    """Inference words/s per device and backend; the file is named where that pair recurs.

    bench_predict.py runs its ONNX backends on the CPU even in a CUDA run, so the same
    (device, backend) can come from two files.
    """
    pairs = [
        (f"{row['device']} · {row['backend']}", source.name, row)
        for source in sources
        for row in source.results["rows"]
    ]
    seen = [pair for pair, _, _ in pairs]
    return [
        (pair if seen.count(pair) == 1 else f"{pair} ({name})", row["words_per_second"])
        for pair, name, row in pairs
    ]


def plot_throughput(suite: Suite, path: Path) -> None:
    """Training and inference rates side by side: the two numbers a reader compares first."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10.0, 4.0), dpi=120, layout="constrained")
    left, right = figure.subplots(1, 2)
    horizontal_bars(left, train_bars(suite.train_speed), "Training sub-tokens/s")
    horizontal_bars(right, predict_bars(suite.predictions), "Inference words/s")
    figure.savefig(path)


def write_plots(suite: Suite, out: Path) -> list[Path]:
    """The plots that have data; none, and one line on stderr, without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        print(NO_MATPLOTLIB, file=sys.stderr)
        return []
    matplotlib.use("Agg")
    written = []
    if suite.runs:
        written.append(out / "f1_per_label.png")
        plot_f1_per_label(suite.runs, written[-1])
    if suite.train_speed or suite.predictions:
        written.append(out / "throughput.png")
        plot_throughput(suite, written[-1])
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", type=Path, metavar="SUITE_DIR", help="a benchmark suite run")
    parser.add_argument("--out", type=Path, help="where to write (default: SUITE_DIR)")
    args = parser.parse_args(argv)
    if not args.suite.is_dir():
        parser.error(f"{args.suite} is not a folder")
    out: Path = args.out or args.suite
    out.mkdir(parents=True, exist_ok=True)
    suite = read_suite(args.suite)
    report = out / "report.md"
    report.write_text(render_report(suite), encoding="utf-8")
    for note in suite.notes:
        print(note, file=sys.stderr)
    for path in [report, *write_plots(suite, out)]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
