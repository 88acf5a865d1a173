"""Geometry of the multi-scale cascade and the resizing operators D and U.

DiD trains on 256x256 crops at scales s = 0..3 with side gamma(s) = 32 * 2^s.
Scale 0 is always the whole image squeezed to 32x32 (one network window: the
global exposure and colour). Upper scales double the resolution each time up
to the image's own size. Here any height and width work: the top scale is
the image itself, scale s < top is the image downscaled by 2^(top - s), and
the number of scales follows from the longer side (``round(log2(side/32))``,
so 256 -> scales 1..3 at 64, 128, 256, exactly as in training).
"""

from __future__ import annotations

import math
from typing import Any

import did_ocr.arrays as arrays

WINDOW = 32  # the network's window side


def scale_shapes(height: int, width: int) -> list[tuple[int, int]]:
    """(h, w) of every scale, from scale 0 (32x32) to the full image."""
    longest = max(height, width)
    top = max(1, round(math.log2(longest / WINDOW)))
    shapes = [(WINDOW, WINDOW)]
    for s in range(1, top + 1):
        f = 2 ** (top - s)
        shapes.append((max(1, math.ceil(height / f)), max(1, math.ceil(width / f))))
    return shapes


def training_side(scale: int) -> int:
    """gamma(s) = 32 * 2^s: the side of a 256x256 training crop at scale s."""
    return WINDOW * 2 ** scale


def resize(x: Any, size: tuple[int, int]) -> Any:
    """D and U of the paper: antialiased bilinear down, bilinear up; (B, C, H, W), a torch tensor
    or a numpy array (:func:`did_ocr.arrays.resize`, the same weights)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if arrays.is_numpy(x):
        return arrays.resize(x, tuple(size))
    from torch.nn import functional as F

    if size[1] == 1:
        # torch 2.14's antialiased kernel, asked for a width of 1 while the height changes, repeats the first
        # output row down the whole column (the cascade asks for it on images over 8x taller than wide); the
        # same resize of the transposed image is right
        return resize(x.transpose(-1, -2), (size[1], size[0])).transpose(-1, -2)
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
