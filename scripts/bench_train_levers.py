"""Training-step speed of one model under each lever the speed issue names, in one run.

Fixed batches of the recipe's shape (``--batch-size`` windows of ``--length`` sub-tokens, random
ids), a fresh model per lever, AdamW as the Trainer runs it (fused), a few warm-up steps, then
``--steps`` timed steps. Levers: eager fp32 (what ``araevent train`` runs on a CPU without native
bf16), bf16 autocast (what ``trainer.bf16=auto`` picks where the CPU or GPU has it), and
``torch.compile`` (not used by araevent: its first compile is counted apart). It prints
sub-tokens/s and the ratio to eager fp32, with the hardware line; nothing is written.

    python scripts/bench_train_levers.py --model ../shared/models/araevent-small-encoder
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("ARAEVENT_SHARED", "../shared"))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "araevent-small-encoder"))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--levers", default="fp32,bf16,compile")
    return parser.parse_args(argv)


def step_speed(args: argparse.Namespace, lever: str) -> tuple[float, float]:
    """(sub-tokens/s over the timed steps, seconds of the warm-up steps)."""
    import torch

    from araevent.modeling import quiet_transformers

    torch.manual_seed(0)
    with quiet_transformers():
        from transformers import AutoModelForTokenClassification

        model: Any = AutoModelForTokenClassification.from_pretrained(args.model, num_labels=9)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    forward = torch.compile(model) if lever == "compile" else model
    shape = (args.batch_size, args.length)
    batch = {
        "input_ids": torch.randint(5, 1000, shape),
        "attention_mask": torch.ones(shape, dtype=torch.long),
        "labels": torch.randint(0, 9, shape),
    }

    def step() -> None:
        with torch.autocast("cpu", torch.bfloat16, enabled=lever == "bf16"):
            loss = forward(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    started = time.perf_counter()
    for _ in range(3):
        step()
    warm_up = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    return args.steps * args.batch_size * args.length / (time.perf_counter() - started), warm_up


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_predict import hardware

    print("command: python scripts/bench_train_levers.py " + " ".join(sys.argv[1:]))
    print(hardware())
    print(f"batch {args.batch_size} x {args.length} sub-tokens, {args.steps} timed steps")
    print("| lever | sub-tokens/s | × eager fp32 | warm-up s |\n|---|---:|---:|---:|")
    baseline = None
    for lever in args.levers.split(","):
        speed, warm_up = step_speed(args, lever)
        baseline = baseline or speed
        print(f"| {lever} | {speed:,.0f} | {speed / baseline:.2f} | {warm_up:.1f} |", flush=True)


if __name__ == "__main__":
    main()
