"""Tail normalization: bring right-tailed low-light data to the range diffusion expects.

Low-light captures pile up near zero, so plain z-scoring leaves them far from
the N(0, sigma_data^2)-like range the EDM noise schedule was designed for.
Per channel c (DiD, Nguyen et al. 2024, section 3):

    n(x)_c = (x_c ** (1/4) - mean_c) / std_c / 2
    n^-1(y)_c = clamp((2 * std_c * y_c + mean_c) ** 4, 0, 1)

``mean``/``std`` are fitted on the 4th-rooted training data, separately for
the dark inputs and the well-lit targets, and stored in the checkpoint so a
model carries its own normalization (the reference code hard-codes them per
dataset). ``enabled=False`` gives the ablation: plain scaling to [-1, 1].
Normalizing takes torch tensors or numpy arrays (the torch-free inference
path); fitting is training's and uses torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

import did_ocr.arrays as arrays

if TYPE_CHECKING:
    import torch

ROOT = 4.0


@dataclass(frozen=True)
class ChannelStats:
    """Per-channel mean and std of 4th-rooted linear RGB."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def tensors(self, like: Any) -> tuple[Any, Any]:
        """Mean and std shaped to broadcast over ``like`` ((B,) 3, H, W), of its kind, dtype and device."""
        shape = (1, 3, 1, 1) if like.ndim == 4 else (3, 1, 1)
        return (arrays.as_like(np.reshape(self.mean, shape), like), arrays.as_like(np.reshape(self.std, shape), like))


@dataclass(frozen=True)
class TailNorm:
    """Forward and inverse normalization for dark inputs and well-lit targets."""

    dark: ChannelStats
    light: ChannelStats
    enabled: bool = True

    def normalize(self, linear: Any, which: str) -> Any:
        """Linear RGB (..., 3, H, W) in [0, 1] -> model space. ``which`` is "dark" or "light"."""
        if not self.enabled:
            return linear * 2.0 - 1.0
        mean, std = self._stats(which).tensors(linear)
        return (_clip(linear, 0.0) ** (1.0 / ROOT) - mean) / std / 2.0

    def denormalize(self, y: Any, which: str = "light") -> Any:
        """Model space -> linear RGB in [0, 1]."""
        if not self.enabled:
            return _clip((y + 1.0) / 2.0, 0.0, 1.0)
        mean, std = self._stats(which).tensors(y)
        return _clip(_clip(2.0 * std * y + mean, 0.0) ** ROOT, 0.0, 1.0)

    def _stats(self, which: str) -> ChannelStats:
        if which not in ("dark", "light"):
            raise ValueError(f"which must be 'dark' or 'light', not {which!r}")
        return self.dark if which == "dark" else self.light

    def to_dict(self) -> dict:
        return {"enabled": self.enabled,
                "dark": {"mean": list(self.dark.mean), "std": list(self.dark.std)},
                "light": {"mean": list(self.light.mean), "std": list(self.light.std)}}

    @classmethod
    def from_dict(cls, d: dict) -> "TailNorm":
        def stats(key: str) -> ChannelStats:
            mean, std = d[key]["mean"], d[key]["std"]
            if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
                raise ValueError(f"{key} statistics must be 3 means and 3 positive stds")
            return ChannelStats(tuple(float(v) for v in mean), tuple(float(v) for v in std))

        return cls(dark=stats("dark"), light=stats("light"), enabled=bool(d.get("enabled", True)))


def _clip(x: Any, lo: float, hi: float | None = None) -> Any:
    """``clamp(x, lo, hi)`` for a torch tensor or a numpy array."""
    if arrays.is_numpy(x):
        return np.clip(x, lo, hi)
    return x.clamp(min=lo, max=hi)


def fit_channel_stats(images: Iterable[torch.Tensor], eps: float = 1e-4) -> ChannelStats:
    """Per-channel mean/std of x ** (1/4) over images of shape (3, H, W) or (B, 3, H, W)."""
    import torch

    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    count = 0
    for img in images:
        x = img.detach().to(torch.float64).clamp(min=0.0) ** (1.0 / ROOT)
        x = x.reshape(-1, 3, x.shape[-2] * x.shape[-1]) if x.dim() == 4 else x.reshape(1, 3, -1)
        total += x.sum(dim=(0, 2))
        total_sq += (x * x).sum(dim=(0, 2))
        count += x.shape[0] * x.shape[2]
    if count == 0:
        raise ValueError("cannot fit normalization statistics on no data")
    mean = total / count
    std = (total_sq / count - mean * mean).clamp(min=0.0).sqrt().clamp(min=eps)
    return ChannelStats(tuple(mean.tolist()), tuple(std.tolist()))


def fit_tail_norm(dark: Iterable[torch.Tensor], light: Iterable[torch.Tensor], enabled: bool = True) -> TailNorm:
    """Fit the six dark and six light statistics on training images."""
    return TailNorm(dark=fit_channel_stats(dark), light=fit_channel_stats(light), enabled=enabled)
