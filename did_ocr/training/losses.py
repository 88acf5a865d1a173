"""The training loss: EDM's weighted denoising error plus an optional perceptual term.

    L = lambda(sigma) * ||D(y + n; sigma, cond) - y||^2 + w * P(D, y)
    ln sigma ~ N(P_mean, P_std^2),  lambda(sigma) = (sigma^2 + sd^2) / (sigma * sd)^2

(Karras et al. 2022, section 5). The first term, the noise levels and their
settings (P_mean, P_std, sigma_data, the one-step endpoint sigma_max) belong
to the preconditioner: :meth:`EDMPrecond.loss <did_ocr.model.precond.EDMPrecond.loss>`,
:meth:`EDMPrecond.training_sigmas <did_ocr.model.precond.EDMPrecond.training_sigmas>`.
The perceptual distance P compares sRGB renderings of the denoised and
target windows. Distillation replaces y in the first term by a trained
teacher's D for the same noisy input (``--teacher``): a fast small network
learns the big one.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.model.precond import EDMPrecond


def edm_loss(model: EDMPrecond, target: torch.Tensor, cond: torch.Tensor, sigma: torch.Tensor,
             noise: torch.Tensor, perceptual: nn.Module | None = None, perceptual_weight: float = 0.0,
             to_linear: Callable[[torch.Tensor], torch.Tensor] | None = None,
             goal: torch.Tensor | None = None,
             denoiser: nn.Module | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean loss over the batch and its parts (for logging).

    ``model``: the preconditioner itself (never a DistributedDataParallel
    wrapper); ``denoiser``: what evaluates it when that is not ``model`` (its
    DDP wrapper, see :meth:`EDMPrecond.loss`). ``to_linear`` maps model space
    to linear RGB (the tail-norm inverse) for the perceptual term. ``goal``:
    what the weighted error pulls D towards (default: the clean ``target``; a
    teacher's denoised output when distilling, :func:`distillation_goal`); the
    perceptual term always compares with the clean target.
    """
    mse, denoised = model.loss(target, cond, sigma, noise, goal=goal, denoiser=denoiser)
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
