"""What the Predictor does to use a CPU fully: bf16 weights packed for oneDNN once, and glibc
kept from returning tensor memory to the kernel. Speed is measured in docs/benchmarks.md; these
tests check that neither changes a prediction and that each steps aside where it should."""

from pathlib import Path

import pytest
import torch
from torch import nn

from araevent import Predictor, allocator, packed_linear
from araevent.io import load
from araevent.packed_linear import PackedLinear, pack_linear_layers
from araevent.training import TrainResult
from tests.conftest import SAMPLE


def small_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 4, bias=False)).to(
        torch.bfloat16
    )


def test_packed_layers_compute_what_the_plain_layers_compute() -> None:
    net = small_net()
    plain = small_net()
    if not packed_linear._packs_correctly(plain[0]):
        pytest.skip("this torch's oneDNN cannot pack bf16 linear layers here")
    assert pack_linear_layers(net) == 2
    assert isinstance(net[0], PackedLinear) and isinstance(net[2], PackedLinear)
    sample = torch.randn(3, 5, 16, dtype=torch.bfloat16)
    with torch.inference_mode():
        assert torch.allclose(net(sample).float(), plain(sample).float(), rtol=2e-2, atol=2e-2)


def test_without_onednn_operators_the_model_is_left_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(*args: object) -> None:
        raise RuntimeError("no mkldnn")

    monkeypatch.setattr(packed_linear.torch.ops.mkldnn, "_reorder_linear_weight", unavailable)
    net = small_net()
    assert pack_linear_layers(net) == 0
    assert [type(m) for m in net] == [nn.Linear, nn.GELU, nn.Linear]


def test_fp32_layers_are_not_packed() -> None:
    net = small_net().float()
    assert pack_linear_layers(net) == 0


def test_packing_changes_no_span_of_the_bf16_predictor(
    tiny_run: TrainResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(tiny_run.model_dir)
    texts = [d.text for d in load(SAMPLE / "dev.jsonl")]
    packed = Predictor.from_pretrained(folder, device="cpu", dtype="bfloat16")
    monkeypatch.setattr(packed_linear, "pack_linear_layers", lambda model: 0)
    plain = Predictor.from_pretrained(folder, device="cpu", dtype="bfloat16")
    assert plain.runner.packed_layers == 0  # type: ignore[attr-defined]
    can_pack = packed_linear._packs_correctly(nn.Linear(4, 4).to(torch.bfloat16))
    assert packed.runner.packed_layers > 0 or not can_pack  # type: ignore[attr-defined]
    spans = [[(e.start, e.end, e.label) for e in ents] for ents in packed.predict_batch(texts)]
    assert spans == [
        [(e.start, e.end, e.label) for e in ents] for ents in plain.predict_batch(texts)
    ]
    assert any(spans)


@pytest.fixture
def fresh_allocator(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The allocator module as in a new process, its ``mallopt`` calls recorded, not made."""
    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, parameter: int, value: int) -> int:
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(allocator, "_applied", None)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: Libc())
    monkeypatch.setattr(allocator.sys, "platform", "linux")
    for name in ("ARAEVENT_MALLOC", "LD_PRELOAD", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_glibc_thresholds_are_raised_once_per_process(
    fresh_allocator: list[tuple[int, int]],
) -> None:
    assert allocator.keep_freed_memory() and allocator.keep_freed_memory()
    assert fresh_allocator == [
        (allocator.M_MMAP_THRESHOLD, allocator.MMAP_THRESHOLD),
        (allocator.M_TRIM_THRESHOLD, allocator.TRIM_THRESHOLD),
    ]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ARAEVENT_MALLOC", "system"),
        ("LD_PRELOAD", "/usr/lib/libjemalloc.so.2"),
        ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536"),
    ],
)
def test_the_allocator_is_left_alone_where_the_user_chose(
    fresh_allocator: list[tuple[int, int]],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert not allocator.keep_freed_memory()
    assert fresh_allocator == []


def test_a_cpu_predictor_raises_the_thresholds(
    tiny_run: TrainResult, fresh_allocator: list[tuple[int, int]]
) -> None:
    Predictor.from_pretrained(tiny_run.model_dir, device="cpu")
    assert len(fresh_allocator) == 2


def test_packing_leaves_torchs_random_state_as_it_was() -> None:
    """Loading a Predictor must not move the random stream a user's own code draws from."""
    torch.manual_seed(7)
    expected = torch.rand(3)
    net = small_net()
    torch.manual_seed(7)
    pack_linear_layers(net)
    assert torch.equal(torch.rand(3), expected)
