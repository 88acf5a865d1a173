"""Turning 256x256 pairs into multi-scale training windows.

Each pair gives ``windows_per_pair`` windows at different scales s in {0..3}
(stratified: with 4 windows per pair, one per scale), which makes every
rendered and simulated pair go four times as far as in the reference,
where the data pipeline, not the network, would dominate a CPU step. At s = 0 the whole image at 32x32 is
the window; at s > 0 the condition stack at gamma(s) = 32 * 2^s is built
from the dark image and the downscaled targets (previous scale and scale 0)
with eta noise, and the SAME random 32x32 window is cut from the stack and
the target. The stack comes from :func:`did_ocr.diffusion.conditions.build_conditions`,
the function inference uses.
"""

from __future__ import annotations

import torch

from did_ocr.diffusion.conditions import build_conditions, crop_windows, random_windows
from did_ocr.diffusion.scales import WINDOW, resize, training_side

NUM_SCALES = 4
CANDIDATES = 4


def detail_windows(target: torch.Tensor, g: torch.Generator, bias: float,
                   candidates: int = CANDIDATES) -> tuple[torch.Tensor, torch.Tensor]:
    """Window corners, biased towards detail: with probability ``bias`` per sample, the one of
    ``candidates`` random windows whose target has the most gradient energy (text strokes,
    edges), otherwise a uniformly random window. Uniform windows keep flat backgrounds in
    the training mix, so the model does not learn to see text everywhere.
    """
    b, _, h, w = target.shape
    tops, lefts = random_windows(b * candidates, (h, w), generator=g)
    tops, lefts = tops.view(b, candidates), lefts.view(b, candidates)
    if bias <= 0:
        return tops[:, 0], lefts[:, 0]
    luma = target.mean(dim=1)
    energy = (luma[:, 1:, :] - luma[:, :-1, :]).abs()[:, :, :-1] + (luma[:, :, 1:] - luma[:, :, :-1]).abs()[:, :-1, :]
    integral = torch.nn.functional.pad(energy.cumsum(1).cumsum(2), (1, 0, 1, 0))  # (b, h, w) summed-area table
    y0, x0 = tops.clamp(max=h - WINDOW), lefts.clamp(max=w - WINDOW)
    y1, x1 = y0 + WINDOW - 1, x0 + WINDOW - 1
    idx = torch.arange(b).view(b, 1)
    score = integral[idx, y1, x1] - integral[idx, y0, x1] - integral[idx, y1, x0] + integral[idx, y0, x0]
    best = score.argmax(dim=1)
    pick = torch.where(torch.rand(b, generator=g) < bias, best, torch.zeros_like(best))
    rows = torch.arange(b)
    return tops[rows, pick], lefts[rows, pick]


def training_windows(dark: torch.Tensor, light: torch.Tensor, g: torch.Generator, windows_per_pair: int = 1,
                     num_scales: int = NUM_SCALES, eta_max: float = 1.0,
                     detail_bias: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """From normalized (P, 3, 256, 256) pairs: (target windows, condition windows, scales) for
    B = P * windows_per_pair windows."""
    pairs = dark.shape[0]
    b = pairs * windows_per_pair
    offset = torch.randint(0, num_scales, (pairs,), generator=g).repeat_interleave(windows_per_pair)
    scales = (offset + torch.arange(windows_per_pair).repeat(pairs)) % num_scales
    owner = torch.arange(pairs).repeat_interleave(windows_per_pair)
    eta = torch.rand(b, generator=g) * eta_max
    targets = torch.empty(b, 3, WINDOW, WINDOW, dtype=dark.dtype)
    conds = torch.empty(b, 9, WINDOW, WINDOW, dtype=dark.dtype)
    for s in range(num_scales):
        idx = (scales == s).nonzero().flatten()
        if idx.numel() == 0:
            continue
        side = training_side(s)
        d, y = dark[owner[idx]], light[owner[idx]]
        if s == 0:
            cond = build_conditions(d, (side, side))
        else:
            prev_side = training_side(s - 1)
            cond = build_conditions(d, (side, side), resize(y, (prev_side, prev_side)), resize(y, (WINDOW, WINDOW)),
                                    eta_std=eta[idx], generator=g)
        target = resize(y, (side, side))
        tops, lefts = detail_windows(target, g, detail_bias)
        target_w, cond_w = crop_windows([target, cond], tops, lefts)
        targets[idx], conds[idx] = target_w, cond_w
    return targets, conds, scales
