"""Self-contained model folders: what ``araevent export RUN OUT`` and the end of training write.

An exported folder holds the safetensors weights, ``config.json`` (id2label/label2id), the
tokenizer files, ``araevent.json`` (labels, encoding and normalisation, package version,
training-data hash, metrics) and a ``README.md`` model card; optionally ``model.onnx`` and its
int8 quantisation. ``transformers.pipeline("token-classification", model=OUT)`` loads it as
well as :class:`~araevent.predictor.Predictor` does.

Writing is atomic: everything goes to a hidden sibling folder that is renamed into place at
the end, so a crash or a full disk leaves either the old folder or the new one, never half.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from araevent.data.labels import DEFAULT_LABELS

# Weights, configs and tokenizer files; never pickles (training_args.bin, optimizer state).
_COPIED_SUFFIXES = (".json", ".safetensors", ".txt", ".model")
_SPLITS = ("dev", "test")


def model_folder(source: str | Path) -> Path:
    """The model folder of a training run (``RUN/model``), or ``source`` if it is one."""
    source = Path(source)
    folder = source / "model" if (source / "model" / "araevent.json").is_file() else source
    if not (folder / "araevent.json").is_file():
        raise FileNotFoundError(
            f"{source}: neither a training run (no model/araevent.json) nor a model folder "
            "(no araevent.json)"
        )
    return folder


def metrics_summary(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The headline figures of a run's metrics.json, per split: micro P/R/F1 and label F1."""
    out: dict[str, Any] = {}
    for split in _SPLITS:
        evaluation = metrics.get(split)
        if not evaluation:
            continue
        strict = evaluation["strict"]
        out[split] = {
            "gold": evaluation.get("meta", {}).get("gold"),
            "documents": evaluation["documents"],
            "precision": strict["micro"]["precision"],
            "recall": strict["micro"]["recall"],
            "f1": strict["micro"]["f1"],
            "per_label_f1": {k: v["f1"] for k, v in strict["per_label"].items()},
        }
    return out


def export_model(
    source: str | Path,
    out: str | Path,
    *,
    metrics: Mapping[str, Any] | None = None,
    onnx: bool = False,
    quantize: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the model of ``source`` (a run or a model folder) to ``out``, atomically.

    ``metrics`` defaults to the run's ``metrics.json`` when ``source`` is a run. ``out`` may be
    the source folder itself (training finalises its own model folder this way).
    """
    from araevent import __version__

    folder = model_folder(source)
    out = Path(out)
    in_place = out.exists() and out.resolve() == folder.resolve()
    if out.exists() and not (overwrite or in_place):
        raise FileExistsError(f"{out} exists; pass overwrite=True (--force) to replace it")
    if quantize not in (None, "int8"):
        raise ValueError(f"quantize must be None or 'int8', got {quantize!r}")
    if quantize:
        _require_onnxruntime()
    if metrics is None and (Path(source) / "metrics.json").is_file():
        metrics = json.loads((Path(source) / "metrics.json").read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in _COPIED_SUFFIXES and path.name != "README.md":
                shutil.copy2(path, staging / path.name)
        meta = json.loads((folder / "araevent.json").read_text(encoding="utf-8"))
        meta["araevent_version"] = __version__
        if metrics:
            meta["metrics"] = metrics_summary(metrics)
        (staging / "araevent.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (staging / "README.md").write_text(model_card(meta), encoding="utf-8")
        if onnx or quantize:
            from araevent.onnx_export import export_onnx

            export_onnx(staging, quantize=quantize)
        _usual_permissions(staging)
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _require_onnxruntime() -> None:
    """Quantisation imports onnxruntime only after the (slow) ONNX export: fail before it."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:  # an optional extra
        raise ImportError(
            'int8 quantisation needs onnxruntime: pip install "araevent[onnx]"'
        ) from exc


def _usual_permissions(folder: Path) -> None:
    """The modes of a folder made with ``mkdir`` and files made with ``open``: the staging
    folder is private (``mkdtemp``), and a model is meant for other users and services too."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


def _swap_into_place(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    out.rename(old)
    staging.rename(out)
    shutil.rmtree(old)


def model_card(meta: Mapping[str, Any]) -> str:
    """README.md for an exported model: labels, data, figures, usage, intended use and limits."""
    labels = list(meta["labels"])
    training = meta.get("training", {})
    lines = [
        "---",
        "language: ar",
        "library_name: transformers",
        "pipeline_tag: token-classification",
        "tags: [araevent, arabic, event-extraction, ner]",
        "---",
        "",
        "# araevent span tagger",
        "",
        f"Tags {', '.join(labels)} spans in Arabic news text "
        f"(araevent {meta.get('araevent_version', '?')}).",
        "",
        "## Training",
        "",
        f"- base model: `{training.get('base_model', 'unknown')}`",
        f"- training data: `{training.get('data', 'unknown')}` "
        f"({training.get('documents', '?')} documents, "
        f"sha256 `{training.get('data_sha256', '?')}`)",
        f"- windows of {meta['encoding']['max_length']} sub-tokens, overlap "
        f"{meta['encoding']['stride']}; normalisation: "
        f"{'on' if meta.get('normalization') else 'off'}",
        "",
        "## Figures",
        "",
    ]
    figures = meta.get("metrics") or {}
    if not figures:
        lines.append("No evaluation was recorded with this model.")
    for split, figure in figures.items():
        lines += [
            f"Strict span scores on {split} (`{figure['gold']}`, {figure['documents']} documents):",
            "",
            "| label | F1 |",
            "|---|---:|",
            *(f"| {label} | {f1:.3f} |" for label, f1 in sorted(figure["per_label_f1"].items())),
            f"| **micro** (P {figure['precision']:.3f}, R {figure['recall']:.3f}) "
            f"| **{figure['f1']:.3f}** |",
            "",
        ]
    lines += [
        "## Use",
        "",
        "```python",
        "from araevent import Predictor",
        'predictor = Predictor.from_pretrained("path/to/this/folder")',
        'predictor.predict("قصفت الطائرات التركية مواقع في الرقة يوم الأحد")',
        "```",
        "",
        "Offsets in the returned entities point into the caller's text. The folder also loads "
        'with `transformers.pipeline("token-classification", model=...)`, without araevent\'s '
        "windowing and BIO-constrained decoding.",
        "",
        "## Intended use and limits",
        "",
        "- Modern Standard Arabic news; other registers and dialects were not evaluated.",
        (
            "- Spans follow the araevent annotation guidelines (ACTOR, PLACE, DATE, TRIGGER); "
            "event records pair triggers with arguments of the same sentence, not by a "
            "relation model."
            if sorted(labels) == sorted(DEFAULT_LABELS)
            else f"- Spans follow the training data's own definitions of {', '.join(labels)}."
        ),
        "- Figures above are on the named data only; expect lower scores on other sources.",
        "",
    ]
    return "\n".join(lines)
