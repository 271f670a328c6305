"""Training speed: ``araevent train`` against Hugging Face's token-classification example.

Same model, same documents, same hyperparameters (epochs, batch size, learning rate, warm-up,
weight decay, seed, maximum length, bf16 on GPUs that support it), each framework in its own
process. ``run_ner.py`` is read from the transformers repository (the version installed here) and
run unmodified beside the project, not committed: this script only points its seqeval metric at
araevent's offline copy (``evaluate.load("seqeval")`` would need the Hub) and adds a clock.

For each framework it prints sub-tokens/s and words/s of training (evaluation and checkpointing
left out), peak GPU memory, the dev span F1 after each epoch, and the training time to reach
the best F1 both runs reach. Every dev F1 is strict span micro F1 through araevent's Predictor
path (windows, constrained decoding), so both are scored alike: run_ner's checkpoints are
loaded after training and predicted with araevent's decoder. On a GPU it adds model FLOPs
utilisation (6N + 12·L·H·S training FLOPs per token, over the GPU's dense bf16 peak).

    python scripts/bench_train.py --run-ner run_ner.py \\
        --model ../shared/models/araevent-small-encoder --epochs 15
    python scripts/bench_train.py --run-ner run_ner.py --model random-bert-base --epochs 3

``--model random-bert-base`` builds a randomly initialised BERT-base-sized model (12 layers,
768 wide) with a 64,000-piece WordPiece vocabulary learnt from raw news text, the shape of
AraBERT, for speed and utilisation only. Results go to ``OUT/results.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("ARAEVENT_SHARED", "../shared"))
RAW_NEWS = SHARED / "data" / "raw-news" / "news-ar.txt.gz"
# dense bf16 peak (TFLOP/s) by device name, from NVIDIA's data sheets
PEAK_BF16_TFLOPS = {"H100 PCIe": 756.0, "H100": 989.4, "H200": 989.4, "A100": 312.0}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run-ner", type=Path, help="run_ner.py from the transformers repo")
    parser.add_argument("--model", default=str(SHARED / "models" / "araevent-small-encoder"))
    parser.add_argument("--train", default=str(SHARED / "data" / "araevent-news" / "train.jsonl"))
    parser.add_argument("--dev", default=str(SHARED / "data" / "araevent-news" / "dev.jsonl"))
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="auto", help="auto, cuda or cpu")
    parser.add_argument("--limit", type=int, help="first N training documents (smoke runs)")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak")
    parser.add_argument(
        "--frameworks",
        default="araevent,run_ner",
        help=f"comma-separated, of {', '.join(FRAMEWORKS)}: each as users run it by default, "
        "and the references at their best (-bf16) or in fp32 (-fp32)",
    )
    parser.add_argument("--out", type=Path, default=Path("models/bench/train-speed"))
    return parser.parse_args(argv)


# --- data -------------------------------------------------------------------------------------


def load_documents(path: str, limit: int | None = None) -> list[Any]:
    from araevent.io import load

    return list(islice(load(path), limit))


def write_run_ner_json(documents: Sequence[Any], path: Path) -> int:
    """run_ner's input: one JSON line per document, guideline words and their IOB2 tags.

    Returns the number of words (the unit both frameworks' words/s are counted in).
    """
    from araevent.evaluation.tagging import word_bounds, word_tags

    n_words = 0
    with path.open("w", encoding="utf-8") as out:
        for doc in documents:
            bounds = word_bounds(doc.text)
            tokens = [doc.text[a:b] for a, b in bounds.tolist()]
            tags = word_tags(doc, bounds).tags
            out.write(json.dumps({"tokens": tokens, "ner_tags": tags}, ensure_ascii=False) + "\n")
            n_words += len(tokens)
    return n_words


def run_ner_tokens(model: str, path: Path, max_length: int) -> tuple[int, int, int]:
    """Sub-tokens per epoch as run_ner feeds them, examples, and examples it truncates."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    full = tokenizer([r["tokens"] for r in rows], is_split_into_words=True)["input_ids"]
    lengths = [len(ids) for ids in full]
    return sum(min(n, max_length) for n in lengths), len(rows), sum(n > max_length for n in lengths)


# --- models -----------------------------------------------------------------------------------


def build_random_bert_base(folder: Path, paragraphs: int = 200_000) -> str:
    """A BERT-base-shaped model at random initialisation, AraBERT's vocabulary size."""
    from araevent.data.labels import LabelSchema
    from araevent.modeling import build_tiny_model

    if not (folder / "config.json").is_file():
        with gzip.open(RAW_NEWS, "rt", encoding="utf-8") as lines:
            texts = list(islice(lines, paragraphs))
        net, tokenizer = build_tiny_model(
            texts,
            LabelSchema(),  # the project's four labels
            vocab_size=64_000,
            hidden_size=768,
            layers=12,
            heads=12,
        )
        net.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    return str(folder)


def flops_per_token(model_dir: str, seq_len: float) -> float:
    """Training FLOPs per token: 6 per non-embedding weight plus attention (PaLM, appendix B)."""
    from transformers import AutoConfig, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(model_dir)
    import torch

    with torch.device("meta"):
        net = AutoModelForTokenClassification.from_config(config)  # type: ignore[no-untyped-call]
    weights = sum(p.numel() for name, p in net.named_parameters() if "embeddings" not in name)
    return float(6 * weights + 12 * config.num_hidden_layers * config.hidden_size * seq_len)


def peak_flops(explicit: float | None) -> float | None:
    import torch

    if explicit:
        return explicit * 1e12
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((v * 1e12 for key, v in PEAK_BF16_TFLOPS.items() if key in name), None)


# --- the two frameworks -----------------------------------------------------------------------


def run_araevent(
    args: argparse.Namespace, model: str, out: Path, bf16: str = "auto"
) -> dict[str, Any]:
    """``araevent train`` as a user runs it; ``bf16`` is ``trainer.bf16`` (``auto`` chooses
    bf16 where the device computes it natively)."""
    trainer = "gpu" if uses_cuda(args.device) else "cpu"
    command = [
        sys.executable,
        "-m",
        "araevent.cli.main",
        "train",
        "data=araevent-news",
        f"trainer={trainer}",
        f"data.train={args.train}",
        f"data.dev={args.dev}",
        "data.test=null",
        f"data.limit={args.limit or 'null'}",
        f"model.name={model}",
        f"trainer.epochs={args.epochs}",
        f"trainer.batch_size={args.batch_size}",
        f"trainer.learning_rate={args.learning_rate}",
        f"trainer.seed={args.seed}",
        f"trainer.device={args.device}",
        f"trainer.bf16={bf16}",
        "trainer.early_stopping_patience=null",
        "trainer.save_total_limit=1",
        "trainer.tensorboard=false",
        "trainer.progress_bar=false",
        "evaluation.seqeval_modes=[]",
        f"encoding.max_length={args.max_length}",
        f"hydra.run.dir={out}",
    ]
    run_logged(command, out.with_suffix(".log"))
    train = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["train"]
    return {
        "command": " ".join(["araevent", *command[3:]]),  # as a user types it
        "curve": train["history"],
        "start_epoch": 0.0,
        "tokens_per_epoch": train["tokens_per_epoch"],
        "examples": train["windows"],
        "truncated": 0,
        "peak_gpu_memory_bytes": train["peak_gpu_memory_bytes"],
        "model_dir": str(out / "model"),
    }


def run_ner_arguments(
    args: argparse.Namespace, model: str, out: Path, data: dict[str, Path], best: bool = False
) -> list[str]:
    """run_ner.py's command line with the shared hyperparameters; on a GPU with bf16 it gets
    ``--bf16`` as its README suggests, on a CPU only when ``best`` asks for it (its default
    there is fp32)."""
    import torch

    cuda = uses_cuda(args.device)
    bf16 = best or (cuda and torch.cuda.is_bf16_supported())
    return [
        f"--model_name_or_path={model}",
        f"--train_file={data['train']}",
        f"--validation_file={data['dev']}",
        f"--output_dir={out}",
        "--do_train",
        "--do_eval",
        f"--num_train_epochs={args.epochs}",
        f"--per_device_train_batch_size={args.batch_size}",
        f"--per_device_eval_batch_size={2 * args.batch_size}",
        f"--learning_rate={args.learning_rate}",
        "--weight_decay=0.01",
        "--warmup_steps=0.1",
        "--lr_scheduler_type=linear",
        f"--seed={args.seed}",
        f"--max_seq_length={args.max_length}",
        "--eval_strategy=epoch",
        "--save_strategy=epoch",
        "--report_to=none",
        "--disable_tqdm=true",
        "--logging_steps=20",
        f"--bf16={str(bf16).lower()}",
        *(["--use_cpu=true"] if not cuda else []),
    ]


def run_run_ner(
    args: argparse.Namespace, model: str, out: Path, data: dict[str, Path], best: bool = False
) -> dict[str, Any]:
    run_ner_args = run_ner_arguments(args, model, out, data, best)
    clock = out / "learning_curve.json"
    command = [
        sys.executable,
        __file__,
        "--run-ner-worker",
        str(args.run_ner),
        str(clock),
        "--",
        *run_ner_args,
    ]
    run_logged(command, out.with_suffix(".log"))
    result = json.loads(clock.read_text(encoding="utf-8"))
    tokens, examples, truncated = run_ner_tokens(model, data["train"], args.max_length)
    dev = load_documents(args.dev)
    for point in result["curve"]:  # score each epoch's checkpoint through araevent's path
        checkpoint = out / f"checkpoint-{int(point['step'])}"
        point["span_f1"] = predictor_f1(checkpoint, dev, args)
    return {
        "command": "python run_ner.py " + " ".join(run_ner_args),
        **result,
        "tokens_per_epoch": tokens,
        "examples": examples,
        "truncated": truncated,
        "model_dir": str(out),
    }


# name -> (args, model, out folder, run_ner's data files) -> the run's record
FRAMEWORKS: dict[str, Callable[..., dict[str, Any]]] = {
    "araevent": lambda args, model, out, data: run_araevent(args, model, out),
    "araevent-fp32": lambda args, model, out, data: run_araevent(args, model, out, bf16="false"),
    "run_ner": lambda args, model, out, data: run_run_ner(args, model, out, data),
    "run_ner-bf16": lambda args, model, out, data: run_run_ner(args, model, out, data, best=True),
}


def run_ner_worker(run_ner: str, clock: str, argv: Sequence[str]) -> None:
    """Runs run_ner.py in this process with an offline seqeval metric and a training clock."""
    import runpy

    import evaluate
    import torch
    import transformers

    from araevent.evaluation import hf_metric_path
    from araevent.learning_curve import learning_curve_callback

    load = evaluate.load

    def offline_load(name: str, *a: Any, **k: Any) -> Any:
        return load(hf_metric_path() if name == "seqeval" else name, *a, **k)

    evaluate.load = offline_load
    curve = learning_curve_callback()
    init = transformers.Trainer.__init__

    def with_clock(self: Any, *a: Any, **k: Any) -> None:
        init(self, *a, **k)
        self.add_callback(curve)

    setattr(transformers.Trainer, "__init__", with_clock)  # noqa: B010
    sys.argv = [run_ner, *argv]
    runpy.run_path(run_ner, run_name="__main__")
    peak = torch.cuda.max_memory_allocated() if torch.cuda.is_available() else None
    Path(clock).write_text(
        json.dumps(
            {"curve": curve.points, "start_epoch": curve.start_epoch, "peak_gpu_memory_bytes": peak}
        ),
        encoding="utf-8",
    )


def predictor_f1(model_dir: Path, dev: list[Any], args: Any) -> float:
    """Strict span micro F1 of a run_ner checkpoint, predicted as araevent predicts.

    run_ner orders its labels alphabetically; the logits are reordered to araevent's schema.
    """
    import numpy as np
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from araevent.data.labels import LabelSchema
    from araevent.evaluation.spans import score_spans
    from araevent.features import EncodingConfig
    from araevent.predictor import Predictor
    from araevent.torch_runner import TorchRunner

    schema = LabelSchema()
    net = AutoModelForTokenClassification.from_pretrained(model_dir)
    order = np.asarray([net.config.label2id[tag] for tag in schema.tags])
    inner = TorchRunner(net, args.device)

    def runner(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        return np.asarray(inner(input_ids, attention_mask)[..., order])

    encoding = EncodingConfig(max_length=args.max_length, stride=64)
    predictor = Predictor(runner, AutoTokenizer.from_pretrained(model_dir), schema, encoding)
    return score_spans(dev, predictor.predict_documents(dev), schema.labels).micro.f1


def uses_cuda(device: str) -> bool:
    import torch

    return device == "cuda" or (device == "auto" and torch.cuda.is_available())


def run_logged(command: Sequence[str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        sys.exit(f"failed ({done.returncode}); log: {log}\n" + log.read_text()[-3000:])


# --- figures ----------------------------------------------------------------------------------


def summarise(run: dict[str, Any], words: int, peak: float | None) -> dict[str, Any]:
    curve = run["curve"]
    last = curve[-1]
    epochs = last["epoch"] - run["start_epoch"]
    seconds = last["train_seconds"]
    tokens_per_second = run["tokens_per_epoch"] * epochs / seconds
    seq_len = run["tokens_per_epoch"] / run["examples"]
    flops = flops_per_token(run["model_dir"], seq_len)
    return {
        "train_seconds": seconds,
        "wall_seconds": last["seconds"],
        "tokens_per_second": tokens_per_second,
        "words_per_second": words * epochs / seconds,
        "mean_sequence_length": seq_len,
        "peak_gpu_memory_gib": (
            run["peak_gpu_memory_bytes"] / 2**30 if run["peak_gpu_memory_bytes"] else None
        ),
        "mfu": tokens_per_second * flops / peak if peak else None,
        "best_f1": max(p["span_f1"] for p in curve),
        "final_f1": last["span_f1"],
    }


def versions() -> dict[str, str]:
    import torch
    import transformers

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "machine": platform.processor() or platform.machine(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--run-ner-worker"]:
        run_ner_worker(argv[1], argv[2], argv[4:])
        return
    args = parse_args(argv)
    frameworks = args.frameworks.split(",")
    unknown = sorted(set(frameworks) - set(FRAMEWORKS))
    if unknown:
        sys.exit(f"--frameworks: unknown {', '.join(unknown)} (known: {', '.join(FRAMEWORKS)})")
    if any(name.startswith("run_ner") for name in frameworks) and not (
        args.run_ner and args.run_ner.is_file()
    ):
        sys.exit(
            "--run-ner must name run_ner.py from the transformers repository "
            "(examples/pytorch/token-classification/run_ner.py at the installed version)"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    model = args.model
    if model == "random-bert-base":
        model = build_random_bert_base(args.out / "random-bert-base")
    train_docs = load_documents(args.train, args.limit)
    data = {"train": args.out / "run_ner-train.json", "dev": args.out / "run_ner-dev.json"}
    words = write_run_ner_json(train_docs, data["train"])
    write_run_ner_json(load_documents(args.dev), data["dev"])
    peak = peak_flops(args.peak_tflops)
    results: dict[str, Any] = {
        "command": "python scripts/bench_train.py " + " ".join(argv),
        "date": time.strftime("%Y-%m-%d"),
        "versions": versions(),
        "model": model,
        "train_documents": len(train_docs),
        "train_words": words,
        "frameworks": {},
    }
    for name in frameworks:
        out = args.out / name
        run = FRAMEWORKS[name](args, model, out, data)
        run["summary"] = summarise(run, words, peak)
        results["frameworks"][name] = run
    results["target_f1"] = min(r["summary"]["best_f1"] for r in results["frameworks"].values())
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    # run as a script, this folder is on sys.path: the suite report formats the table
    from benchmark_report import Source, train_speed_section

    print("\n".join(train_speed_section(Source(Path(model).name, results))))
    for name, run in results["frameworks"].items():
        curve = ", ".join(f"{p['epoch']:g}: {p['span_f1']:.3f}" for p in run["curve"])
        print(f"\n{name} dev F1 by epoch: {curve}")
        if run["truncated"]:
            print(
                f"{name} truncated {run['truncated']} of {run['examples']} training examples "
                f"at {args.max_length} sub-tokens"
            )


if __name__ == "__main__":
    main()
