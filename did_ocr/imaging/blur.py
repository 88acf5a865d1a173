"""Separable Gaussian blur of image batches, with a sigma per image.

One implementation for the two places that need it: pair augmentation in
training (small, per-sample sigmas) and the blotch measure of the cascade's
output (large sigmas, band-pass between two of them).
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F


def gaussian_blur(x: torch.Tensor, sigma: torch.Tensor | float, radius: int | None = None) -> torch.Tensor:
    """Blur (B, C, H, W) with a Gaussian of ``sigma`` pixels (a float, or one per image as a (B,) tensor).

    The kernel has taps -radius..radius (default: 3 sigma of the largest
    sigma); edges are reflected, or replicated where the image is narrower
    than the kernel.
    """
    b, c, h, w = x.shape
    sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1).expand(b)
    r = radius if radius is not None else max(1, math.ceil(3 * float(sigma.max())))
    taps = torch.arange(-r, r + 1, dtype=x.dtype, device=x.device)
    k1 = torch.exp(-(taps[None] ** 2) / (2 * sigma[:, None].clamp(min=1e-3) ** 2))
    k1 = k1 / k1.sum(dim=1, keepdim=True)
    y = x.reshape(1, b * c, h, w)
    kx = k1.repeat_interleave(c, 0)[:, None, None, :]
    ky = k1.repeat_interleave(c, 0)[:, None, :, None]
    y = F.conv2d(F.pad(y, (r, r, 0, 0), mode="reflect" if r < w else "replicate"), kx, groups=b * c)
    y = F.conv2d(F.pad(y, (0, 0, r, r), mode="reflect" if r < h else "replicate"), ky, groups=b * c)
    return y.reshape(b, c, h, w)
