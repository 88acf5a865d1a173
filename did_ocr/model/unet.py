"""A small conditional U-Net for 32x32 windows.

Input: the noisy image (3 channels) concatenated with the condition stack
[c_x, c_y1, c_y2] (9 channels); output: 3 channels. The noise level enters as
a sinusoidal embedding of EDM's ``c_noise`` that modulates every residual
block (scale and shift after the second normalization, as in ADM/EDM).
Width, depth and self-attention are configurable (:class:`UNetConfig`);
:data:`PRESETS` holds the sizes we ship (``S`` fits a 2-core CPU; ``M`` and ``L``
are for GPUs). Both are declared in :mod:`did_ocr.model.config`.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from did_ocr.model.config import PRESETS, UNetConfig  # noqa: F401 (declared where the command line can read them)


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(num_groups=math.gcd(32, channels), num_channels=channels, eps=1e-6)


class NoiseEmbedding(nn.Module):
    """Sinusoidal embedding of the scalar noise condition followed by an MLP."""

    def __init__(self, dim: int, out_dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.mlp = nn.Sequential(nn.Linear(dim, out_dim), nn.SiLU(), nn.Linear(out_dim, out_dim))

    def forward(self, c_noise: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        dtype = self.mlp[0].weight.dtype
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=c_noise.device, dtype=dtype) / half)
        args = c_noise.to(dtype).reshape(-1, 1) * 100.0 * freqs.reshape(1, -1)
        return self.mlp(torch.cat([torch.cos(args), torch.sin(args)], dim=1))


class ResBlock(nn.Module):
    """Pre-activation residual block modulated by the noise embedding."""

    def __init__(self, in_ch: int, out_ch: int, emb_dim: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = _norm(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * out_ch)
        self.norm2 = _norm(out_ch)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)
        h = F.silu(self.norm2(h) * (1 + scale) + shift)
        return self.skip(x) + self.conv2(self.dropout(h))


class SelfAttention(nn.Module):
    """Multi-head self-attention over spatial positions (used at low resolutions only)."""

    def __init__(self, channels: int, heads: int = 4) -> None:
        super().__init__()
        self.norm = _norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        self.heads = heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        out = F.scaled_dot_product_attention(q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2))
        return x + self.proj(out.transpose(-1, -2).reshape(b, c, h, w))


class CondUNet(nn.Module):
    """F in D(x; sigma, cond) = c_skip x + c_out F([c_in x, cond], c_noise)."""

    def __init__(self, config: UNetConfig = PRESETS["S"]) -> None:
        super().__init__()
        self.config = config
        base = config.base_channels
        emb_dim = 4 * base
        self.embed = NoiseEmbedding(base, emb_dim)
        self.conv_in = nn.Conv2d(config.in_channels, base, 3, padding=1)

        self.down = nn.ModuleList()
        skips = [base]
        ch = base
        for level, mult in enumerate(config.channel_mults):
            for _ in range(config.blocks_per_level):
                self.down.append(self._stage(ch, base * mult, emb_dim, level))
                ch = base * mult
                skips.append(ch)
            if level < len(config.channel_mults) - 1:
                self.down.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                skips.append(ch)

        mid_attn: list[nn.Module] = [SelfAttention(ch)] if config.mid_attention else []
        self.mid = nn.ModuleList([ResBlock(ch, ch, emb_dim, config.dropout), *mid_attn,
                                  ResBlock(ch, ch, emb_dim, config.dropout)])

        self.up = nn.ModuleList()
        for level, mult in reversed(list(enumerate(config.channel_mults))):
            for _ in range(config.blocks_per_level + 1):
                self.up.append(self._stage(ch + skips.pop(), base * mult, emb_dim, level))
                ch = base * mult
            if level > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
        self.norm_out = _norm(ch)
        self.conv_out = nn.Conv2d(ch, config.out_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def _stage(self, in_ch: int, out_ch: int, emb_dim: int, level: int) -> nn.ModuleList:
        parts: list[nn.Module] = [ResBlock(in_ch, out_ch, emb_dim, self.config.dropout)]
        if level in self.config.attention_levels:
            parts.append(SelfAttention(out_ch))
        return nn.ModuleList(parts)

    @staticmethod
    def _run(stage: nn.Module, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if isinstance(stage, nn.ModuleList):
            for layer in stage:
                h = layer(h, emb) if isinstance(layer, ResBlock) else layer(h)
            return h
        return stage(h)

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor) -> torch.Tensor:
        emb = self.embed(c_noise)
        h = self.conv_in(x)
        hs = [h]
        for stage in self.down:
            h = self._run(stage, h, emb)
            hs.append(h)
        for layer in self.mid:
            h = layer(h, emb) if isinstance(layer, ResBlock) else layer(h)
        for stage in self.up:
            if isinstance(stage, nn.ModuleList):
                h = torch.cat([h, hs.pop()], dim=1)
            h = self._run(stage, h, emb)
        return self.conv_out(F.silu(self.norm_out(h)))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
