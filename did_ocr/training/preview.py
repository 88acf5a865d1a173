"""The training preview: the EMA model's reconstructions of fixed synthetic dark images, as a grid PNG.

Fixed samples (seed 20240) so that previews of successive steps show the same
images and progress is visible; dark captures are shown as stored (sRGB, no
brightening), what the eye would see.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from did_ocr.capture.colorspace import linear_to_srgb8
from did_ocr.capture.save import save_srgb_png
from did_ocr.data.synth.generator import make_sample
from did_ocr.diffusion.cascade import CascadeConfig, reconstruct
from did_ocr.imaging.grid import make_grid

#: light levels of the preview rows, one sample each
PREVIEW_LEVELS = ("dark", "night", "extreme")


def _chw_to_srgb8(linear: torch.Tensor) -> np.ndarray:
    """A linear RGB (3, H, W) tensor -> sRGB uint8 (H, W, 3)."""
    return linear_to_srgb8(linear.detach().float().cpu().permute(1, 2, 0).numpy())


def save_preview(model: torch.nn.Module, norm, path: str | os.PathLike[str], step: int = 0,
                 device: torch.device | str = "cpu", count: int = 3) -> None:
    """Reconstruct ``count`` fixed synthetic dark images with ``model`` (fast sampler) and save a grid PNG."""
    was_training = model.training
    model.eval()
    rows = []
    for i, level in enumerate(PREVIEW_LEVELS[:count]):
        sample = make_sample(seed=20240, index=i, level=level, size=(128, 256))
        dark = torch.from_numpy(sample.dark_linear).permute(2, 0, 1).to(device)
        out, _ = reconstruct(model, norm, dark, CascadeConfig(fast=True), seed=i)
        rows.append([linear_to_srgb8(sample.dark_linear), _chw_to_srgb8(out), sample.scene.image])
    model.train(was_training)
    grid = make_grid(rows, ["dark (as stored)", f"DiD EMA, step {step}", "well-lit"], cell=(128, 256))
    save_srgb_png(Path(path), grid)
