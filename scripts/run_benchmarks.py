"""Rerun the whole benchmark suite: quality per corpus, training speed, inference speed.

Each step writes under OUT (default ``models/bench/suite``) and can run on its own, so that the
suite fits in several shorter sessions on a borrowed GPU; ``report`` then turns whatever is
there into ``report.md`` and the plots (``scripts/benchmark_report.py``).

    python scripts/run_benchmarks.py                      # every step
    python scripts/run_benchmarks.py --steps quality      # one step
    python scripts/run_benchmarks.py --steps train-speed --run-ner run_ner.py

Steps:
  quality        ``araevent train`` with each experiment in QUALITY (small-encoder on
                 araevent-news, scored on dev; on ANERcorp's own four labels, scored on test)
  train-speed    ``scripts/bench_train.py``: araevent against run_ner.py (small-encoder), then a
                 random BERT-base-sized model for sub-tokens/s and MFU
  predict-speed  export the araevent-news model (ONNX fp32 and int8), then
                 ``scripts/bench_predict.py`` on the CPU and, when there is one, the GPU
  report         ``scripts/benchmark_report.py``: report.md, f1_per_label.png, throughput.png
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

# relative to the working directory (Python makes __file__ absolute), so that the commands
# recorded in the report read as a user in the checkout would type them
SCRIPTS = Path(os.path.relpath(Path(__file__).parent))
SHARED = Path(os.environ.get("ARAEVENT_SHARED", "../shared"))
STEPS = ("quality", "train-speed", "predict-speed", "report")
# experiment configs (configs/experiment/); each run's folder is named after its experiment
QUALITY = ("news-small-encoder", "anercorp-small-encoder")
# quoted from ../shared/data/README.md and ../shared/models/araevent-small-encoder/README.md,
# not measured here: shown beside the measured figures, marked as quoted
REFERENCES = {
    "news-small-encoder": {
        "label": "plain first-subword fine-tune (quoted from ../shared/data/README.md)",
        "micro_f1": 0.831,
        "metric": "seqeval conlleval",
        "per_label": {"ACTOR": 0.813, "PLACE": 0.867, "DATE": 0.945, "TRIGGER": 0.803},
    },
    "anercorp-small-encoder": {
        "label": "plain first-subword fine-tune (quoted from the encoder's README)",
        "micro_f1": 0.727,
        "metric": "seqeval conlleval",
        "per_label": {},
    },
}
NEWS_DEV = SHARED / "data" / "araevent-news" / "dev.jsonl"


def run(command: Sequence[str]) -> None:
    print("$ " + " ".join(command), flush=True)
    done = subprocess.run(command, check=False)
    if done.returncode:
        sys.exit(f"failed with exit code {done.returncode}: {' '.join(command)}")


def araevent(*arguments: str) -> list[str]:
    """The CLI through this interpreter, so a checkout on PYTHONPATH works uninstalled."""
    return [sys.executable, "-m", "araevent.cli.main", *arguments]


def quality(out: Path, device: str) -> None:
    folder = out / "quality"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "references.json").write_text(json.dumps(REFERENCES, indent=2), encoding="utf-8")
    for name in QUALITY:
        command = araevent(
            "train",
            f"experiment={name}",
            f"trainer.device={device}",
            *(["trainer.dataloader_num_workers=0"] if device == "cpu" else []),
            "trainer.tensorboard=false",
            "trainer.progress_bar=false",
            f"hydra.run.dir={folder / name}",
        )
        run(command)
        shown = ["araevent", *command[3:]]  # what a user types: the installed command
        (folder / name / "command.txt").write_text(" ".join(shown) + "\n", encoding="utf-8")


def train_speed(out: Path, device: str, run_ner: Path | None, epochs: int) -> None:
    ner = ["--run-ner", str(run_ner)] if run_ner else ["--frameworks", "araevent"]
    for model, model_epochs in (
        (str(SHARED / "models" / "araevent-small-encoder"), epochs),
        ("random-bert-base", 2),
    ):
        name = Path(model).name
        run(
            [
                sys.executable,
                str(SCRIPTS / "bench_train.py"),
                *ner,
                "--model",
                model,
                "--epochs",
                str(model_epochs),
                "--device",
                device,
                "--out",
                str(out / "train-speed" / name),
            ]
        )


def predict_speed(out: Path, cuda: bool) -> None:
    trained = out / "quality" / "news-small-encoder"
    if not (trained / "model").is_dir():
        sys.exit(f"predict-speed needs the quality step's model: {trained / 'model'} is missing")
    exported = out / "news-small-encoder-export"
    run(araevent("export", str(trained), str(exported), "--onnx", "--quantize", "int8", "--force"))
    bench = [sys.executable, str(SCRIPTS / "bench_predict.py"), "--model", str(exported)]
    run(
        [
            *bench,
            "--data",
            str(NEWS_DEV),
            "--device",
            "cpu",
            "--json",
            str(out / "predict-cpu.json"),
        ]
    )
    if cuda:
        run(
            [
                *bench,
                "--data",
                str(NEWS_DEV),
                "--device",
                "cuda",
                "--backends",
                "torch,pipeline",
                "--batch-size",
                "64",
                "--repeat",
                "5",
                "--json",
                str(out / "predict-cuda.json"),
            ]
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("models/bench/suite"))
    parser.add_argument(
        "--steps", default=",".join(STEPS), help="comma-separated, from: " + ", ".join(STEPS)
    )
    parser.add_argument(
        "--device", default="auto", help="auto, cuda or cpu (training and GPU inference)"
    )
    parser.add_argument("--run-ner", type=Path, help="run_ner.py from the transformers repository")
    parser.add_argument(
        "--epochs", type=int, default=15, help="small-encoder epochs in train-speed"
    )
    args = parser.parse_args(argv)
    steps = args.steps.split(",")
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown steps {unknown}; choose from {', '.join(STEPS)}")
    import torch

    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = "cuda" if cuda else "cpu"
    if "quality" in steps:
        quality(args.out, device)
    if "train-speed" in steps:
        train_speed(args.out, device, args.run_ner, args.epochs)
    if "predict-speed" in steps:
        predict_speed(args.out, cuda)
    if "report" in steps:
        run([sys.executable, str(SCRIPTS / "benchmark_report.py"), str(args.out)])


if __name__ == "__main__":
    main()
