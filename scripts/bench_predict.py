"""Prediction speed and quality: araevent's Predictor against transformers.pipeline.

Same model folder, same texts (a JSONL corpus of real-length news documents), same window
length and overlap. For each backend it prints documents/s and words/s (guideline words of
the input), and, when the corpus has gold spans, strict span micro F1 through the same
scorer as ``araevent evaluate`` — which is how the int8 model's F1 change is measured.

    python scripts/bench_predict.py --model MODEL_DIR --data ../shared/data/araevent-news/dev.jsonl

The model folder needs ``model.onnx``/``model.int8.onnx`` for the ONNX lines
(``araevent export RUN OUT --onnx --quantize int8``); missing files skip those lines.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from araevent.data.document import Document, Span
from araevent.data.text import words
from araevent.evaluation import EvaluationConfig, evaluate_documents
from araevent.io import load

BACKENDS = ("torch", "onnx", "onnx-int8", "pipeline")


def araevent_predict(model: str, backend: str, device: str, batch_size: int) -> Callable:
    from araevent import Predictor

    onnx_file = "model.int8.onnx" if backend == "onnx-int8" else "model.onnx"
    predictor = Predictor.from_pretrained(
        model,
        device=device,
        backend="torch" if backend == "torch" else "onnx",
        batch_size=batch_size,
        onnx_file=onnx_file,
    )

    def run(documents: list[Document]) -> list[Document]:
        return predictor.predict_documents(documents)

    return run


def pipeline_predict(model: str, device: str, batch_size: int) -> Callable:
    """transformers' token-classification pipeline, windowed like the Predictor."""
    from transformers import pipeline

    meta = json.loads((Path(model) / "araevent.json").read_text(encoding="utf-8"))
    max_length, stride = meta["encoding"]["max_length"], meta["encoding"]["stride"]
    tagger = pipeline(
        "token-classification",
        model=model,
        aggregation_strategy="first",
        stride=stride,
        device=0 if device.startswith("cuda") else -1,
        batch_size=batch_size,
    )
    tagger.tokenizer.model_max_length = max_length

    def run(documents: list[Document]) -> list[Document]:
        outputs = tagger([d.text for d in documents])
        predicted = []
        for doc, entities in zip(documents, outputs, strict=True):
            spans: list[Span] = []
            for e in sorted(entities, key=lambda e: e["start"]):
                span = Span(int(e["start"]), int(e["end"]), e["entity_group"], float(e["score"]))
                if span.end > span.start and (not spans or not spans[-1].overlaps(span)):
                    spans.append(span)
            predicted.append(doc.with_spans(spans))
        return predicted

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="JSONL (gold spans give F1)")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; best is reported")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    documents = list(load(args.data, mode="lenient"))[: args.limit]
    n_words = sum(len(words(d.text)) for d in documents)
    command = " ".join([Path(sys.executable).name, *sys.argv])
    machine = platform.processor() or platform.machine()
    print(f"command: {command}")
    print(f"{len(documents)} documents, {n_words} words; {machine}")
    rows: list[dict[str, object]] = []
    print("| backend | device | docs/s | words/s | strict micro F1 |")
    print("|---|---|---:|---:|---:|")
    for backend in args.backends.split(","):
        if backend.startswith("onnx"):
            name = "model.int8.onnx" if backend == "onnx-int8" else "model.onnx"
            if not (Path(args.model) / name).is_file():
                print(f"| {backend} | skipped: no {name} | | | |")
                continue
        run = (
            pipeline_predict(args.model, args.device, args.batch_size)
            if backend == "pipeline"
            else araevent_predict(args.model, backend, args.device, args.batch_size)
        )
        run(documents[:4])  # warm-up: lazy initialisation, kernels
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            predicted = run(documents)
            best = min(best, time.perf_counter() - started)
        f1 = None
        if any(d.spans for d in documents):
            scores = evaluate_documents(
                documents, predicted, config=EvaluationConfig(bootstrap_samples=0)
            )
            f1 = scores.strict.micro.f1
        device = "cpu" if backend.startswith("onnx") else args.device
        row = {
            "backend": backend,
            "device": device,
            "docs_per_second": len(documents) / best,
            "words_per_second": n_words / best,
            "f1": f1,
        }
        rows.append(row)
        print(
            f"| {backend} | {device} | {row['docs_per_second']:.1f} "
            f"| {row['words_per_second']:,.0f} | {'' if f1 is None else f'{f1:.3f}'} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "command": command,
            "machine": machine,
            "documents": len(documents),
            "words": n_words,
            "rows": rows,
        }
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
