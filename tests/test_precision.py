"""``dtype="auto"``: bf16 exactly where the hardware computes it natively, fp32 elsewhere."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from araevent import precision
from araevent.precision import bf16_choice, cpu_bf16_flags, cpuinfo_flags, resolve_dtype

AVX2_ONLY = {"avx2": True, "avx512_f": False, "avx512_bf16": False, "amx_bf16": False}


def fake_cpu(monkeypatch: pytest.MonkeyPatch, **flags: bool) -> None:
    """torch's CPU probe answering as a CPU with ``flags`` would."""
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {**AVX2_ONLY, **flags})


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, torch.float32),
        ({"avx512_bf16": True}, torch.bfloat16),
        ({"amx_bf16": True}, torch.bfloat16),
    ],
)
def test_auto_is_bf16_on_cpus_with_native_bf16_only(
    monkeypatch: pytest.MonkeyPatch, flags: dict[str, bool], expected: torch.dtype
) -> None:
    fake_cpu(monkeypatch, **flags)
    dtype, reason = resolve_dtype("auto", "cpu")
    assert dtype == expected
    if expected == torch.float32:  # an AVX512 CPU without BF16 is fp32 too
        fake_cpu(monkeypatch, avx512_f=True)
        assert resolve_dtype("auto", torch.device("cpu"))[0] == torch.float32
        assert "no AMX or AVX512-BF16" in reason
    else:
        assert next(iter(flags)) in reason


@pytest.mark.parametrize("supported", [True, False])
def test_auto_on_cuda_asks_the_gpu(monkeypatch: pytest.MonkeyPatch, supported: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: supported)
    dtype, reason = resolve_dtype("auto", "cuda:0")
    assert dtype == (torch.bfloat16 if supported else torch.float32)
    assert reason.startswith("auto: cuda GPU")


def test_other_devices_stay_fp32() -> None:
    assert bf16_choice("mps") == (False, "mps: bf16 is not chosen automatically")


def test_an_explicit_dtype_overrides_the_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cpu(monkeypatch, amx_bf16=True)
    assert resolve_dtype("float32", "cpu") == (torch.float32, "float32 asked for")
    fake_cpu(monkeypatch)
    dtype, reason = resolve_dtype("bfloat16", "cpu")
    assert dtype == torch.bfloat16 and "emulated" in reason  # obeyed, and said to be slow


def test_unknown_dtypes_are_refused_with_the_names() -> None:
    with pytest.raises(
        ValueError, match="unknown dtype 'fp16'; available: auto, float32, bfloat16"
    ):
        resolve_dtype("fp16", "cpu")


def test_without_torchs_probe_the_linux_cpu_flags_are_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """torch before 2.13 has no ``torch.cpu.get_capabilities``."""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f amx_bf16 amx_tile\n")
    monkeypatch.delattr(torch.cpu, "get_capabilities")
    monkeypatch.setattr(precision, "CPUINFO", cpuinfo)
    assert cpu_bf16_flags() == ["amx_bf16"]
    cpuinfo.write_text("processor\t: 0\n")  # no flags line: cannot tell, so fp32
    assert cpu_bf16_flags() is None
    assert resolve_dtype("auto", "cpu") == (
        torch.float32,
        "auto: cpu whose instruction sets cannot be read: fp32",
    )


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="Linux only")
def test_torchs_probe_and_the_kernels_flags_agree_on_this_machine() -> None:
    assert cpu_bf16_flags() == cpuinfo_flags(Path("/proc/cpuinfo"))


def test_importing_it_does_not_import_torch() -> None:
    code = "import sys, araevent.precision; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
