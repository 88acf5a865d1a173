"""Annotated pictures: the dark capture and the reconstruction side by side, with what was read drawn on it.

Why: a list of lines says what was read, not where, nor whether a word came
from the sign or from a hallucinated stroke. A person checks a reading at a
glance when each box is drawn on the reconstruction with its words and
confidence beside it, next to the capture it came from. ``did-ocr read
--annotate``, ``ReadResult.annotated()`` and the web page draw the same picture.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from did_ocr.capture.colorspace import linear_to_srgb, to_uint8
from did_ocr.ocr.words import OcrLine

#: longer side of each panel by default (a 12-megapixel photo gives a picture of about 4000x1500)
PANEL_SIDE = 2000
_GAP = 8
_BOX = (255, 64, 160)
_LABEL_BG = (20, 20, 20)
_LABEL_FG = (255, 255, 255)


def _panel(srgb: np.ndarray, scale: float) -> Image.Image:
    img = Image.fromarray(srgb if srgb.dtype == np.uint8 else to_uint8(srgb))
    if scale != 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.LANCZOS)
    return img


def annotate(capture_linear: np.ndarray, enhanced_srgb: np.ndarray, lines: list[OcrLine],
             panel_side: int | None = PANEL_SIDE) -> np.ndarray:
    """RGB uint8 picture: the capture as it is (left), the reconstruction with every box, its text and confidence (right).

    ``panel_side`` caps each panel's longer side (None: full resolution); box
    coordinates are those of the enhanced image (the recognizer's).
    """
    h, w = enhanced_srgb.shape[:2]
    scale = min(1.0, panel_side / max(h, w)) if panel_side else 1.0
    left, right = _panel(linear_to_srgb(capture_linear), scale), _panel(enhanced_srgb, scale)
    canvas = Image.new("RGB", (left.width + _GAP + right.width, max(left.height, right.height)), (255, 255, 255))
    canvas.paste(left, (0, 0))
    x0 = left.width + _GAP
    canvas.paste(right, (x0, 0))
    draw = ImageDraw.Draw(canvas)
    size = max(12, round(min(right.width, right.height) / 28))
    font = ImageFont.load_default(size=size)
    width = max(2, round(size / 8))
    for word in (word for line in lines for word in line.words):
        points = [(x0 + x * scale, y * scale) for x, y in word.box]
        draw.polygon(points, outline=_BOX, width=width)
        label = f"{word.text} {word.confidence:.2f}"
        top = min(y for _, y in points)
        left_x = min(x for x, _ in points)
        bbox = draw.textbbox((0, 0), label, font=font)
        label_h = bbox[3] - bbox[1] + 4
        y = top - label_h - width if top - label_h - width >= 0 else max(y for _, y in points) + width
        x = min(max(x0, left_x), max(x0, canvas.width - (bbox[2] - bbox[0]) - 4))
        draw.rectangle((x, y, x + bbox[2] - bbox[0] + 4, y + label_h), fill=_LABEL_BG)
        draw.text((x + 2 - bbox[0], y + 2 - bbox[1]), label, font=font, fill=_LABEL_FG)
    return np.asarray(canvas)
