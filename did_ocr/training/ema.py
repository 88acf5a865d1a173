"""Exponential moving average of the weights, with EDM's half-life in patches.

The decay per step is ``0.5 ** (batch / halflife)`` with the half-life ramped
up over early training (``rampup`` x patches seen) so the average forgets the
random initialization quickly.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Holds an averaged copy of a module."""

    def __init__(self, model: nn.Module, halflife_patches: float = 50_000, rampup: float = 0.1) -> None:
        self.module = copy.deepcopy(model).eval().requires_grad_(False)
        self.halflife = halflife_patches
        self.rampup = rampup

    def beta(self, batch: int, patches_seen: int) -> float:
        halflife = min(self.halflife, patches_seen * self.rampup) if self.rampup else self.halflife
        return 0.5 ** (batch / max(halflife, 1e-8))

    @torch.no_grad()
    def update(self, model: nn.Module, batch: int, patches_seen: int) -> None:
        beta = self.beta(batch, patches_seen)
        for avg, new in zip(self.module.parameters(), model.parameters()):
            avg.lerp_(new.detach(), 1.0 - beta)
        for avg, new in zip(self.module.buffers(), model.buffers()):
            avg.copy_(new)
