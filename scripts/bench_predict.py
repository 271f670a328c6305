"""Prediction speed and quality: araevent's Predictor against transformers.pipeline.

Same model folder, same texts (a JSONL corpus of real-length news documents), same window
length and overlap. For each backend it prints documents/s and words/s (guideline words of
the input), the precision it computed in, and, when the corpus has gold spans, strict span
micro F1 through the same scorer as ``araevent evaluate`` — which is how the int8 and bf16
models' F1 changes are measured — and how many predicted spans differ from ``torch-fp32``'s.

    python scripts/bench_predict.py --model MODEL_DIR --data ../shared/data/araevent-news/dev.jsonl

Backends: ``torch`` is the Predictor as users get it (``dtype="auto"``); ``torch-fp32`` and
``torch-bf16`` force a precision (bf16 is autocast, marked *emulated* on a device without
native bf16, where it is slower than fp32); ``onnx`` and ``onnx-int8`` run the exported files;
``pipeline`` is ``transformers.pipeline`` as users run it by default (fp32) and
``pipeline-bf16`` at its best (weights loaded in bf16). The first line names the hardware:
CPU model, its native bf16 instruction sets (AMX, AVX512-BF16), torch's threads.

The model folder needs ``model.onnx``/``model.int8.onnx`` for the ONNX lines
(``araevent export RUN OUT --onnx --quantize int8``); missing files skip those lines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from araevent.data.document import Document, Span
from araevent.data.text import words
from araevent.evaluation import EvaluationConfig, evaluate_documents
from araevent.inference import DEFAULT_BATCH_SIZE
from araevent.io import load

BACKENDS = ("torch-fp32", "torch", "torch-bf16", "onnx", "onnx-int8", "pipeline", "pipeline-bf16")
TORCH_DTYPES = {"torch": "auto", "torch-fp32": "float32", "torch-bf16": "bfloat16"}
Run = Callable[[list[Document]], list[Document]]


def hardware() -> str:
    """CPU model, native bf16 yes/no (and which), threads: what the figures depend on."""
    import torch

    from araevent.precision import cpu_bf16_flags

    capabilities = dict(getattr(torch.cpu, "get_capabilities", dict)())
    name = capabilities.get("cpu_name") or platform.processor() or platform.machine()
    flags = cpu_bf16_flags()
    amx = "yes" if flags and "amx_bf16" in flags else "no"
    bf16 = "unknown" if flags is None else ", ".join(flags) or "none"
    line = (
        f"{name} ({torch.backends.cpu.get_cpu_capability()}); AMX {amx}; native bf16: {bf16}; "
        f"torch threads {torch.get_num_threads()} intra-op, {torch.get_num_interop_threads()} "
        f"inter-op; {os.cpu_count()} logical CPUs"
    )
    if torch.cuda.is_available():
        line += f"; GPU {torch.cuda.get_device_name()}"
    return line


def araevent_predict(
    model: str, backend: str, device: str, batch_size: int, threads: int | None
) -> tuple[Run, str]:
    """The Predictor's run function, and the precision it computes in."""
    from araevent import Predictor

    onnx_file = "model.int8.onnx" if backend == "onnx-int8" else "model.onnx"
    predictor = Predictor.from_pretrained(
        model,
        device=device,
        backend="onnx" if backend.startswith("onnx") else "torch",
        batch_size=batch_size,
        onnx_file=onnx_file,
        dtype=TORCH_DTYPES.get(backend, "auto"),
        threads=threads,
    )
    precision = predictor.precision
    emulated = " (emulated)" if "emulated" in precision.reason else ""
    return predictor.predict_documents, precision.dtype + emulated


def pipeline_predict(model: str, device: str, batch_size: int, bf16: bool) -> tuple[Run, str]:
    """transformers' token-classification pipeline, windowed like the Predictor; ``bf16``
    loads its weights in bf16."""
    import torch
    from transformers import pipeline

    from araevent.precision import bf16_choice

    meta = json.loads((Path(model) / "araevent.json").read_text(encoding="utf-8"))
    max_length, stride = meta["encoding"]["max_length"], meta["encoding"]["stride"]
    tagger = pipeline(
        "token-classification",
        model=model,
        aggregation_strategy="first",
        stride=stride,
        device=0 if device.startswith("cuda") else -1,
        batch_size=batch_size,
        dtype=torch.bfloat16 if bf16 else torch.float32,
    )
    if tagger.tokenizer is None:  # a token-classification pipeline always loads one
        raise RuntimeError(f"{model}: the pipeline loaded no tokenizer")
    tagger.tokenizer.model_max_length = max_length
    native = bf16_choice(tagger.device)[0]
    dtype = ("bfloat16" if native else "bfloat16 (emulated)") if bf16 else "float32"

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

    return run, dtype


def spans_changed(predicted: list[Document], reference: list[Document]) -> int:
    """Spans in one prediction or the other but not both (start, end, label)."""
    return sum(
        len(
            {(s.start, s.end, s.label) for s in a.spans}
            ^ {(s.start, s.end, s.label) for s in b.spans}
        )
        for a, b in zip(predicted, reference, strict=True)
    )


def print_ratios(rows: list[dict[str, object]]) -> None:
    """The default Predictor's documents/s over each reference's, measured in this run."""
    speed = {str(row["backend"]): cast(float, row["docs_per_second"]) for row in rows}
    for reference in ("pipeline", "pipeline-bf16"):
        if "torch" in speed and reference in speed:
            ratio = speed["torch"] / speed[reference]
            print(f"default Predictor (torch): {ratio:.2f}x {reference}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="JSONL (gold spans give F1)")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help="araevent's windows per model call (default: the Predictor's)",
    )
    parser.add_argument(
        "--pipeline-batch-size",
        type=int,
        default=16,
        help="texts per pipeline call: 16 was its fastest of 1 (its own default), 16 and 64 "
        "on a 2-core CPU",
    )
    parser.add_argument("--threads", type=int, help="torch/ONNX Runtime intra-op threads")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; best is reported")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    documents = list(load(args.data, mode="lenient"))[: args.limit]
    n_words = sum(len(words(d.text)) for d in documents)
    command = " ".join([Path(sys.executable).name, *sys.argv])
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    machine = hardware()
    print(f"command: {command}")
    print(f"{len(documents)} documents, {n_words} words; {machine}")
    rows: list[dict[str, object]] = []
    reference: list[Document] | None = None
    print("| backend | device | dtype | docs/s | words/s | strict micro F1 | spans ≠ fp32 |")
    print("|---|---|---|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        if backend.startswith("onnx"):
            name = "model.int8.onnx" if backend == "onnx-int8" else "model.onnx"
            if not (Path(args.model) / name).is_file():
                print(f"| {backend} | skipped: no {name} | | | | | |")
                continue
        run, dtype = (
            pipeline_predict(
                args.model, args.device, args.pipeline_batch_size, backend.endswith("bf16")
            )
            if backend.startswith("pipeline")
            else araevent_predict(args.model, backend, args.device, args.batch_size, args.threads)
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
        if backend == "torch-fp32":
            reference = predicted
        changed = None if reference is None else spans_changed(predicted, reference)
        device = "cpu" if backend.startswith("onnx") else args.device
        row = {
            "backend": backend,
            "device": device,
            "dtype": dtype,
            "docs_per_second": len(documents) / best,
            "words_per_second": n_words / best,
            "f1": f1,
            "spans_changed": changed,
        }
        rows.append(row)
        print(
            f"| {backend} | {device} | {dtype} | {row['docs_per_second']:.1f} "
            f"| {row['words_per_second']:,.0f} | {'' if f1 is None else f'{f1:.3f}'} "
            f"| {'' if changed is None else changed} |"
        )
    print_ratios(rows)
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
