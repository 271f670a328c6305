"""``report.md``: the evaluation's tables as GitHub-flavoured Markdown, for reading and pasting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from araevent.evaluation.muc import SCHEMES
from araevent.evaluation.spans import PRF

if TYPE_CHECKING:
    from araevent.evaluation.harness import Evaluation


def _row(cells: list[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _header(names: list[str], numeric_from: int = 1) -> list[str]:
    align = ["---"] * numeric_from + ["---:"] * (len(names) - numeric_from)
    return [_row(list(names)), _row(list(align))]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(evaluation: Evaluation, title: str, max_errors: int) -> str:
    lines = [f"# {title}", ""]
    for key, value in evaluation.meta.items():
        lines.append(f"- {key}: `{value}`")
    lines += [f"- documents: {len(evaluation.pairs)}", ""]
    lines += _strict_table(evaluation)
    lines += ["", "## Match modes (micro)", ""]
    lines += _modes_table(evaluation)
    lines += ["", "## seqeval over words (IOB2)", ""]
    lines += _seqeval_table(evaluation)
    lines += ["", "## Confusion matrix", "", "Rows gold, columns predicted; `O` = no span.", ""]
    lines += [evaluation.confusion.markdown()]
    lines += ["", "## Errors", ""]
    lines += _errors(evaluation, max_errors)
    return "\n".join(lines) + "\n"


def _strict_table(evaluation: Evaluation) -> list[str]:
    boot = evaluation.bootstrap
    lines = ["## Strict span scores (same boundaries and label)", ""]
    if boot:
        lines += [
            f"F1 intervals: {boot.confidence:.0%} document-level bootstrap, "
            f"{boot.samples} resamples, seed {boot.seed}.",
            "",
        ]
    lines += _header(["label", "P", "R", "F1", "F1 interval", "TP", "FP", "FN", "support"])
    scores = evaluation.strict
    rows: list[tuple[str, PRF]] = [*sorted(scores.per_label.items()), ("micro", scores.micro)]
    for label, s in rows:
        interval = ""
        if boot:
            ci = boot.f1 if label == "micro" else boot.per_label_f1[label]
            interval = f"{ci.low:.3f}–{ci.high:.3f}"
        lines.append(
            _row(
                [
                    label,
                    f"{s.precision:.3f}",
                    f"{s.recall:.3f}",
                    f"{s.f1:.3f}",
                    interval,
                    s.tp,
                    s.fp,
                    s.fn,
                    s.tp + s.fn,
                ]
            )
        )
    lines += ["", f"Macro F1: {scores.macro_f1:.3f}"]
    return lines


def _modes_table(evaluation: Evaluation) -> list[str]:
    lines = _header(
        ["mode", "P", "R", "F1", "correct", "incorrect", "partial", "missed", "spurious"]
    )
    b = evaluation.boundary.micro
    lines.append(
        _row(
            [
                "boundary (any label)",
                f"{b.precision:.3f}",
                f"{b.recall:.3f}",
                f"{b.f1:.3f}",
                b.tp,
                "",
                "",
                b.fn,
                b.fp,
            ]
        )
    )
    for scheme in SCHEMES:
        m = evaluation.muc[scheme].overall
        lines.append(
            _row(
                [
                    f"MUC {scheme}",
                    f"{m.precision:.3f}",
                    f"{m.recall:.3f}",
                    f"{m.f1:.3f}",
                    m.correct,
                    m.incorrect,
                    m.partial,
                    m.missed,
                    m.spurious,
                ]
            )
        )
    lines += [
        "",
        "In the boundary row, missed and spurious are FN and FP: spans with no same-boundary "
        "counterpart. In the MUC rows they are spans that overlap nothing.",
    ]
    return lines


def _seqeval_table(evaluation: Evaluation) -> list[str]:
    modes = list(evaluation.seqeval.values())
    if not modes:
        return ["Not computed (`seqeval_modes` is empty)."]
    header = ["label"]
    for scores in modes:
        header += [f"{scores.mode} P", f"{scores.mode} R", f"{scores.mode} F1"]
    lines = _header([*header, "support"])
    for name, row in modes[0].report.items():
        cells: list[object] = [name]
        for scores in modes:
            other = scores.report.get(name, {})
            cells += [f"{other.get(k, 0.0):.3f}" for k in ("precision", "recall", "f1-score")]
        lines.append(_row([*cells, int(row["support"])]))
    if modes[0].unaligned:
        lines += ["", f"{modes[0].unaligned} spans do not start and end on word edges."]
    return lines


def _errors(evaluation: Evaluation, max_errors: int) -> list[str]:
    counts = evaluation.error_counts
    lines = [", ".join(f"{kind}: {n}" for kind, n in counts.items()), ""]
    errors = evaluation.errors
    if not errors:
        return lines
    lines += [f"First {min(max_errors, len(errors))} of {len(errors)}:", ""]
    lines += _header(["document", "kind", "gold", "predicted", "context"], numeric_from=5)
    for error in errors[:max_errors]:
        gold = f"{error.gold.label} «{error.gold_text}»" if error.gold else ""
        pred = f"{error.predicted.label} «{error.predicted_text}»" if error.predicted else ""
        lines.append(
            _row(
                [_cell(error.document), error.kind, _cell(gold), _cell(pred), _cell(error.context)]
            )
        )
    return lines
