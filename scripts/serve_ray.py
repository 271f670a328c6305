"""Ray Serve recipe: the same Predictor as ``araevent serve``, as a Ray Serve deployment, for
a cluster (replicas on many machines behind Ray's HTTP proxy).

    pip install "araevent" "ray[serve]"
    python scripts/serve_ray.py --model MODEL_DIR --replicas 2
    curl -s http://127.0.0.1:8000/v1/entities -d '{"texts": ["قصفت الطائرات مواقع في الرقة"]}'

Each replica loads the model once. ``serve.batch`` gathers the texts of concurrent requests
into one ``predict_batch`` call per replica, as the built-in server's queue does; requests
are checked by the same code (``araevent.serving.limits``: the same limits, the same
``{"error": ...}`` answers) and answered in the same shape. Only ``/v1/entities`` is here;
``/v1/events`` is one more deployment method in the same pattern.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

try:
    from ray import serve
except ImportError:  # an optional recipe: say what to install instead of a traceback
    raise SystemExit('error: serve_ray.py needs Ray Serve: pip install "ray[serve]"') from None
from starlette.requests import Request
from starlette.responses import JSONResponse

from araevent.serving.limits import Limits, RequestError, parse_request


class Tagger:
    """One replica: a Predictor behind Ray Serve's request batching."""

    def __init__(self, model: str, device: str) -> None:
        from araevent import Predictor

        self.predictor = Predictor.from_pretrained(model, device=device)
        self.model = Path(model).resolve().name
        self.limits = Limits()

    @serve.batch(max_batch_size=64, batch_wait_timeout_s=0.005)
    async def predict(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        # off the replica's event loop, which goes on taking requests for the next batch
        predicted = await asyncio.to_thread(self.predictor.predict_batch, texts)
        return [[e.to_dict() for e in found] for found in predicted]

    async def __call__(self, request: Request) -> JSONResponse:
        try:
            parsed = parse_request(await request.body(), self.limits)
        except RequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        results = await asyncio.gather(*(self.predict(text) for text in parsed.texts))
        return JSONResponse(
            {
                "model": self.model,
                "ids": parsed.ids,
                "surrogates_replaced": parsed.surrogates,
                "results": list(results),
            }
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    # enough requests in hand to fill a batch
    deployment = serve.deployment(max_ongoing_requests=64, num_replicas=args.replicas)(Tagger)
    app = deployment.bind(args.model, args.device)
    serve.run(app, route_prefix="/v1/entities", blocking=True)


if __name__ == "__main__":
    main()
