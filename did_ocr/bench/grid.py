"""Side-by-side pictures: dark capture | enhancers... | well-lit reference.

Used by the benchmark (a grid per run) and by training (a preview of the EMA
model on fixed synthetic samples). Dark captures are shown as they are
stored (sRGB, no brightening), so the picture shows what the eye would see.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from did_ocr.capture.colorspace import linear_to_srgb, to_uint8


def _fit(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Letterbox an sRGB uint8 image into (height, width) keeping its aspect ratio."""
    import cv2

    h, w = img.shape[:2]
    f = min(height / h, width / w)
    nh, nw = max(1, round(h * f)), max(1, round(w * f))
    resized = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_NEAREST)
    canvas = np.full((height, width, 3), 24, np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    canvas[y:y + nh, x:x + nw] = resized
    return canvas


def make_grid(rows: Sequence[Sequence[np.ndarray]], titles: Sequence[str], cell: tuple[int, int] = (128, 256),
              row_labels: Sequence[str] | None = None) -> np.ndarray:
    """A labelled grid of sRGB uint8 images; rows may hold None for a missing cell."""
    from PIL import Image, ImageDraw, ImageFont

    ch, cw = cell
    header, label_w = 18, (150 if row_labels else 0)
    grid = np.full((header + len(rows) * (ch + 4), label_w + len(titles) * (cw + 4), 3), 12, np.uint8)
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            if img is not None:
                y, x = header + r * (ch + 4), label_w + c * (cw + 4)
                grid[y:y + ch, x:x + cw] = _fit(img, ch, cw)
    pil = Image.fromarray(grid)
    draw = ImageDraw.Draw(pil)
    font = ImageFont.load_default(size=13)
    for c, title in enumerate(titles):
        draw.text((label_w + c * (cw + 4) + 4, 2), title, fill=(230, 230, 230), font=font)
    for r, label in enumerate(row_labels or []):
        draw.text((4, header + r * (ch + 4) + ch // 2 - 7), label[:22], fill=(230, 230, 230), font=font)
    return np.asarray(pil)


def linear_to_u8(linear: np.ndarray | torch.Tensor) -> np.ndarray:
    """Linear RGB (H, W, 3) array or (3, H, W) tensor -> sRGB uint8 (H, W, 3)."""
    if isinstance(linear, torch.Tensor):
        linear = linear.detach().float().cpu().permute(1, 2, 0).numpy()
    return to_uint8(linear_to_srgb(np.asarray(linear, dtype=np.float32)))


def save_preview(model: torch.nn.Module, norm, path: str | os.PathLike[str], step: int = 0,
                 device: torch.device | str = "cpu", count: int = 3) -> None:
    """Reconstruct ``count`` fixed synthetic dark images with ``model`` and save a grid PNG."""
    from did_ocr.capture.save import save_srgb_png
    from did_ocr.data.synth.generator import make_sample
    from did_ocr.diffusion.cascade import CascadeConfig, reconstruct

    was_training = model.training
    model.eval()
    rows = []
    for i, level in enumerate(["dark", "night", "extreme"][:count]):
        sample = make_sample(seed=20240, index=i, level=level, size=(128, 256))
        dark = torch.from_numpy(sample.dark_linear).permute(2, 0, 1).to(device)
        out, _ = reconstruct(model, norm, dark, CascadeConfig(fast=True), seed=i)
        rows.append([linear_to_u8(sample.dark_linear), linear_to_u8(out), sample.scene.image])
    model.train(was_training)
    grid = make_grid(rows, ["dark (as stored)", f"DiD EMA, step {step}", "well-lit"], cell=(128, 256),
                     row_labels=None)
    save_srgb_png(Path(path), grid)
