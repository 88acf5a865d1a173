"""Training: the loss falls, resume is exact, bad states stop cleanly, DDP runs."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from did_ocr.errors import CheckpointError, DidOcrError
from did_ocr.model.checkpoint import load_model, read_checkpoint, save_checkpoint
from did_ocr.training.batches import training_windows
from did_ocr.training.losses import edm_loss
from did_ocr.training.pairs import SyntheticPairs
from did_ocr.training.trainer import TrainConfig, Trainer, train
from tests.helpers import TINY_UNET, tiny_model, tiny_norm, write_tiny_model


def tiny_config(out: Path, steps: int, **kw) -> TrainConfig:
    base = dict(out=str(out), steps=steps, batch=8, unet=TINY_UNET.to_dict(), perceptual="none", pool=4,
                norm_fit_pairs=8, checkpoint_every=2, preview_every=0, threads=1, warmup=2)
    return TrainConfig(**{**base, **kw})


def test_synthetic_pairs_are_a_function_of_the_step():
    a, b = SyntheticPairs(seed=3, pool=4), SyntheticPairs(seed=3, pool=4)
    da, la = a.pairs(5, 2)
    b.pairs(0, 2)  # a different history must not change step 5
    db, lb = b.pairs(5, 2)
    assert torch.equal(da, db) and torch.equal(la, lb)
    assert da.shape == (2, 3, 256, 256) and float(da.mean()) < float(la.mean())


def test_training_windows_shapes_and_scales():
    norm = tiny_norm()
    dark, light = SyntheticPairs(seed=0, pool=2).pairs(0, 2)
    g = torch.Generator().manual_seed(0)
    target, cond, scales = training_windows(norm.normalize(dark, "dark"), norm.normalize(light, "light"), g, 4)
    assert target.shape == (8, 3, 32, 32) and cond.shape == (8, 9, 32, 32)
    assert sorted(scales[:4].tolist()) == [0, 1, 2, 3]  # stratified: one window per scale and pair


def test_a_few_steps_on_a_fixed_batch_lower_the_loss():
    torch.manual_seed(0)
    model, norm = tiny_model(), tiny_norm()
    model.train()
    dark, light = SyntheticPairs(seed=1, pool=2).pairs(0, 2)
    g = torch.Generator().manual_seed(0)
    target, cond, _ = training_windows(norm.normalize(dark, "dark"), norm.normalize(light, "light"), g, 4)
    sigma = torch.full((8,), 0.5)
    noise = torch.randn(target.shape, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss, _ = edm_loss(model, target, cond, sigma, noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.6 * losses[0]


def _state(path: Path) -> dict[str, torch.Tensor]:
    tensors, meta = read_checkpoint(path)
    return tensors, meta


def test_resume_continues_exactly(tmp_path):
    straight = train(tiny_config(tmp_path / "a", steps=4))
    train(tiny_config(tmp_path / "b", steps=2))
    resumed = train(tiny_config(tmp_path / "b", steps=4), resume=True)
    assert resumed.step == straight.step == 4
    ta, ma = _state(tmp_path / "a" / "checkpoint.safetensors")
    tb, mb = _state(tmp_path / "b" / "checkpoint.safetensors")
    assert set(ta) == set(tb)
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key
    assert ma["norm"] == mb["norm"] and mb["step"] == 4
    loaded = load_model(tmp_path / "b" / "model.safetensors")
    assert loaded.meta["step"] == 4 and loaded.norm.enabled


def test_non_finite_loss_stops_and_keeps_the_last_checkpoint(tmp_path):
    trainer = train(tiny_config(tmp_path, steps=2))
    ckpt = tmp_path / "checkpoint.safetensors"
    before = ckpt.read_bytes()
    with torch.no_grad():
        trainer.model.net.conv_out.bias.fill_(float("nan"))
    with pytest.raises(DidOcrError, match="non-finite loss"):
        trainer.train_step()
    assert ckpt.read_bytes() == before
    load_model(ckpt)  # still loadable


def test_corrupt_and_mismatched_checkpoints_name_the_file(tmp_path):
    train(tiny_config(tmp_path, steps=2))
    good = tmp_path / "model.safetensors"
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated.safetensors"):
        load_model(truncated)
    tensors, meta = read_checkpoint(good)
    no_norm = tmp_path / "no_norm.safetensors"
    save_checkpoint(no_norm, tensors, {k: v for k, v in meta.items() if k not in ("norm", "format", "version")})
    with pytest.raises(CheckpointError, match="normalization"):
        load_model(no_norm)
    wrong = tmp_path / "wrong.safetensors"
    meta2 = {k: v for k, v in meta.items() if k not in ("format", "version")}
    meta2["unet"] = {**meta2["unet"], "base_channels": 16}
    save_checkpoint(wrong, tensors, meta2)
    with pytest.raises(CheckpointError, match="wrong.safetensors.*(shape|missing)"):
        load_model(wrong)
    with pytest.raises(CheckpointError, match="not found"):
        load_model(tmp_path / "absent.safetensors")


def test_resume_keeps_the_stored_model_configuration(tmp_path):
    train(tiny_config(tmp_path, steps=2))
    other = tiny_config(tmp_path, steps=4, unet={**TINY_UNET.to_dict(), "base_channels": 16})
    # the stored configuration wins on resume, so the run continues with its own model
    resumed = train(other, resume=True)
    assert resumed.cfg.unet_config() == TINY_UNET and resumed.step == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_processes_two_steps_on_cpu(tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(_free_port()), "-m", "did_ocr", "train", "--out", str(out), "--steps", "2",
           "--batch", "8", "--perceptual", "none", "--preview-every", "0", "--norm-pairs", "8", "--threads", "1",
           "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _, meta = read_checkpoint(out / "checkpoint.safetensors")
    assert meta["step"] == 2 and meta["world_size"] == 2 and meta["patches_seen"] == 2 * 2 * 8


def test_lpips_loads_the_given_backbone_file_without_downloading(tmp_path, monkeypatch):
    """The LPIPS backbone comes from the file given, wherever it is; nothing is fetched."""
    import torch
    import torchvision

    from did_ocr.perceptual import load_lpips

    def no_download(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    torch.manual_seed(3)
    state = torchvision.models.alexnet(weights=None).state_dict()
    weights = tmp_path / "my_alexnet.pth"
    torch.save(state, weights)
    model = load_lpips(weights)
    assert torch.equal(model.net.slice1[0].weight, state["features.0.weight"])
    assert torch.equal(model.net.slice5[-2].weight, state["features.10.weight"])
    assert torch.hub.get_dir() != str(tmp_path)  # the temporary hub directory is gone again


def test_a_student_regresses_on_its_teachers_output(tmp_path):
    teacher = str(write_tiny_model(tmp_path / "teacher.safetensors"))
    # a student that starts as its teacher has nothing to learn from it, and a lot from the clean windows
    same = Trainer(tiny_config(tmp_path / "a", steps=1, init=teacher, teacher=teacher, teacher_weight=1.0))
    clean = Trainer(tiny_config(tmp_path / "b", steps=1, init=teacher, teacher=teacher, teacher_weight=0.0))
    assert same.norm == load_model(teacher).norm  # the teacher's normalized space, not a refit
    assert same.train_step()["mse"] < 1e-8
    assert clean.train_step()["mse"] > 1e-3
