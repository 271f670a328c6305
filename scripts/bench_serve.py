"""Serving speed: ``araevent serve`` under 1, 8 and 32 concurrent clients against the offline
Predictor on the same documents.

Each client sends one document per request (``POST /v1/entities``), as a service's callers
do, and the next once it has the answer; the server gathers concurrent requests into one
model call. Per concurrency, ``--repeat`` rounds each send every document of ``--data`` once,
right after an offline pass of ``Predictor.predict_batch`` over the same documents in this
process (same backend and threads): printed are both documents/s (best round of each), their
ratio, latency percentiles (p50, p95, p99, milliseconds from sending a request to reading its
answer, all rounds) and errors (any answer but 200, or a failed connection). The first lines
give the command and the hardware, as ``bench_predict.py`` does.

    python scripts/bench_serve.py --model MODEL_DIR --data ../shared/data/araevent-news/dev.jsonl

The server runs in its own process on 127.0.0.1 (a free port) and the clients in this one
(one asyncio loop, httpx), so on a small machine the clients take some of the CPU the server
would have: the figures are a floor for the server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from bench_predict import hardware

from araevent.io import load

DEFAULT_DATA = "../shared/data/araevent-news/dev.jsonl"


def offline_predictor(args: argparse.Namespace) -> Callable[[list[str]], float]:
    """A pass of the Predictor over texts in one ``predict_batch`` call: its documents/s."""
    from araevent import Predictor

    predictor = Predictor.from_pretrained(
        args.model, device=args.device, backend=args.backend, threads=args.threads
    )
    predictor.predict_batch(["قصفت الطائرات مواقع في الرقة"] * 4)  # warm-up: lazy initialisation

    def run(texts: list[str]) -> float:
        started = time.perf_counter()
        predictor.predict_batch(texts)
        return len(texts) / (time.perf_counter() - started)

    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(args: argparse.Namespace, log: Path) -> Iterator[str]:
    """``araevent serve`` on a free loopback port, once ``/health`` says it is ready."""
    port = free_port()
    command = [sys.executable, "-m", "araevent.cli.main", "serve", "--model", args.model]
    command += ["--port", str(port), "--device", args.device, "--backend", args.backend]
    command += ["--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms)]
    command += ["--threads", str(args.threads)] if args.threads else []
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while not _ready(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


async def load_test(
    url: str, texts: list[str], concurrency: int, requests: int
) -> tuple[float, list[float], int]:
    """``requests`` requests of one text each from ``concurrency`` clients: wall seconds,
    latencies in milliseconds (answered requests), errors."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client(http: httpx.AsyncClient, order: Iterator[int]) -> None:
        """Send the next request of ``order`` once the last one is answered, until none is
        left: ``concurrency`` of these keep that many requests in flight."""
        nonlocal errors
        for i in order:
            body = {"texts": [texts[i % len(texts)]]}
            started = time.perf_counter()
            try:
                answer = await http.post(url + "/v1/entities", json=body)
                ok = answer.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

    async with httpx.AsyncClient(limits=limits, timeout=300) as http:
        warm_up = iter(range(concurrency))  # opens the connections, not timed
        await asyncio.gather(*(client(http, warm_up) for _ in range(concurrency)))
        latencies.clear()
        errors = 0
        order = iter(range(requests))
        started = time.perf_counter()
        await asyncio.gather(*(client(http, order) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, errors


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (no interpolation: a value that was measured)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", default=DEFAULT_DATA, help="JSONL of documents")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--backend", choices=["torch", "onnx"], default="torch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, help="torch/ONNX Runtime intra-op threads")
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds per concurrency (offline, then served)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    texts = [doc.text for doc in load(args.data, mode="lenient")]
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    command = " ".join([Path(sys.executable).name, *sys.argv])
    machine = hardware()
    print(f"command: {command}")
    print(f"{len(texts)} documents from {args.data}; {machine}")
    offline = offline_predictor(args)
    rows: list[dict[str, object]] = []
    print(
        "| clients | requests | errors | offline docs/s | served docs/s | × offline "
        "| p50 ms | p95 ms | p99 ms |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder, server(args, Path(folder) / "log") as url:
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            row = measure(url, texts, concurrency, args.repeat, offline)
            rows.append(row)
            print(
                f"| {concurrency} | {row['requests']} | {row['errors']} "
                f"| {row['offline_docs_per_second']:.1f} | {row['docs_per_second']:.1f} "
                f"| {row['share_of_offline']:.2f} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} "
                f"| {row['p99_ms']:.0f} |"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"command": command, "machine": machine, "documents": len(texts), "rows": rows}
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


def measure(
    url: str,
    texts: list[str],
    concurrency: int,
    repeat: int,
    offline: Callable[[list[str]], float],
) -> dict[str, object]:
    """``repeat`` rounds, each an offline pass and a served pass over all the texts, one
    right after the other: on a shared machine the load drifts, and alternating exposes both
    to the same drift. The best round of each is reported (every round goes to ``--json``);
    latencies are pooled."""
    rounds: list[tuple[float, float]] = []  # (offline, served) documents/s
    latencies: list[float] = []
    errors = 0
    for _ in range(repeat):
        offline_rate = offline(texts)
        seconds, answered, failed = asyncio.run(load_test(url, texts, concurrency, len(texts)))
        rounds.append((offline_rate, len(answered) / seconds))
        latencies += answered
        errors += failed
    offline_best = max(rate for rate, _ in rounds)
    served_best = max(rate for _, rate in rounds)
    return {
        "concurrency": concurrency,
        "requests": repeat * len(texts),
        "errors": errors,
        "offline_docs_per_second": offline_best,
        "docs_per_second": served_best,
        "share_of_offline": served_best / offline_best,
        "rounds": [{"offline": a, "served": b, "share": b / a} for a, b in rounds],
        **{f"p{p}_ms": percentile(latencies, p / 100) for p in (50, 95, 99)},
    }


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
