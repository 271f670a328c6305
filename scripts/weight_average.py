"""Average the weights of several exported models of one recipe into one model folder (a
uniform "model soup", Wortsman et al. 2022).

Fine-tunes of one pretrained encoder sometimes stay close enough in weight space that their
average predicts like their ensemble, at one model's cost; the ablation in docs/benchmarks.md
measures whether the seeds of a recipe do. The members must be the same architecture with the
same labels and windows; the output is an ordinary model folder (the first member's files,
its weights replaced by the mean), to evaluate like any other:

    python scripts/weight_average.py models/bench/soup-w64 models/bench/news-w64-s42/model \\
        models/bench/news-w64-s1/model models/bench/news-w64-s2/model
    araevent evaluate --model models/bench/soup-w64 ../shared/data/araevent-news/dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from araevent.export import export_model
from araevent.predictor import shared_settings

WEIGHTS = "model.safetensors"
SETTINGS = "araevent.json"
# the first member's files that describe it alone: its weights, its model card, ONNX exports
OWN_FILES = (WEIGHTS, "README.md", "*.onnx")


def read_members(folders: Sequence[Path]) -> list[dict[str, torch.Tensor]]:
    """The members' weights, once their labels, windows and tokenizer are known to agree."""
    for folder in folders:
        for name in (WEIGHTS, SETTINGS):
            if not (folder / name).is_file():
                raise ValueError(f"{folder}: no {name} (give exported model folders)")
    shared_settings(folders)
    return [load_file(str(folder / WEIGHTS)) for folder in folders]


def write_model(output: Path, first: Path, weights: dict[str, torch.Tensor], members: int) -> None:
    """The first member's folder with the averaged weights, written atomically by
    :func:`araevent.export.export_model`; its settings keep labels, windows and normalisation,
    and say how many models were averaged instead of giving the first's dev figures."""
    with tempfile.TemporaryDirectory(prefix=".weight-average.", dir=output.parent) as tmp:
        source = Path(tmp)
        for path in first.iterdir():
            if path.is_file() and not any(path.match(own) for own in OWN_FILES):
                shutil.copy2(path, source / path.name)
        save_file(weights, str(source / WEIGHTS), metadata={"format": "pt"})
        settings = json.loads((source / SETTINGS).read_text(encoding="utf-8"))
        settings["metrics"] = None
        settings["training"] = {**settings.get("training", {}), "weight_average_of": members}
        text = json.dumps(settings, ensure_ascii=False, indent=2) + "\n"
        (source / SETTINGS).write_text(text, encoding="utf-8")
        export_model(source, output)


def average(
    states: Sequence[dict[str, torch.Tensor]], names: Sequence[Path]
) -> dict[str, torch.Tensor]:
    """The element-wise mean of the members' floating-point tensors, summed in at least fp32
    and stored as the first member stores them; other tensors (integer buffers such as
    position ids) must be equal in every member and are kept."""
    reference = states[0]
    for state, name in zip(states[1:], names[1:], strict=True):
        shapes = {k: tuple(v.shape) for k, v in state.items()}
        if shapes != {k: tuple(v.shape) for k, v in reference.items()}:
            raise ValueError(f"{name}: its tensors differ from {names[0]}'s in names or shapes")
        for key, tensor in reference.items():
            if not tensor.is_floating_point() and not torch.equal(state[key], tensor):
                raise ValueError(f"{name}: {key} (not floating-point) differs from {names[0]}'s")
    averaged = {}
    for key, tensor in reference.items():
        if not tensor.is_floating_point():
            averaged[key] = tensor
            continue
        wide = torch.promote_types(tensor.dtype, torch.float32)
        stacked = torch.stack([state[key].to(wide) for state in states])
        averaged[key] = stacked.mean(dim=0).to(tensor.dtype)
    return averaged


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="the model folder to write")
    parser.add_argument("members", nargs="+", type=Path, help="exported model folders")
    args = parser.parse_args(argv)
    try:
        if args.output.exists():
            raise ValueError(f"{args.output} exists; give a new folder")
        states = read_members(args.members)
        averaged = average(states, args.members)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    write_model(args.output, args.members[0], averaged, len(states))
    print(f"{args.output}: the mean of {len(states)} models' weights")
    return 0


if __name__ == "__main__":
    sys.exit(main())
