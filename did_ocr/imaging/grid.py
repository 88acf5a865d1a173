"""A labelled grid of images: the bench's grid.png, the training preview, the synthetic contact sheet.

Cells are letterboxed into one size keeping each image's aspect ratio, so
pictures of different shapes can sit side by side.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


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


def make_grid(rows: Sequence[Sequence[np.ndarray | None]], titles: Sequence[str], cell: tuple[int, int] = (128, 256),
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
