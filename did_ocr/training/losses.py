"""The training loss: EDM's weighted denoising error plus an optional perceptual term.

    L = lambda(sigma) * ||D(y + n; sigma, cond) - y||^2 + w * P(D, y)
    ln sigma ~ N(P_mean, P_std^2),  lambda(sigma) = (sigma^2 + sd^2) / (sigma * sd)^2

(Karras et al. 2022, section 5; P_mean = -1.2, P_std = 1.2). The perceptual
distance P compares sRGB renderings of the denoised and target windows.
Distillation replaces y in the first term by a trained teacher's D for the
same noisy input (``--teacher``): a fast small network learns the big one.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.model.precond import EDMPrecond

P_MEAN, P_STD = -1.2, 1.2


SIGMA_MAX = 80.0  # the sampler's starting level; the one-step default evaluates D there and nowhere else


def sample_sigmas(batch: int, g: torch.Generator, device: torch.device | str = "cpu",
                  onestep_fraction: float = 0.0, sigma_max: float = SIGMA_MAX) -> torch.Tensor:
    """Training noise levels: ln sigma ~ N(-1.2, 1.2^2), except the first ``onestep_fraction`` of the
    batch at ``sigma_max``.

    EDM's log-normal puts almost no mass above sigma ~ 20, so one denoiser
    evaluation at sigma 80 (the shipped one-step sampler) would ask the
    network for something it never saw; this trains that endpoint directly.
    """
    sigma = (torch.randn(batch, generator=g) * P_STD + P_MEAN).exp()
    k = int(round(batch * onestep_fraction))
    sigma[:k] = sigma_max
    return sigma.to(device)


def edm_loss(model: EDMPrecond | nn.Module, target: torch.Tensor, cond: torch.Tensor, sigma: torch.Tensor,
             noise: torch.Tensor, perceptual: nn.Module | None = None, perceptual_weight: float = 0.0,
             to_linear: Callable[[torch.Tensor], torch.Tensor] | None = None,
             goal: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean loss over the batch and its parts (for logging).

    ``to_linear`` maps model space to linear RGB (the tail-norm inverse) for
    the perceptual term. ``goal``: what the weighted error pulls D towards
    (default: the clean ``target``; a teacher's denoised output when
    distilling, :func:`distillation_goal`); the perceptual term always
    compares with the clean target.
    """
    sd = _sigma_data(model)
    s = sigma.view(-1, 1, 1, 1)
    denoised = model(target + s * noise, sigma, cond)
    weight = (s ** 2 + sd ** 2) / (s * sd) ** 2
    mse = (weight * (denoised - (target if goal is None else goal)) ** 2).mean(dim=(1, 2, 3))
    loss = mse
    parts = {"mse": float(mse.mean().detach())}
    if perceptual is not None and perceptual_weight > 0:
        if to_linear is None:
            raise ValueError("the perceptual term needs the model-space -> linear mapping (to_linear)")
        p = perceptual(linear_to_srgb(to_linear(denoised)), linear_to_srgb(to_linear(target)))
        loss = loss + perceptual_weight * p
        parts["perceptual"] = float(p.mean().detach())
    return loss.mean(), parts


@torch.no_grad()
def distillation_goal(teacher: nn.Module, target: torch.Tensor, cond: torch.Tensor, sigma: torch.Tensor,
                      noise: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """The regression goal of a student: ``weight`` of the teacher's denoised output for the very same
    noisy input, the rest the clean target.

    A teacher's D is its estimate of E[clean | noisy, cond]: a target without
    the irreducible spread of single clean windows, which a small network can
    learn from in fewer steps (and can at best equal).
    """
    taught = teacher(target + sigma.view(-1, 1, 1, 1) * noise, sigma, cond)
    return weight * taught + (1 - weight) * target


def _sigma_data(model: nn.Module) -> float:
    """sigma_data of the preconditioner (through a DistributedDataParallel wrapper too): one value, one place."""
    inner = getattr(model, "module", model)
    if not isinstance(inner, EDMPrecond):
        raise TypeError(f"the EDM loss needs an EDMPrecond denoiser, got {type(inner).__name__}")
    return inner.sigma_data
