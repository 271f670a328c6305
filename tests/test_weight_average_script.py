"""scripts/weight_average.py: one model folder whose weights are the mean of its members'."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from araevent import Predictor
from araevent.training import TrainResult
from tests.conftest import load_script

soup = load_script("weight_average")
WEIGHTS = "model.safetensors"


def _shifted_copy(model: Path, dest: Path, shift: float) -> Path:
    """The model with every floating-point tensor moved by ``shift``."""
    dest.mkdir()
    for f in model.iterdir():
        if f.is_file() and f.name != "model.safetensors":
            (dest / f.name).write_bytes(f.read_bytes())
    state = load_file(str(model / "model.safetensors"))
    moved = {k: v + shift if v.is_floating_point() else v for k, v in state.items()}
    save_file(moved, str(dest / "model.safetensors"), metadata={"format": "pt"})
    return dest


def test_the_mean_of_members_and_a_model_like_the_first(
    tiny_run: TrainResult, tmp_path: Path
) -> None:
    model = tiny_run.output_dir / "model"
    up = _shifted_copy(model, tmp_path / "up", 2.0)
    assert soup.main([str(tmp_path / "mean"), str(model), str(up)]) == 0
    original, mean = (load_file(str(m / "model.safetensors")) for m in (model, tmp_path / "mean"))
    assert mean.keys() == original.keys()
    for key, tensor in original.items():
        expected = tensor + 1.0 if tensor.is_floating_point() else tensor
        assert mean[key].dtype == tensor.dtype
        torch.testing.assert_close(mean[key], expected)
    settings = json.loads((tmp_path / "mean" / "araevent.json").read_text())
    first = json.loads((model / "araevent.json").read_text())
    assert settings["labels"] == first["labels"] and settings["encoding"] == first["encoding"]
    assert first["metrics"] and settings["metrics"] is None  # the first's figures are not its
    assert settings["training"]["weight_average_of"] == 2
    assert "No evaluation was recorded" in (tmp_path / "mean" / "README.md").read_text()


def test_identical_members_predict_as_the_member(tiny_run: TrainResult, tmp_path: Path) -> None:
    model = tiny_run.output_dir / "model"
    assert soup.main([str(tmp_path / "same"), str(model), str(model), str(model)]) == 0
    text = "قصفت الطائرات مدينة حلب صباح الاثنين"
    member, same = (
        Predictor.from_pretrained(m, device="cpu", dtype="float32")
        for m in (model, tmp_path / "same")
    )
    # (w + w + w) / 3 rounds in the last bit: the same spans, scores equal to float precision
    ours, theirs = same.predict(text), member.predict(text)
    assert [(e.start, e.end, e.label) for e in ours] == [(e.start, e.end, e.label) for e in theirs]
    assert [e.score for e in ours] == pytest.approx([e.score for e in theirs], abs=1e-6)


def test_members_of_other_settings_are_refused(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tiny_run.output_dir / "model"
    other = _shifted_copy(model, tmp_path / "other", 0.0)
    settings = json.loads((other / "araevent.json").read_text())
    settings["encoding"]["max_length"] = 48
    (other / "araevent.json").write_text(json.dumps(settings))
    assert soup.main([str(tmp_path / "mean"), str(model), str(other)]) == 1
    assert f"{other} differs from the first member {model}: encoding" in capsys.readouterr().err
    assert not (tmp_path / "mean").exists()


def test_integer_buffers_that_differ_are_refused(
    tiny_run: TrainResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Integer tensors (position ids, counters) cannot be averaged: equal ones are kept, and
    members that disagree on one are an error naming it."""
    state = load_file(str(tiny_run.output_dir / "model" / "model.safetensors"))
    members = []
    for name, ids in (("a", torch.arange(4)), ("b", torch.arange(4)), ("c", torch.arange(1, 5))):
        folder = _shifted_copy(tiny_run.output_dir / "model", tmp_path / name, 0.0)
        save_file({**state, "ids": ids}, str(folder / WEIGHTS), metadata={"format": "pt"})
        members.append(str(folder))
    assert soup.main([str(tmp_path / "ab"), *members[:2]]) == 0
    assert torch.equal(load_file(str(tmp_path / "ab" / WEIGHTS))["ids"], torch.arange(4))
    assert soup.main([str(tmp_path / "ac"), members[0], members[2]]) == 1
    error = capsys.readouterr().err
    assert f"{members[2]}: ids (not floating-point) differs from {members[0]}'s" in error
    assert not (tmp_path / "ac").exists()
