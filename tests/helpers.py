"""Small shared builders for tests: tiny models and a tiny normalization."""

from __future__ import annotations

import torch

from did_ocr.model.checkpoint import build_model
from did_ocr.model.normalization import ChannelStats, TailNorm
from did_ocr.model.unet import UNetConfig

TINY_UNET = UNetConfig(base_channels=8, channel_mults=(1, 2), blocks_per_level=1, mid_attention=False)


def tiny_model(seed: int = 0):
    torch.manual_seed(seed)
    return build_model(TINY_UNET).eval()


def tiny_norm() -> TailNorm:
    return TailNorm(dark=ChannelStats((0.2, 0.2, 0.2), (0.1, 0.1, 0.1)),
                    light=ChannelStats((0.6, 0.6, 0.6), (0.2, 0.2, 0.2)))
