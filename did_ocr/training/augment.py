"""Pair augmentation: flips, blur/sharpen, saturation (both images), brightness (dark only).

Geometric and photometric changes that keep a pair consistent are applied to
both images; a brightness change of the dark input alone mimics a different
exposure of the same scene. Applied in linear RGB, per sample, from a
caller-provided torch generator.
"""

from __future__ import annotations

import torch

from did_ocr.imaging.blur import gaussian_blur


def augment_pairs(dark: torch.Tensor, light: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment a batch of linear (dark, light) pairs (B, 3, H, W)."""
    b = dark.shape[0]

    def coin(p: float) -> torch.Tensor:
        return (torch.rand(b, generator=g) < p).view(b, 1, 1, 1)

    flip_h, flip_v = coin(0.5), coin(0.1)
    dark = torch.where(flip_h, dark.flip(-1), dark)
    light = torch.where(flip_h, light.flip(-1), light)
    dark = torch.where(flip_v, dark.flip(-2), dark)
    light = torch.where(flip_v, light.flip(-2), light)

    # blur or unsharp-mask sharpening (same filter on both images), computed only where drawn
    mode = torch.rand(b, generator=g)
    sigma = torch.rand(b, generator=g) * 1.2 + 0.3
    amount = torch.rand(b, generator=g) * 0.8
    blur, sharpen = (mode < 0.15).nonzero().flatten(), (mode > 0.85).nonzero().flatten()
    if blur.numel() or sharpen.numel():
        dark, light = dark.clone(), light.clone()
        for idx, is_sharpen in ((blur, False), (sharpen, True)):
            if idx.numel() == 0:
                continue
            both = torch.cat([dark[idx], light[idx]])
            blurred = gaussian_blur(both, sigma[idx].repeat(2), radius=2)
            if is_sharpen:
                k = amount[idx].repeat(2).view(-1, 1, 1, 1)
                blurred = (both + k * (both - blurred)).clamp(0, 1)
            dark[idx], light[idx] = blurred.chunk(2)

    # saturation around the luminance, same factor on both
    sat = (torch.rand(b, generator=g) * 0.6 + 0.7).view(b, 1, 1, 1)
    weights = torch.tensor([0.2126, 0.7152, 0.0722], dtype=dark.dtype).view(1, 3, 1, 1)
    dark = ((dark * weights).sum(1, keepdim=True) * (1 - sat) + dark * sat).clamp(0, 1)
    light = ((light * weights).sum(1, keepdim=True) * (1 - sat) + light * sat).clamp(0, 1)

    # exposure of the dark input alone
    gain = torch.exp((torch.rand(b, generator=g) - 0.5) * 0.8).view(b, 1, 1, 1)
    dark = (dark * gain).clamp(0, 1)
    return dark, light
