"""Keep glibc from handing tensor memory back to the kernel after every operator.

A small encoder's activations are a few MB a tensor. glibc's malloc serves blocks that large
with ``mmap`` and gives them back with ``munmap`` (and trims the heap's top past a few hundred
KB), so each operator's output lands on fresh pages that the kernel zero-fills on first touch.
On a 2-core CPU predicting araevent-news dev in bf16 that is about 600,000 page faults a run and
12% of the process's time in the kernel. Raising glibc's mmap and trim thresholds lets freed
blocks be reused instead: about 20% more documents/s for the Predictor there
(docs/benchmarks.md). PyTorch's CPU tuning guide gets the same from preloading jemalloc or
tcmalloc; this needs no preload.

It is process-wide, so it is applied once, for models on the CPU, and only where glibc is the
allocator and the user has not chosen otherwise: not when ``LD_PRELOAD`` is set (another
allocator, most likely), when ``GLIBC_TUNABLES`` sets malloc's own, or when
``ARAEVENT_MALLOC=system`` opts out. The cost is memory: up to 256 MB freed at the heap's top
stays with the process instead of going back to the system.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest: blocks under 32 MB come from the heap
TRIM_THRESHOLD = 256 * 2**20
OPT_OUT = "ARAEVENT_MALLOC"

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's thresholds once per process; True when they are raised."""
    global _applied
    if _applied is None:
        _applied = _raise_thresholds()
    return _applied


def _raise_thresholds() -> bool:
    if os.environ.get(OPT_OUT) == "system" or os.environ.get("LD_PRELOAD"):
        return False
    if "malloc" in os.environ.get("GLIBC_TUNABLES", "") or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl has no libc.so.6)
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
