"""The EDM preconditioner: its scalings (Karras et al. 2022, table 1), and its noise schedule, which the
sampler, the training loss and checkpoints all read from the model."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from did_ocr.diffusion.cascade import CascadeConfig, reconstruct
from did_ocr.model.checkpoint import load_model, read_checkpoint, save_checkpoint
from did_ocr.model.precond import SCHEDULE_KEYS, EDMPrecond
from did_ocr.training.trainer import Trainer, train
from tests.helpers import TINY_UNET, tiny_model, tiny_norm, write_tiny_model
from tests.test_training import tiny_config

SIGMAS = [0.002, 0.05, 0.5, 1.0, 3.7, 20.0, 80.0]


class Probe(nn.Module):
    """A stand-in for F: returns twice its (scaled) noisy input and records c_noise."""

    def __init__(self) -> None:
        super().__init__()
        self.c_noise = None

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        self.c_noise = c_noise
        return 2 * x[:, :3]


@pytest.mark.parametrize("sigma_data", [0.5, 0.3])
def test_scalings_follow_karras_table_1(sigma_data):
    precond = EDMPrecond(Probe(), sigma_data=sigma_data)
    sigma = torch.tensor(SIGMAS, dtype=torch.float64)
    c_skip, c_out, c_in, c_noise = precond.scalings(sigma)
    weight = precond.loss_weight(sigma)
    for i, s in enumerate(SIGMAS):
        sd = sigma_data
        assert float(c_skip[i]) == pytest.approx(sd ** 2 / (s ** 2 + sd ** 2), rel=1e-12)
        assert float(c_out[i]) == pytest.approx(s * sd / math.sqrt(s ** 2 + sd ** 2), rel=1e-12)
        assert float(c_in[i]) == pytest.approx(1 / math.sqrt(s ** 2 + sd ** 2), rel=1e-12)
        assert float(c_noise[i]) == pytest.approx(math.log(s) / 4, rel=1e-12)
        assert float(weight[i]) == pytest.approx((s ** 2 + sd ** 2) / (s * sd) ** 2, rel=1e-12)
        assert float(weight[i] * c_out[i] ** 2) == pytest.approx(1.0, rel=1e-12)  # lambda = 1 / c_out^2 (eq. 8)


def test_forward_is_c_skip_x_plus_c_out_f_of_c_in_x():
    probe = Probe()
    precond = EDMPrecond(probe).double()
    x = torch.randn(len(SIGMAS), 3, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    cond = torch.zeros(len(SIGMAS), 9, 4, 4, dtype=torch.float64)
    out = precond(x, torch.tensor(SIGMAS, dtype=torch.float64), cond)
    for i, s in enumerate(SIGMAS):
        sd2 = 0.25
        expected = sd2 / (s ** 2 + sd2) * x[i] + s * 0.5 / math.sqrt(s ** 2 + sd2) * 2 * x[i] / math.sqrt(s ** 2 + sd2)
        assert torch.allclose(out[i], expected, rtol=1e-12, atol=1e-12)
        assert float(probe.c_noise[i]) == pytest.approx(math.log(s) / 4, rel=1e-12)


def test_loss_is_the_weighted_denoising_error_through_the_given_denoiser():
    model = tiny_model().double()
    g = torch.Generator().manual_seed(1)
    target, cond = torch.randn(3, 3, 32, 32, generator=g).double(), torch.randn(3, 9, 32, 32, generator=g).double()
    noise, sigma = torch.randn(3, 3, 32, 32, generator=g).double(), torch.tensor([0.1, 1.0, 80.0]).double()
    mse, denoised = model.loss(target, cond, sigma, noise)
    with torch.no_grad():
        expected_d = model(target + sigma.view(-1, 1, 1, 1) * noise, sigma, cond)
    weight = (sigma ** 2 + 0.25) / (sigma * 0.5) ** 2
    assert torch.allclose(denoised, expected_d)
    assert torch.allclose(mse, weight * ((expected_d - target) ** 2).mean(dim=(1, 2, 3)))
    calls = []

    def wrapper(*args):  # what a DistributedDataParallel wrapper is to the loss: something that evaluates D
        calls.append(args[1])
        return model(*args)

    again, _ = model.loss(target, cond, sigma, noise, denoiser=wrapper)
    assert len(calls) == 1 and torch.equal(again, mse)


def test_training_noise_levels_follow_the_models_distribution():
    model = EDMPrecond(nn.Identity(), P_mean=0.5, P_std=0.1, sigma_max=33.0)
    sigma = model.training_sigmas(4000, torch.Generator().manual_seed(0), onestep_fraction=0.25)
    assert torch.all(sigma[:1000] == 33.0)
    logs = sigma[1000:].log()
    assert float(logs.mean()) == pytest.approx(0.5, abs=0.01) and float(logs.std()) == pytest.approx(0.1, abs=0.01)
    assert torch.all(EDMPrecond(nn.Identity()).training_sigmas(8, torch.Generator().manual_seed(0)) < 30)  # no share


def _sigmas_seen(model: EDMPrecond) -> list[float]:
    seen: list[float] = []
    model.register_forward_pre_hook(lambda module, args: seen.extend(torch.as_tensor(args[1]).flatten().tolist()))
    return seen


def test_one_step_training_endpoint_is_the_samplers_start(tmp_path):
    """Both read sigma_max from the model: a model file with another schedule trains and samples at its own."""
    path = tmp_path / "other.safetensors"
    tensors, meta = read_checkpoint(write_tiny_model(tmp_path / "tiny.safetensors"))
    save_checkpoint(path, tensors, {k: v for k, v in meta.items() if k not in ("format", "version")}
                    | {"precond": {"sigma_min": 0.01, "sigma_max": 37.0}})
    trainer = Trainer(tiny_config(tmp_path / "run", steps=1, init=str(path), onestep_fraction=0.5))
    assert trainer.model.sigma_max == 37.0 and trainer.model.sigma_data == 0.5  # the rest: today's defaults
    trained = _sigmas_seen(trainer.model)
    trainer.train_step()
    assert trained[:4] == [37.0] * 4 and max(trained[4:]) < 37.0  # the one-step half of the batch of 8
    trainer.save()
    loaded = load_model(tmp_path / "run" / "model.safetensors")
    assert loaded.model.schedule() == trainer.model.schedule()
    dark = torch.rand(3, 40, 40, generator=torch.Generator().manual_seed(0)) * 0.02
    sampled = _sigmas_seen(loaded.model)
    reconstruct(loaded.model, loaded.norm, dark, CascadeConfig(one_step=True), seed=0)
    assert sampled and set(sampled) == {trained[0]}
    sampled.clear()
    reconstruct(loaded.model, loaded.norm, dark, CascadeConfig(steps=3, cascade=False), seed=0)
    assert sampled[0] == pytest.approx(37.0) and min(sampled) == pytest.approx(0.01)  # full runs span the model's range


def test_an_older_checkpoint_without_the_schedule_loads_with_todays_values(tmp_path):
    old = write_tiny_model(tmp_path / "old.safetensors")  # metadata as written before the schedule was stored
    assert "precond" not in read_checkpoint(old)[1]
    published = {"sigma_min": 0.002, "sigma_max": 80.0, "sigma_data": 0.5, "P_mean": -1.2, "P_std": 1.2}
    assert load_model(old).model.schedule() == published == EDMPrecond(nn.Identity()).schedule()
    assert set(published) == set(SCHEDULE_KEYS)
    # a training run written without it resumes, keeps today's values and stores them from then on
    train(tiny_config(tmp_path / "run", steps=2))
    ckpt = tmp_path / "run" / "checkpoint.safetensors"
    tensors, meta = read_checkpoint(ckpt)
    assert meta["precond"] == published
    assert read_checkpoint(tmp_path / "run" / "model.safetensors")[1]["precond"] == published
    save_checkpoint(ckpt, tensors, {k: v for k, v in meta.items() if k not in ("format", "version", "precond")})
    resumed = train(tiny_config(tmp_path / "run", steps=3), resume=True)
    assert resumed.step == 3 and resumed.model.schedule() == published
    assert read_checkpoint(ckpt)[1]["precond"] == published


def test_a_bad_stored_schedule_is_a_clear_error(tmp_path):
    from did_ocr.errors import CheckpointError

    tensors, _ = read_checkpoint(write_tiny_model(tmp_path / "tiny.safetensors"))
    bad = tmp_path / "bad.safetensors"
    meta = {"unet": TINY_UNET.to_dict(), "norm": tiny_norm().to_dict(), "precond": {"sigma_top": 1}}
    save_checkpoint(bad, tensors, meta)
    with pytest.raises(CheckpointError, match="bad.safetensors.*noise schedule"):
        load_model(bad)
