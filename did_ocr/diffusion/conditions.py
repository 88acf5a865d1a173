"""The one place where the condition stack of a scale is built.

For scale s the denoiser sees 9 condition channels [c_x, c_y1, c_y2]:

* c_x  = D(dark, size_s): the dark capture at this scale;
* c_y1 = U(previous, size_s) + eta: the estimate of the well-lit image from
  scale s-1 (exposure and layout at half resolution);
* c_y2 = U(base, size_s) + eta: the scale-0 estimate (global exposure), which
  keeps all windows of a scale consistent with each other.

At scale 0 there is no estimate yet, and the stack is [c_x, c_x, c_x] as in
the reference. In training ``previous``/``base`` are the downscaled targets
and ``eta_std`` > 0 (the model must learn to trust, not copy, an imperfect
estimate); at inference they are the cascade's own results and eta is 0.
Both training (:mod:`did_ocr.training.batches`) and inference
(:mod:`did_ocr.diffusion.cascade`) call :func:`build_conditions`, so the two
cannot drift apart. At inference the stack may be numpy arrays (the torch-free
path, :mod:`did_ocr.arrays`); training's noise ``eta`` is torch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import did_ocr.arrays as arrays
from did_ocr.diffusion.scales import WINDOW, resize

if TYPE_CHECKING:
    import torch

#: the condition stack's layout: which channels hold what
DARK = slice(0, 3)  # c_x: the dark capture at this scale
PREVIOUS = slice(3, 6)  # c_y1: the previous scale's estimate
BASE = slice(6, 9)  # c_y2: the scale-0 estimate
COND_CHANNELS = 9
IMAGE_CHANNELS = 3  # the noisy sample the denoiser refines
#: what the U-Net takes in: the noisy sample, then the condition stack
NETWORK_IN_CHANNELS = IMAGE_CHANNELS + COND_CHANNELS


def check_network_channels(in_channels: int) -> None:
    """Refuse a network whose input does not match the condition layout (one clear line)."""
    if in_channels != NETWORK_IN_CHANNELS:
        raise ValueError(f"the denoiser takes {in_channels} input channels, but the DiD condition stack needs "
                         f"{NETWORK_IN_CHANNELS} ({IMAGE_CHANNELS} noisy + {COND_CHANNELS} condition channels)")


def build_conditions(dark: Any, size: tuple[int, int], previous: Any | None = None, base: Any | None = None,
                     eta_std: torch.Tensor | float = 0.0, generator: torch.Generator | None = None) -> Any:
    """The (B, 9, h, w) condition stack for a scale of shape ``size``.

    ``dark``, ``previous`` and ``base`` are normalized images (B, 3, H', W') of
    any size; ``previous`` and ``base`` are both None (scale 0) or both given.
    ``eta_std`` is a scalar or a per-sample (B,) tensor.
    """
    c_x = resize(dark, size)
    if previous is None and base is None:
        return arrays.concat([c_x, c_x, c_x], axis=1)
    if previous is None or base is None:
        raise ValueError("previous and base estimates must be given together (or neither, for scale 0)")
    c_y1 = resize(previous, size)
    c_y2 = resize(base, size)
    if not (isinstance(eta_std, (int, float)) and eta_std == 0):
        c_y1, c_y2 = (_perturb(c, eta_std, generator) for c in (c_y1, c_y2))
    return arrays.concat([c_x, c_y1, c_y2], axis=1)


def _perturb(estimate: torch.Tensor, eta_std: torch.Tensor | float, generator: torch.Generator | None) -> torch.Tensor:
    """Training's imperfect estimate: ``estimate`` plus N(0, eta^2) noise (per sample; none where eta is 0)."""
    import torch

    eta = torch.as_tensor(eta_std, dtype=estimate.dtype, device=estimate.device).reshape(-1, 1, 1, 1)
    if not bool((eta > 0).any()):
        return estimate
    return estimate + eta * torch.randn(estimate.shape, generator=generator, dtype=estimate.dtype,
                                        device=estimate.device)


def crop_windows(tensors: list[torch.Tensor], tops: torch.Tensor, lefts: torch.Tensor,
                 window: int = WINDOW) -> list[torch.Tensor]:
    """Cut the same window (one per sample) out of each (B, C, H, W) tensor."""
    import torch

    out = []
    for t in tensors:
        out.append(torch.stack([t[i, :, int(y):int(y) + window, int(x):int(x) + window]
                                for i, (y, x) in enumerate(zip(tops.tolist(), lefts.tolist()))]))
    return out


def random_windows(batch: int, size: tuple[int, int], generator: torch.Generator | None = None,
                   window: int = WINDOW) -> tuple[torch.Tensor, torch.Tensor]:
    """Random top-left corners of ``window``-sized crops inside ``size``."""
    import torch

    h, w = size
    tops = torch.randint(0, h - window + 1, (batch,), generator=generator)
    lefts = torch.randint(0, w - window + 1, (batch,), generator=generator)
    return tops, lefts
