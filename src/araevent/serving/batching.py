"""A bounded queue that gathers the texts of concurrent requests into one model call.

One request of one paragraph keeps a model busy for a few milliseconds; thirty-two of them
one after the other pay the per-call cost (padding, kernel launches, Python around each
window batch) thirty-two times. Texts that arrive while the model is busy, or within
``max_wait`` of the first one, are therefore run together through a single
``predict(texts)`` call on one worker thread, off the event loop (torch releases the GIL
while it computes, so the loop keeps reading and answering requests meanwhile).

The queue holds at most ``max_queued`` texts waiting for the model; a request that would go
beyond is refused at once with :class:`QueueFull` (the server answers 503 with
``Retry-After``) rather than queued without bound. A request whose caller has gone away
before its batch starts (a client that disconnected) is left out of the batch.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Result = TypeVar("Result")


class QueueFull(Exception):
    """The queue cannot take a request's texts now; the caller should retry later."""


@dataclass(frozen=True)
class BatchSettings:
    """How texts are gathered: at most ``max_batch`` texts a model call (a larger request
    still runs as one call), waiting at most ``max_wait`` seconds after the first text for
    more, with at most ``max_queued`` texts waiting."""

    max_batch: int = 64
    max_wait: float = 0.005
    max_queued: int = 1024

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_queued < 1:
            raise ValueError(
                f"max_batch and max_queued must be at least 1, got {self.max_batch} "
                f"and {self.max_queued}"
            )
        if self.max_wait < 0:
            raise ValueError(f"max_wait must not be negative, got {self.max_wait}")


@dataclass
class _Request(Generic[Result]):
    texts: Sequence[str]
    future: asyncio.Future[list[Result]] = field(repr=False)


class BatchQueue(Generic[Result]):
    """Runs ``predict`` on batches of the texts given to :meth:`submit`.

    ``predict`` takes a list of texts and returns one result per text, in order. Create the
    queue inside the running event loop and :meth:`close` it there.
    """

    def __init__(
        self, predict: Callable[[list[str]], list[Result]], settings: BatchSettings
    ) -> None:
        self._predict = predict
        self.settings = settings
        self._pending: deque[_Request[Result]] = deque()
        self._queued = 0  # texts in _pending
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="araevent-model")
        self._worker = asyncio.get_running_loop().create_task(self._run())

    @property
    def queued(self) -> int:
        """Texts waiting for the model (not those it is running)."""
        return self._queued

    async def submit(self, texts: Sequence[str]) -> list[Result]:
        """The results of ``texts``, once their batch has run; :class:`QueueFull` at once when
        they do not fit, and the model's exception if it raised on their batch."""
        if self._queued + len(texts) > self.settings.max_queued:
            raise QueueFull(
                f"{self._queued} texts are waiting for the model; this request's {len(texts)} "
                f"would pass the limit of {self.settings.max_queued}"
            )
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(texts, future))
        self._queued += len(texts)
        self._wakeup.set()
        return await future

    async def close(self) -> None:
        """Stop the worker; requests still waiting fail with ``CancelledError``."""
        self._worker.cancel()
        for request in self._pending:
            request.future.cancel()
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            await self._gather_more()
            batch = self._take_batch()
            if self._pending:  # more than one batch's worth: go round again at once
                self._wakeup.set()
            else:
                self._wakeup.clear()
            if not batch:
                continue
            texts = [text for request in batch for text in request.texts]
            try:
                results = await loop.run_in_executor(self._executor, self._predict, texts)
            except Exception as exc:  # the requests of this batch fail; the queue goes on
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            self._deliver(batch, results)

    async def _gather_more(self) -> None:
        """Wait up to ``max_wait`` for a full batch: requests that arrive together run together."""
        deadline = asyncio.get_running_loop().time() + self.settings.max_wait
        while self._queued < self.settings.max_batch:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except asyncio.TimeoutError:
                return

    def _take_batch(self) -> list[_Request[Result]]:
        """Requests from the front of the queue up to ``max_batch`` texts (always at least one
        request, however large); requests whose caller has gone are dropped from the queue."""
        batch: list[_Request[Result]] = []
        size = 0
        while self._pending:
            request = self._pending[0]
            if batch and size + len(request.texts) > self.settings.max_batch:
                break
            self._pending.popleft()
            self._queued -= len(request.texts)
            if request.future.done():  # cancelled: its client disconnected
                continue
            batch.append(request)
            size += len(request.texts)
        return batch

    @staticmethod
    def _deliver(batch: list[_Request[Result]], results: list[Result]) -> None:
        """Each request's share of ``results``, or an error when the counts disagree."""
        expected = sum(len(request.texts) for request in batch)
        at = 0
        for request in batch:
            share, at = results[at : at + len(request.texts)], at + len(request.texts)
            if request.future.done():  # its client has gone
                continue
            if len(results) == expected:
                request.future.set_result(share)
            else:
                request.future.set_exception(
                    RuntimeError(f"predict returned {len(results)} results for {expected} texts")
                )
