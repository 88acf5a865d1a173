"""The cascade's array operations on numpy arrays, equal to the torch ones to float rounding.

Why: on a CPU, ``did-ocr read`` runs DiD's network on ONNX Runtime
(:mod:`did_ocr.model.onnx_model`), and everything around it (resizing,
windowing, stitching, the noise streams) on numpy, so that the command never
imports torch (2-3 s of a 10 s read on a 2-core machine). The cascade is
written once (:mod:`did_ocr.diffusion.cascade`); each of its array
operations (:func:`did_ocr.diffusion.scales.resize`, the windowing of
:mod:`did_ocr.diffusion.windows`) hands numpy arrays to the kernels here and
torch tensors to torch. The kernels reproduce torch's arithmetic, including
its antialiased bilinear weights and its CPU normal generator, so a seed gives
the same reconstruction on either backend (tests compare them).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Sequence

import numpy as np

#: bits of a float32 mantissa: what torch keeps of each 32-bit draw for a float uniform
_FLOAT_BITS = 24


def is_numpy(x: Any) -> bool:
    """Whether ``x`` is a numpy array (the torch-free path) rather than a torch tensor."""
    return isinstance(x, np.ndarray)


def concat(parts: Sequence[Any], axis: int = 1) -> Any:
    """Concatenate numpy arrays or torch tensors along ``axis``."""
    if is_numpy(parts[0]):
        return np.concatenate(parts, axis=axis)
    import torch

    return torch.cat(list(parts), dim=axis)


def as_like(values: np.ndarray | Sequence[float], like: Any) -> Any:
    """``values`` as an array of ``like``'s kind, dtype and device."""
    if is_numpy(like):
        return np.asarray(values, dtype=like.dtype)
    import torch

    return torch.as_tensor(np.asarray(values), dtype=like.dtype, device=like.device)


# ---- resizing -----------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _bilinear_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights, both (out, taps), of torch's antialiased bilinear interpolation along one axis.

    As ``F.interpolate(mode="bilinear", antialias=True, align_corners=False)``
    computes them: a triangle filter widened by the scale when shrinking, centred
    on each output pixel's centre, truncated at the borders and normalized.
    """
    scale = in_size / out_size
    support, invscale = (scale, 1.0 / scale) if scale >= 1.0 else (1.0, 1.0)
    center = scale * (np.arange(out_size) + 0.5)
    lo = np.maximum((center - support + 0.5).astype(np.int64), 0)  # truncation toward zero, as C++'s cast
    hi = np.minimum((center + support + 0.5).astype(np.int64), in_size)
    index = lo[:, None] + np.arange(int((hi - lo).max()))[None, :]
    weight = np.clip(1.0 - np.abs((index - center[:, None] + 0.5) * invscale), 0.0, None)
    weight[index >= hi[:, None]] = 0.0
    total = weight.sum(axis=1, keepdims=True)
    weight = np.divide(weight, total, out=np.zeros_like(weight), where=total > 0)
    return np.minimum(index, in_size - 1), weight.astype(np.float32)


def _resize_rows(x: np.ndarray, size: int) -> np.ndarray:
    """Resample the second-to-last axis of ``x`` to ``size``."""
    index, weight = _bilinear_taps(x.shape[-2], size)
    return np.einsum("...otw,ot->...ow", x[..., index, :], weight.astype(x.dtype, copy=False))


def resize(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(B, C, H, W) -> (B, C, h, w): :func:`did_ocr.diffusion.scales.resize` for numpy arrays."""
    h, w = size
    if x.shape[-1] != w:
        x = _resize_rows(x.swapaxes(-1, -2), w).swapaxes(-1, -2)
    if x.shape[-2] != h:
        x = _resize_rows(x, h)
    return np.ascontiguousarray(x)


# ---- windows ------------------------------------------------------------------------------

def pad(x: np.ndarray, bottom: int, right: int, mode: str) -> np.ndarray:
    """Pad (B, C, H, W) on the bottom and right; ``mode`` is torch's ("reflect" or "replicate")."""
    return np.pad(x, ((0, 0), (0, 0), (0, bottom), (0, right)), mode="edge" if mode == "replicate" else mode)


def to_windows(x: np.ndarray, window: int, stride: int) -> np.ndarray:
    """(B, C, H, W), already padded -> (B * nh * nw, C, window, window), row-major (as ``F.unfold``)."""
    b, c = x.shape[:2]
    view = np.lib.stride_tricks.sliding_window_view(x, (window, window), axis=(2, 3))[:, :, ::stride, ::stride]
    nh, nw = view.shape[2:4]
    return np.ascontiguousarray(view.transpose(0, 2, 3, 1, 4, 5)).reshape(b * nh * nw, c, window, window)


def from_windows(windows: np.ndarray, batch: int, h: int, w: int, window: int, stride: int,
                 weight: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_windows` for a padded (h, w): windows weighted by ``weight`` and normalized
    by the sum of the weights over each pixel (as ``F.fold`` of both in :mod:`did_ocr.diffusion.windows`)."""
    c = windows.shape[1]
    nh, nw = (h - window) // stride + 1, (w - window) // stride + 1
    grid = (windows * weight).reshape(batch, nh, nw, c, window, window)
    total = np.zeros((batch, c, h, w), dtype=windows.dtype)
    norm = np.zeros((h, w), dtype=windows.dtype)
    for r in range(nh):
        for q in range(nw):
            y, x = r * stride, q * stride
            total[:, :, y:y + window, x:x + window] += grid[:, r, q]
            norm[y:y + window, x:x + window] += weight
    return total / norm


def blend_ramp(window: int, overlap: int, dtype: Any = np.float32) -> np.ndarray:
    """(window, window) cross-fade weights: 1 inside, linear ramps over ``overlap`` pixels at each edge
    (the ramps of neighbouring windows sum to one across every overlap)."""
    if overlap == 0:
        return np.ones((window, window), dtype=dtype)
    i = (np.arange(window) + 0.5).astype(dtype)
    span = np.asarray(overlap, dtype=dtype)
    ramp = np.minimum(np.minimum(i / span, 1.0), np.minimum((window - i) / span, 1.0)).astype(dtype)
    return ramp[:, None] * ramp[None, :]


# ---- noise --------------------------------------------------------------------------------

class TorchCompatibleNormal:
    """A standard-normal stream that draws what ``torch.randn(shape, generator=g)`` draws on a CPU
    generator seeded with ``g.manual_seed(seed)``, call after call (to float32 rounding).

    torch fills a float tensor of 16 or more values with 32-bit Mersenne Twister
    draws (the seed's low 32 bits, the standard initialization) kept to 24 bits,
    then turns each block of 16 into normals by Box-Muller (values ``j`` and
    ``j + 8`` of a block are one pair); when the count is not a multiple of 16
    the last 16 values are drawn again.
    """

    def __init__(self, seed: int) -> None:
        self.bits = np.random.MT19937(0)
        self.bits._legacy_seeding(seed & 0xFFFF_FFFF)

    def _uniform(self, n: int) -> np.ndarray:
        raw = self.bits.random_raw(n).astype(np.uint32) & np.uint32((1 << _FLOAT_BITS) - 1)
        return raw.astype(np.float32) * np.float32(2.0 ** -_FLOAT_BITS)

    def draw(self, shape: tuple[int, ...]) -> np.ndarray:
        n = math.prod(shape)
        if n < 16:
            raise ValueError(f"torch draws fewer than 16 normals differently; {n} requested")
        data = self._uniform(n)
        full = n - n % 16
        data[:full] = _box_muller16(data[:full])
        if n % 16:
            data[n - 16:] = _box_muller16(self._uniform(16))
        return data.reshape(shape)


def _box_muller16(u: np.ndarray) -> np.ndarray:
    """torch's ``normal_fill_16`` on blocks of 16 uniforms (float32)."""
    blocks = u.reshape(-1, 16)
    radius = np.sqrt(np.float32(-2.0) * np.log(np.float32(1.0) - blocks[:, :8]))
    theta = np.float32(2.0 * math.pi) * blocks[:, 8:]
    return np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1).reshape(-1)
