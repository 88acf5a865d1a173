"""Cutting an image into non-overlapping 32x32 windows and stitching it back.

Upper scales of the cascade are sampled window by window, all windows of a
scale as one batch. Images whose sides are not multiples of the window are
padded (reflection, or replication where the image is too small to reflect)
and the padding is removed after stitching.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from did_ocr.diffusion.scales import WINDOW


def padded_shape(h: int, w: int, window: int = WINDOW) -> tuple[int, int]:
    return -(-h // window) * window, -(-w // window) * window


def pad_to_windows(x: torch.Tensor, window: int = WINDOW) -> torch.Tensor:
    """Pad (B, C, H, W) on the bottom/right to multiples of ``window``."""
    h, w = x.shape[-2:]
    ph, pw = padded_shape(h, w, window)
    if (ph, pw) == (h, w):
        return x
    mode = "reflect" if ph - h < h and pw - w < w else "replicate"
    return F.pad(x, (0, pw - w, 0, ph - h), mode=mode)


def to_windows(x: torch.Tensor, window: int = WINDOW) -> torch.Tensor:
    """(B, C, H, W) with H, W multiples of ``window`` -> (B * nh * nw, C, window, window), row-major."""
    b, c, h, w = x.shape
    nh, nw = h // window, w // window
    x = x.reshape(b, c, nh, window, nw, window).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b * nh * nw, c, window, window)


def from_windows(windows: torch.Tensor, batch: int, h: int, w: int, window: int = WINDOW) -> torch.Tensor:
    """Inverse of :func:`to_windows` for a padded (h, w)."""
    nh, nw = h // window, w // window
    c = windows.shape[1]
    x = windows.reshape(batch, nh, nw, c, window, window).permute(0, 3, 1, 4, 2, 5)
    return x.reshape(batch, c, h, w)
