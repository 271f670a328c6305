"""Which floating-point precision to run a model in: bf16 only where the hardware has it.

bf16 halves memory traffic and, on hardware with bf16 arithmetic, runs matrix products
several times faster than fp32; without it (a CPU with AVX2 only) torch *emulates* bf16 with
conversions around fp32 arithmetic, which is slower than plain fp32. So ``"auto"`` asks the
hardware rather than guessing:

* CUDA: ``torch.cuda.is_bf16_supported()`` (Ampere and later);
* CPU: the ``amx_bf16`` or ``avx512_bf16`` instruction set, read from
  ``torch.cpu.get_capabilities()`` (torch's cpuinfo probe, any OS) or, on a torch without
  it, from the ``flags`` of ``/proc/cpuinfo`` (Linux). ``torch.backends.cpu.get_cpu_capability()``
  is not enough: it names the widest vector set torch's kernels use (``"AVX2"``, ``"AVX512"``),
  and an AVX512 CPU may lack BF16;
* anything else (MPS, a CPU without those flags or that cannot be probed): fp32.

The module imports torch only inside its functions, so importing it costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DTYPES = ("auto", "float32", "bfloat16")
# the CPU instruction sets with native bf16 arithmetic, in torch's and Linux's spelling
CPU_BF16_FLAGS = ("amx_bf16", "avx512_bf16")
CPUINFO = Path("/proc/cpuinfo")


def bf16_choice(device: torch.device | str) -> tuple[bool, str]:
    """Whether ``device`` computes in bf16 natively, and why, in words for reports."""
    import torch

    kind = torch.device(device).type
    if kind == "cuda":
        if torch.cuda.is_bf16_supported():
            return True, "cuda GPU supports bf16"
        return False, "cuda GPU without bf16 (older than Ampere)"
    if kind != "cpu":
        return False, f"{kind}: bf16 is not chosen automatically"
    flags = cpu_bf16_flags()
    if flags is None:
        return False, "cpu whose instruction sets cannot be read: fp32"
    if flags:
        return True, f"cpu with native bf16 ({', '.join(flags)})"
    capability = torch.backends.cpu.get_cpu_capability()
    return False, f"cpu without native bf16 ({capability}; no AMX or AVX512-BF16)"


def cpu_bf16_flags() -> list[str] | None:
    """The CPU's native bf16 instruction sets (empty: none), or None when it cannot be told."""
    import torch

    get_capabilities = getattr(torch.cpu, "get_capabilities", None)  # torch 2.13 and later
    if get_capabilities is not None:
        capabilities = get_capabilities()
        return [flag for flag in CPU_BF16_FLAGS if capabilities.get(flag, False)]
    return cpuinfo_flags(CPUINFO)


def cpuinfo_flags(path: Path) -> list[str] | None:
    """The native bf16 instruction sets in the ``flags`` of a Linux ``/proc/cpuinfo``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            present = set(line.partition(":")[2].split())
            return [flag for flag in CPU_BF16_FLAGS if flag in present]
    return None


def resolve_dtype(setting: str, device: torch.device | str) -> tuple[torch.dtype, str]:
    """``"auto"``, ``"float32"`` or ``"bfloat16"`` to a torch dtype and the reason for it.

    An explicit setting is obeyed even where bf16 is emulated (to compare, or to save memory).
    """
    import torch

    if setting not in DTYPES:
        raise ValueError(f"unknown dtype {setting!r}; available: {', '.join(DTYPES)}")
    if setting == "float32":
        return torch.float32, "float32 asked for"
    if setting == "bfloat16":
        native, why = bf16_choice(device)
        return torch.bfloat16, "bfloat16 asked for" + ("" if native else f" (emulated: {why})")
    native, why = bf16_choice(device)
    return (torch.bfloat16 if native else torch.float32), f"auto: {why}"
