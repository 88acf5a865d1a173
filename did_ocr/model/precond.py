"""EDM preconditioning (Karras et al. 2022, table 1) around any network, with its noise schedule.

    D(x; sigma, cond) = c_skip x + c_out F([c_in x, cond], c_noise)

with c_skip = sd^2/(s^2+sd^2), c_out = s sd/sqrt(s^2+sd^2), c_in = 1/sqrt(s^2+sd^2),
c_noise = ln(s)/4 and sigma_data sd = 0.5. The wrapped network only has to
take (input, c_noise); the sampler and the loss only ever see D.

As in NVIDIA's EDM code, the preconditioner also owns the noise levels the
network is made for: the range [sigma_min, sigma_max] the sampler walks
(sigma_max is where every full run and the one-step sampler start, and where
the one-step share of each training batch sits) and the training
distribution ln sigma ~ N(P_mean, P_std^2). This is the only place they are
declared; checkpoints store them (metadata ``precond``, see
:mod:`did_ocr.model.checkpoint`) and models written before they were stored
load with these defaults.
"""

from __future__ import annotations

import torch
from torch import nn

#: the schedule's settings, in the order of :meth:`EDMPrecond.schedule` and the constructor
SCHEDULE_KEYS = ("sigma_min", "sigma_max", "sigma_data", "P_mean", "P_std")


class EDMPrecond(nn.Module):
    """The denoiser D: wraps F with EDM's input/output scalings; holds the noise schedule.

    The schedule is plain attributes (not buffers), so the weights of a
    checkpoint do not depend on it.
    """

    def __init__(self, net: nn.Module, sigma_min: float = 0.002, sigma_max: float = 80.0, sigma_data: float = 0.5,
                 P_mean: float = -1.2, P_std: float = 1.2) -> None:  # noqa: N803 (the paper's names)
        super().__init__()
        self.net = net
        self.sigma_min = float(sigma_min)  # lowest level the sampler visits before the final step to 0
        self.sigma_max = float(sigma_max)  # the sampler's start; the one-step sampler evaluates D there only
        self.sigma_data = float(sigma_data)  # the data's standard deviation the scalings assume
        self.P_mean = float(P_mean)  # training: ln sigma ~ N(P_mean, P_std^2) (EDM section 5)
        self.P_std = float(P_std)

    def schedule(self) -> dict[str, float]:
        """The noise schedule as stored in checkpoint metadata (``precond``)."""
        return {key: getattr(self, key) for key in SCHEDULE_KEYS}

    # ---- the denoiser --------------------------------------------------------------------
    def scalings(self, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(c_skip, c_out, c_in, c_noise) of Karras et al. 2022, table 1, for a tensor of noise levels."""
        sd2 = self.sigma_data ** 2
        c_skip = sd2 / (sigma ** 2 + sd2)
        c_out = sigma * self.sigma_data / (sigma ** 2 + sd2).sqrt()
        c_in = 1 / (sigma ** 2 + sd2).sqrt()
        c_noise = sigma.log() / 4
        return c_skip, c_out, c_in, c_noise

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float, cond: torch.Tensor) -> torch.Tensor:
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
        sigma = sigma.expand(x.shape[0], 1, 1, 1)
        c_skip, c_out, c_in, c_noise = self.scalings(sigma)
        f = self.net(torch.cat([c_in * x, cond.to(x.dtype)], dim=1), c_noise.flatten())
        return c_skip * x + c_out * f.to(x.dtype)

    # ---- training ------------------------------------------------------------------------
    def loss_weight(self, sigma: torch.Tensor) -> torch.Tensor:
        """lambda(sigma) = (sigma^2 + sd^2) / (sigma sd)^2, which makes the effective target unit-variance."""
        sd = self.sigma_data
        return (sigma ** 2 + sd ** 2) / (sigma * sd) ** 2

    def training_sigmas(self, batch: int, g: torch.Generator, device: torch.device | str = "cpu",
                        onestep_fraction: float = 0.0) -> torch.Tensor:
        """Training noise levels: ln sigma ~ N(P_mean, P_std^2), except the first ``onestep_fraction`` of
        the batch at ``sigma_max``.

        EDM's log-normal puts almost no mass above sigma ~ 20, so one denoiser
        evaluation at sigma_max (the shipped one-step sampler) would ask the
        network for something it never saw; this trains that endpoint directly.
        """
        sigma = (torch.randn(batch, generator=g) * self.P_std + self.P_mean).exp()
        k = int(round(batch * onestep_fraction))
        sigma[:k] = self.sigma_max
        return sigma.to(device)

    def loss(self, target: torch.Tensor, cond: torch.Tensor, sigma: torch.Tensor, noise: torch.Tensor,
             goal: torch.Tensor | None = None, denoiser: nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """EDM's weighted denoising error per sample, and the denoised batch.

            lambda(sigma) * ||D(target + sigma * noise; sigma, cond) - goal||^2   (mean over pixels)

        ``goal``: what D is pulled towards (default: the clean ``target``; a
        teacher's output when distilling). ``denoiser``: what computes D, when
        it is not this module itself: the DistributedDataParallel wrapper of
        this module, so that gradients are synchronized.
        """
        s = sigma.view(-1, 1, 1, 1)
        denoised = (self if denoiser is None else denoiser)(target + s * noise, sigma, cond)
        weight = self.loss_weight(s)
        mse = (weight * (denoised - (target if goal is None else goal)) ** 2).mean(dim=(1, 2, 3))
        return mse, denoised
