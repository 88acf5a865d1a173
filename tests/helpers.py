"""Small shared builders for tests: tiny models and a tiny normalization."""

from __future__ import annotations

import torch

from did_ocr.model.checkpoint import build_model
from did_ocr.model.tail_norm import ChannelStats, TailNorm
from did_ocr.model.unet import UNetConfig

TINY_UNET = UNetConfig(base_channels=8, channel_mults=(1, 2), blocks_per_level=1, mid_attention=False)


def tiny_model(seed: int = 0):
    torch.manual_seed(seed)
    return build_model(TINY_UNET).eval()


def tiny_norm() -> TailNorm:
    return TailNorm(dark=ChannelStats((0.2, 0.2, 0.2), (0.1, 0.1, 0.1)),
                    light=ChannelStats((0.6, 0.6, 0.6), (0.2, 0.2, 0.2)))


def write_tiny_model(path, seed: int = 0):
    """Save a tiny untrained model (weights drawn with ``seed``) in the inference checkpoint format; returns the path."""
    from did_ocr.model.checkpoint import save_checkpoint

    model = tiny_model(seed)
    save_checkpoint(path, {f"ema.{k}": v for k, v in model.state_dict().items()},
                    {"unet": TINY_UNET.to_dict(), "norm": tiny_norm().to_dict(), "step": 0})
    return path


def render_text(text: str, size: tuple[int, int] = (96, 320), font_size: int = 40):
    """A clean sRGB uint8 image of dark text on a light background (DejaVu Sans Bold)."""
    import numpy as np
    from PIL import Image, ImageDraw

    from did_ocr.data.synth.fonts import load_font, system_fonts

    fonts = [f for f in system_fonts() if f.endswith("DejaVuSans-Bold.ttf")] or list(system_fonts()) or [None]
    h, w = size
    img = Image.new("RGB", (w, h), (225, 222, 210))
    draw = ImageDraw.Draw(img)
    lines = text.split("\n")
    font = load_font(fonts[0], font_size)
    y = (h - len(lines) * font_size * 1.3) / 2
    for line in lines:
        draw.text((12, y), line, font=font, fill=(20, 20, 60))
        y += font_size * 1.3
    return np.asarray(img)
