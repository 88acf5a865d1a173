"""EDM preconditioning (Karras et al. 2022, table 1) around any network.

    D(x; sigma, cond) = c_skip x + c_out F([c_in x, cond], c_noise)

with c_skip = sd^2/(s^2+sd^2), c_out = s sd/sqrt(s^2+sd^2), c_in = 1/sqrt(s^2+sd^2),
c_noise = ln(s)/4 and sigma_data sd = 0.5. The wrapped network only has to
take (input, c_noise); the sampler and the loss only ever see D.
"""

from __future__ import annotations

import torch
from torch import nn

SIGMA_DATA = 0.5


class EDMPrecond(nn.Module):
    """The denoiser D: wraps F with EDM's input/output scalings."""

    def __init__(self, net: nn.Module, sigma_data: float = SIGMA_DATA) -> None:
        super().__init__()
        self.net = net
        self.sigma_data = sigma_data

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | float, cond: torch.Tensor) -> torch.Tensor:
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
        sigma = sigma.expand(x.shape[0], 1, 1, 1)
        sd2 = self.sigma_data ** 2
        c_skip = sd2 / (sigma ** 2 + sd2)
        c_out = sigma * self.sigma_data / (sigma ** 2 + sd2).sqrt()
        c_in = 1 / (sigma ** 2 + sd2).sqrt()
        c_noise = sigma.log().flatten() / 4
        f = self.net(torch.cat([c_in * x, cond.to(x.dtype)], dim=1), c_noise)
        return c_skip * x + c_out * f.to(x.dtype)
