"""Cutting an image into 32x32 windows and stitching it back, with overlap.

Upper scales of the cascade are sampled window by window, all windows of a
scale as one batch. Windows sampled independently each drift a little in
brightness and colour; butted edge to edge (the reference) they leave a
32-pixel grid of seams on real photos. Here neighbouring windows overlap by
``overlap`` pixels and are cross-faded with linear ramps that sum to one
across every overlap (a partition of unity), so no edge of any window is a
step in the stitched image. ``overlap=0`` gives the reference's tiling.

Images are padded (reflection, or replication where the image is too small
to reflect) so that the windows fit exactly, and the padding is removed
after stitching.

The tiling functions take torch tensors or numpy arrays (the torch-free
inference path, :mod:`did_ocr.arrays`) and return the same kind;
the seam measures are torch's.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

import did_ocr.arrays as arrays
from did_ocr.diffusion.scales import WINDOW

if TYPE_CHECKING:
    import torch


def _stride(window: int, overlap: int) -> int:
    if not 0 <= overlap <= window // 2:
        raise ValueError(f"window overlap must be between 0 and {window // 2} pixels, got {overlap}")
    return window - overlap


def padded_shape(h: int, w: int, window: int = WINDOW, overlap: int = 0) -> tuple[int, int]:
    """The smallest (H, W) >= (h, w) that windows of ``window`` with ``overlap`` tile exactly."""
    stride = _stride(window, overlap)

    def side(n: int) -> int:
        return window if n <= window else window + stride * math.ceil((n - window) / stride)

    return side(h), side(w)


def grid_shape(h: int, w: int, window: int = WINDOW, overlap: int = 0) -> tuple[int, int]:
    """Windows per column and per row for an (h, w) image."""
    stride = _stride(window, overlap)
    ph, pw = padded_shape(h, w, window, overlap)
    return (ph - window) // stride + 1, (pw - window) // stride + 1


def window_edges(length: int, window: int = WINDOW, overlap: int = 0) -> list[int]:
    """Positions along one side where some window starts or ends (inside the image): where seams would be."""
    stride = _stride(window, overlap)
    n = (padded_shape(length, length, window, overlap)[0] - window) // stride + 1
    edges = {i * stride for i in range(n)} | {i * stride + window for i in range(n)}
    return sorted(e for e in edges if 0 < e < length)


def pad_to_windows(x: Any, window: int = WINDOW, overlap: int = 0) -> Any:
    """Pad (B, C, H, W) on the bottom/right so that the windows tile it exactly."""
    h, w = x.shape[-2:]
    ph, pw = padded_shape(h, w, window, overlap)
    if (ph, pw) == (h, w):
        return x
    mode = "reflect" if ph - h < h and pw - w < w else "replicate"
    if arrays.is_numpy(x):
        return arrays.pad(x, ph - h, pw - w, mode)
    from torch.nn import functional as F

    return F.pad(x, (0, pw - w, 0, ph - h), mode=mode)


def to_windows(x: Any, window: int = WINDOW, overlap: int = 0) -> Any:
    """(B, C, H, W), already padded -> (B * nh * nw, C, window, window), row-major."""
    if arrays.is_numpy(x):
        return arrays.to_windows(x, window, _stride(window, overlap))
    from torch.nn import functional as F

    b, c = x.shape[:2]
    cols = F.unfold(x, window, stride=_stride(window, overlap))  # (B, C * window^2, L)
    n = cols.shape[-1]
    return cols.view(b, c, window, window, n).permute(0, 4, 1, 2, 3).reshape(b * n, c, window, window)


def from_windows(windows: Any, batch: int, h: int, w: int, window: int = WINDOW, overlap: int = 0) -> Any:
    """Inverse of :func:`to_windows` for a padded (h, w): overlapping parts are cross-faded."""
    stride = _stride(window, overlap)
    weight = arrays.blend_ramp(window, overlap, np.float64)  # rounded once, to the windows' own type
    if arrays.is_numpy(windows):
        return arrays.from_windows(windows, batch, h, w, window, stride, weight.astype(windows.dtype))
    import torch
    from torch.nn import functional as F

    c = windows.shape[1]
    weight = torch.as_tensor(weight, device=windows.device, dtype=windows.dtype)
    n = windows.shape[0] // batch
    cols = (windows * weight).reshape(batch, n, c * window * window).transpose(1, 2)
    total = F.fold(cols, (h, w), window, stride=stride)
    if overlap == 0:
        return total
    norm = F.fold(weight.reshape(1, window * window, 1).expand(1, -1, n), (h, w), window, stride=stride)
    return total / norm


def seam_ratio(image: torch.Tensor, window: int = WINDOW, overlap: int = 0) -> float:
    """How visible the window layout is in a (C, H, W) image: the mean absolute step across the
    window edges (:func:`window_edges`) divided by the mean absolute step between all other
    neighbouring pixels. About 1 for a photo; clearly above 1 where windows leave seams."""
    import torch

    dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean(dim=(0, 1))  # step between columns x-1 and x
    dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean(dim=(0, 2))
    on, off = [], []
    for steps, length in ((dx, image.shape[-1]), (dy, image.shape[-2])):
        mask = torch.zeros(length - 1, dtype=torch.bool)
        edges = window_edges(length, window, overlap)
        mask[[e - 1 for e in edges]] = True
        on.append(steps[mask])
        off.append(steps[~mask])
    return float(torch.cat(on).mean() / torch.cat(off).mean())


def blotch_ratio(image: torch.Tensor, reference: torch.Tensor, fine: float = 4.0, coarse: float = 16.0,
                 flat_share: float = 0.3) -> float:
    """How much spurious texture a few windows wide an image (C, H, W) has where the clean
    ``reference`` is flat: the mean absolute band-pass (Gaussian ``fine`` minus ``coarse`` sigma,
    pixels) over the flattest ``flat_share`` of the reference, divided by the reference's own.

    Window drift that cross-fades hide from :func:`seam_ratio` (no step at any edge) still shows
    as soft colour blotches in skies and walls; this measures them. About 1 for the clean photo.
    """
    import torch

    from did_ocr.imaging.blur import gaussian_blur

    def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
        return gaussian_blur(x[None], sigma)[0]

    gray = reference.mean(dim=0, keepdim=True)
    mean = blur(gray, 8.0)
    variance = (blur(gray * gray, 8.0) - mean * mean)[0]
    flat = variance <= torch.quantile(variance.flatten()[::7], flat_share)

    def band(x: torch.Tensor) -> torch.Tensor:
        return (blur(x, fine) - blur(x, coarse)).abs().mean(dim=0)[flat].mean()

    return float(band(image) / band(reference))
