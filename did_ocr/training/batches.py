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


def training_windows(dark: torch.Tensor, light: torch.Tensor, g: torch.Generator, windows_per_pair: int = 1,
                     num_scales: int = NUM_SCALES, eta_max: float = 1.0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
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
        tops, lefts = random_windows(len(idx), (side, side), generator=g)
        target_w, cond_w = crop_windows([target, cond], tops, lefts)
        targets[idx], conds[idx] = target_w, cond_w
    return targets, conds, scales
