"""The simulated annotation loop of docs/benchmarks.md: dev F1 against documents annotated, for
uncertainty selection and for random selection.

The training split stands in for a pile of unannotated text whose gold labels an annotator
reveals on request. Each seed starts from the same ``--start`` random documents. A round trains
the recipe (hydra overrides after ``--``, as for ``araevent train``) on the documents annotated
so far, keeps its dev figures (computed by the training run through the Predictor path), and
asks each strategy for the next ``--batch`` documents among the rest with
:func:`araevent.annotation.select`, the code behind ``araevent select``. Random selection is
that function's ``random`` strategy, so both curves pay the same duplicate checks.

Results go to ``OUT/results.jsonl``, one line per (seed, strategy, documents) with the
documents annotated so far; a second call with a larger ``--until`` continues each curve from
its last model. ``--report`` prints the table (mean and sd over seeds, words annotated, and how
many randomly chosen documents reach each uncertainty mean) and draws the plot.

    python scripts/annotation_loop.py --out models/loop --until 100 -- \\
        experiment=news-small-encoder trainer.device=cpu
    python scripts/annotation_loop.py --out models/loop --report docs/img/annotation_loop.png \\
        --reference 0.841
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("annotation_loop")
LABELS = ("ACTOR", "PLACE", "DATE", "TRIGGER")
MEASURES = ("documents", "words")
CONFIG_DIR = Path(__file__).resolve().parents[1] / "src" / "araevent" / "configs"


@dataclass
class Round:
    """One point of a curve: the documents annotated and what the model trained on them scored."""

    seed: int
    strategy: str
    documents: int
    words: int
    annotated: list[str]
    f1: float
    per_label: dict[str, float]
    train_seconds: float
    run: str  # the run folder; its model picks the next batch


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="results and run folders")
    parser.add_argument("--start", type=int, default=20, help="random documents to begin with")
    parser.add_argument("--batch", type=int, default=20, help="documents chosen each round")
    parser.add_argument("--until", type=int, default=100, help="documents at the last round")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument(
        "--strategies", nargs="+", default=["least-confidence", "random"], metavar="STRATEGY"
    )
    parser.add_argument("--report", type=Path, help="print the table and draw this PNG")
    parser.add_argument("--reference", type=float, help="dev F1 with every training document")
    parser.add_argument(
        "--target",
        type=float,
        help="with --report: the random curve's documents for this micro F1, by a power law",
    )
    parser.add_argument(
        "--label-target", type=float, help="with --report: the same for each label's F1"
    )
    parser.add_argument("overrides", nargs="*", help="hydra overrides for the training runs")
    args = parser.parse_args(argv)
    for name in ("start", "batch", "until"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.until < args.start:
        parser.error("--until must be at least --start")
    return args


class Results:
    """``results.jsonl``: every finished round, appended as soon as it is known."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rounds = [
            Round(**json.loads(line))
            for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
        ]

    def add(self, point: Round) -> None:
        self.rounds.append(point)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(point), ensure_ascii=False) + "\n")

    def shared(self, point: Round) -> bool:
        """Whether another strategy's curve holds the run of ``point`` (the start round)."""
        return any(r.run == point.run and r.strategy != point.strategy for r in self.rounds)

    def curve(self, seed: int, strategy: str) -> list[Round]:
        own = [r for r in self.rounds if r.seed == seed and r.strategy == strategy]
        return sorted(own, key=lambda r: r.documents)


class Simulation:
    """The pool (training documents with their gold spans), dev, and the training recipe."""

    def __init__(self, overrides: list[str], out: Path) -> None:
        from hydra.utils import instantiate

        self.overrides = overrides
        self.out = out
        data = instantiate(self.config(["output_dir=unused"]).data, _convert_="all")
        if data.label_map is not None:  # the rounds' files hold the project's labels already
            raise ValueError(
                "the simulation needs a corpus in the project's labels (no data.label_map)"
            )
        train = data.load("train")  # as the recipe reads it: format, mode, limit
        self.pool = {d.id: d for d in train}
        self.order = sorted(self.pool)  # seeded draws do not depend on the file's order

    def config(self, extra: list[str]) -> Any:
        from hydra import compose, initialize_config_dir

        import araevent.cli.train  # noqa: F401  (registers the configs' resolvers)

        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
            return compose("train", overrides=[*self.overrides, *extra])

    def train(self, seed: int, name: str, annotated: list[str]) -> tuple[Path, dict[str, Any]]:
        """Train on the ``annotated`` documents; the run folder (model kept, checkpoints not)
        and its metrics."""
        from hydra.utils import instantiate

        from araevent.io import save
        from araevent.training import run_training

        folder = self.out / "runs" / f"s{seed}-{name}-{len(annotated)}"
        shutil.rmtree(folder, ignore_errors=True)  # a round cut short earlier
        folder.mkdir(parents=True)
        train_file = folder / "train.jsonl"
        save([self.pool[i] for i in annotated], train_file, "jsonl")
        cfg = self.config(
            [
                f"data.train={train_file}",
                "data.format=null",  # JSONL here; dev's format is read from its name
                "data.limit=null",  # the pool had it
                f"trainer.seed={seed}",
                f"output_dir={folder}",
                "trainer.progress_bar=false",
                "trainer.tensorboard=false",
            ]
        )
        result = run_training(
            data=instantiate(cfg.data, _convert_="all"),
            model=instantiate(cfg.model, _convert_="all"),
            encoding=instantiate(cfg.encoding, _convert_="all"),
            trainer=instantiate(cfg.trainer, _convert_="all"),
            output_dir=folder,
            evaluation=instantiate(cfg.evaluation, _convert_="all"),
        )
        shutil.rmtree(folder / "checkpoints", ignore_errors=True)
        return folder, result.metrics

    def point(
        self, seed: int, strategy: str, annotated: list[str], run: Path, metrics: Any
    ) -> Round:
        strict = metrics["dev"]["strict"]
        return Round(
            seed=seed,
            strategy=strategy,
            documents=len(annotated),
            words=sum(len(self.pool[i].text.split()) for i in annotated),
            annotated=list(annotated),
            f1=strict["micro"]["f1"],
            per_label={k: v["f1"] for k, v in strict["per_label"].items()},
            train_seconds=metrics["train"]["seconds"],
            run=str(run),
        )

    def next_batch(
        self, model_dir: Path, annotated: list[str], strategy: str, k: int, seed: int
    ) -> list[str]:
        """The ``k`` documents ``strategy`` picks among those not annotated yet, as
        ``araevent select`` would pick them (the gold spans stay hidden)."""
        from araevent.annotation.selection import Exclusions, select
        from araevent.predictor import Predictor

        predictor = Predictor.from_pretrained(model_dir)
        exclusions = Exclusions()
        for doc_id in annotated:
            exclusions.add(self.pool[doc_id].text)
        taken = set(annotated)
        records = [(i, self.pool[i].text) for i in self.order if i not in taken]
        chosen = select(
            records,
            predictor.predict_with_probs,
            min(k, len(records)),
            strategy=strategy,
            exclusions=exclusions,
            seed=seed,
        )
        return [d.id for d in chosen.documents]


def run_loop(args: argparse.Namespace) -> None:
    """Every curve up to ``--until`` documents, continuing from what ``results.jsonl`` holds."""
    results = Results(args.out / "results.jsonl")
    sim = Simulation(args.overrides, args.out)
    if args.until > len(sim.pool):
        raise ValueError(f"--until {args.until}: the pool holds {len(sim.pool)} documents")
    for seed in args.seeds:
        start = random.Random(seed).sample(sim.order, args.start)
        first = next((r for r in results.rounds if _is_start(r, seed, args.start)), None)
        for strategy in args.strategies:  # the start round, trained once for every strategy
            if not results.curve(seed, strategy):
                if first is None or not (Path(first.run) / "model").is_dir():  # or gone since
                    first = sim.point(seed, strategy, start, *sim.train(seed, "start", start))
                results.add(replace(first, strategy=strategy))
                report(results.rounds[-1])
        for strategy in args.strategies:
            last = results.curve(seed, strategy)[-1]
            while last.documents < args.until:
                model = Path(last.run) / "model"
                if not model.is_dir():
                    raise FileNotFoundError(f"{model}: the last model of this curve is gone")
                k = min(args.batch, args.until - last.documents)
                picks = sim.next_batch(model, last.annotated, strategy, k, seed + last.documents)
                if not picks:
                    raise ValueError(f"seed {seed} {strategy}: no document left to pick")
                annotated = [*last.annotated, *picks]
                point = sim.point(seed, strategy, annotated, *sim.train(seed, strategy, annotated))
                results.add(point)  # before the model it supersedes goes
                if not results.shared(last):
                    shutil.rmtree(model)
                last = point
                report(last)


def _is_start(point: Round, seed: int, size: int) -> bool:
    """Whether ``point`` is the start round of ``seed`` (trained once, on ``size`` documents)."""
    return Path(point.run).name == f"s{seed}-start-{size}"


def report(point: Round) -> None:
    log.info(
        "seed %d %s: %d documents (%d words), dev F1 %.3f, trained %.0f s",
        point.seed,
        point.strategy,
        point.documents,
        point.words,
        point.f1,
        point.train_seconds,
    )


def curves(results: Results) -> dict[str, dict[int, list[Round]]]:
    """strategy → documents → the rounds of every seed."""
    out: dict[str, dict[int, list[Round]]] = {}
    for point in results.rounds:
        out.setdefault(point.strategy, {}).setdefault(point.documents, []).append(point)
    return out


def amount_to_reach(
    target: float, points: dict[int, list[Round]], measure: str = "documents"
) -> float | None:
    """Documents (or words) a curve needs to reach ``target``, linear between its means;
    None beyond its last point."""
    sizes = sorted(points)
    amounts = [_amount(points[n], measure) for n in sizes]
    means = [float(np.mean([r.f1 for r in points[n]])) for n in sizes]
    for i, (amount, f1) in enumerate(zip(amounts, means, strict=True)):
        if f1 >= target:
            if i == 0:
                return amount
            a0, f0 = amounts[i - 1], means[i - 1]
            return a0 + (amount - a0) * (target - f0) / (f1 - f0)
    return None


def _amount(rounds: list[Round], measure: str) -> float:
    """Documents or mean words annotated at one point of a curve."""
    if measure == "documents":
        return float(rounds[0].documents)
    return float(np.mean([r.words for r in rounds]))


def table(results: Results, baseline: str = "random") -> str:
    """One row per number of documents: each strategy's mean F1 (sd over its seeds) and words
    annotated, and the documents random selection needs to reach the first strategy's mean."""
    by = curves(results)
    strategies = [s for s in by if s != baseline] + ([baseline] if baseline in by else [])
    compare = baseline in by and len(strategies) > 1
    head = ["documents"]
    for s in strategies:
        seeds = max(len(rounds) for rounds in by[s].values())
        head += [f"{s} F1 ({seeds} seeds)", "sd", "words"]
    if compare:
        head += [f"{baseline} {m} to reach {strategies[0]}" for m in ("documents", "words")]
    lines = ["| " + " | ".join(head) + " |", "|---:|" + "---:|" * (len(head) - 1)]
    for n in sorted({n for points in by.values() for n in points}):
        cells = [str(n)]
        for s in strategies:
            f1 = [r.f1 for r in by[s].get(n, [])]
            words = [r.words for r in by[s].get(n, [])]
            sd = f"{np.std(f1, ddof=1):.3f}" if len(f1) > 1 else ""
            cells += [f"{np.mean(f1):.3f}", sd, f"{np.mean(words):,.0f}"] if f1 else ["", "", ""]
        if compare:
            cells += [_reach(by[strategies[0]].get(n), by[baseline], m) for m in MEASURES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _reach(rounds: list[Round] | None, baseline: dict[int, list[Round]], measure: str) -> str:
    """What random needs for the mean of ``rounds``: ``≤ first`` when its first point already
    does better, ``> last`` when none of its points gets there."""
    if not rounds:
        return ""
    reach = amount_to_reach(float(np.mean([r.f1 for r in rounds])), baseline, measure)
    first, last = (_amount(baseline[n], measure) for n in (min(baseline), max(baseline)))
    if reach is None:
        return f"> {last:,.0f}"
    return f"≤ {reach:,.0f}" if reach == first < _amount(rounds, measure) else f"{reach:,.0f}"


def per_label(results: Results) -> str:
    """Each strategy's mean F1 per label at its largest number of documents."""
    lines = ["| strategy | documents | " + " | ".join(LABELS) + " |", "|---|---:|" + "---:|" * 4]
    for strategy, points in curves(results).items():
        n = max(points)
        means = [np.mean([r.per_label.get(label, 0.0) for r in points[n]]) for label in LABELS]
        lines.append(f"| {strategy} | {n} | " + " | ".join(f"{m:.3f}" for m in means) + " |")
    return "\n".join(lines)


def power_law(
    points: dict[int, list[Round]], score: Callable[[Round], float]
) -> tuple[float, float]:
    """``(a, b)`` of ``1 - F1 = a * documents ** -b``, least squares on logs over every seed's
    rounds. Why a power law in the error: it is how learning curves are read in the scaling
    literature, and unlike a line in log-documents it cannot promise an F1 above 1."""
    pairs = [(n, 1.0 - score(r)) for n, rounds in points.items() for r in rounds]
    if len({n for n, _ in pairs}) < 2 or min(e for _, e in pairs) <= 0:
        raise ValueError("a power law needs two sizes of documents and F1 below 1 at each")
    slope, intercept = np.polyfit(
        [math.log(n) for n, _ in pairs], [math.log(e) for _, e in pairs], 1
    )
    return math.exp(intercept), round(-float(slope), 9)  # a flat curve: b = 0, not 1e-17


def documents_for(target: float, a: float, b: float) -> float | None:
    """Documents at which the fitted curve reaches ``target`` F1; None if it never does."""
    return (a / (1.0 - target)) ** (1.0 / b) if b > 0 else None


def scaling(results: Results, targets: dict[str, float], strategy: str = "random") -> str:
    """Micro and per-label F1 at each size of one strategy's curve, the share of the errors
    each doubling of documents removes, and the documents the fit needs for each target
    (``micro`` or a label). An extrapolation past the curve's last point, to be read as such."""
    points = curves(results)[strategy]
    sizes = sorted(points)
    scores: dict[str, Callable[[Round], float]] = {"micro": lambda r: r.f1}
    scores.update({label: partial(_label_f1, label) for label in LABELS})
    head = ["", *(f"F1 at {n}" for n in sizes), "errors removed per doubling", "documents for"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for name, score in scores.items():
        a, b = power_law(points, score)
        cells = [f"{np.mean([score(r) for r in points[n]]):.3f}" for n in sizes]
        wanted = _documents_cell(targets.get(name), float(cells[-1]), a, b)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {1 - 2**-b:.0%} | {wanted} |")
    return "\n".join(lines)


def _documents_cell(target: float | None, last: float, a: float, b: float) -> str:
    """``0.88: 1,049``: what the fit needs for ``target``; ``reached`` when the curve's last
    mean (``last``) is there already, so no fit is read backwards."""
    if target is None:
        return ""
    if last >= target:
        return f"{target:.2f}: reached"
    reach = documents_for(target, a, b)
    return f"{target:.2f}: " + ("never (no gain)" if reach is None else f"{reach:,.0f}")


def _label_f1(label: str, point: Round) -> float:
    return point.per_label.get(label, 0.0)


def plot(results: Results, path: Path, reference: float | None) -> None:
    """Mean dev F1 against documents annotated and against words annotated (what annotators
    spend time on: a strategy that picks short documents looks cheaper per document than it
    is), a band of one sd over seeds per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.0), sharey=True)
    for strategy, points in curves(results).items():
        sizes = sorted(points)
        f1 = [np.array([r.f1 for r in points[n]]) for n in sizes]
        words = [_amount(points[n], "words") for n in sizes]
        mean = np.array([x.mean() for x in f1])
        sd = np.array([x.std(ddof=1) if x.size > 1 else 0.0 for x in f1])
        label = f"{strategy} ({max(x.size for x in f1)} seeds)"
        for ax, xs in zip(axes, (sizes, words), strict=True):
            ax.plot(xs, mean, marker="o", label=label)
            ax.fill_between(xs, mean - sd, mean + sd, alpha=0.2)
    for ax, name in zip(axes, ("documents annotated", "words annotated"), strict=True):
        if reference is not None:
            ax.axhline(reference, color="grey", linestyle="--", label="every training document")
        ax.set_xlabel(name)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("dev strict micro F1")
    axes[0].legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        if args.report is not None:
            results = Results(args.out / "results.jsonl")
            if not results.rounds:
                raise ValueError(f"{results.path}: no rounds yet")
            print(
                "python scripts/annotation_loop.py "
                + " ".join(sys.argv[1:] if argv is None else argv)
            )
            print(table(results))
            print()
            print(per_label(results))
            if args.target is not None or args.label_target is not None:
                targets = {"micro": args.target, **dict.fromkeys(LABELS, args.label_target)}
                print()
                print(scaling(results, {k: v for k, v in targets.items() if v is not None}))
            plot(results, args.report, args.reference)
            print(f"\nplot: {args.report}")
        else:
            run_loop(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
