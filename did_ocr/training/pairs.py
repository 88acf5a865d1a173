"""Sources of (dark, well-lit) training pairs as 256x256 linear-RGB tensors.

Both sources are pure functions of (seed, rank, step): the pairs of a step
are drawn from ``SeedSequence([seed, rank, step])``, so ``--resume`` continues
exactly and DDP ranks see different data, without storing any data state.

* :class:`SyntheticPairs` keeps a pool of rendered scenes (rendering costs
  ~30 ms, too much for 64 fresh scenes per step on a 2-core CPU). Slot ``j``
  holds scene ``k`` for the ``k`` most recently assigned to it; each step
  replaces ``refresh`` scenes, and every sample gets a freshly simulated
  capture (new light level and noise) of its scene.
* :class:`DatasetPairs` takes random 256x256 crops of a standard-layout
  dataset's low/high pairs (held in memory as float16).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
import torch

from did_ocr.capture.colorspace import srgb_to_linear
from did_ocr.data.synth.render import render_scene
from did_ocr.data.synth.simulate import TRAIN_LEVEL_WEIGHTS, sample_params, simulate_capture

CROP = 256


class PairSource(Protocol):
    """Gives ``batch`` (dark, light) pairs, each (B, 3, 256, 256) linear float32, for a step.

    ``stream`` separates independent uses of the same step (0: training, 1: fitting statistics).
    """

    def pairs(self, step: int, batch: int, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]: ...

    def describe(self) -> dict: ...


def step_rng(seed: int, rank: int, step: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, rank, step, stream]))


@dataclass
class _Slot:
    scene_id: int
    clean: np.ndarray  # uint8 sRGB (256, 256, 3)


class SyntheticPairs:
    """Endless synthetic pairs from the package's renderer and capture simulation."""

    def __init__(self, seed: int = 0, rank: int = 0, pool: int = 384, refresh: int = 2,
                 levels: dict[str, float] | None = None) -> None:
        self.seed, self.rank, self.pool, self.refresh = seed, rank, pool, refresh
        weights = levels or TRAIN_LEVEL_WEIGHTS
        self.level_names = list(weights)
        total = sum(weights.values())
        self.level_p = np.array([weights[k] / total for k in self.level_names])
        self._slots: dict[int, _Slot] = {}

    def describe(self) -> dict:
        return {"kind": "synthetic", "seed": self.seed, "pool": self.pool, "refresh": self.refresh,
                "levels": dict(zip(self.level_names, self.level_p.round(4).tolist()))}

    def _scene(self, scene_id: int) -> np.ndarray:
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.rank, 1_000_003, scene_id]))
        return render_scene(rng, CROP, CROP).image

    def _scene_in_slot(self, slot: int, step: int) -> int:
        """Which scene slot ``slot`` holds at ``step`` (scenes 0..pool-1 fill the pool at step 0)."""
        newest = self.pool + step * self.refresh - 1  # id of the last scene assigned by this step
        return newest - ((newest - slot) % self.pool)

    def _clean(self, slot: int, step: int) -> np.ndarray:
        scene_id = self._scene_in_slot(slot, step)
        cached = self._slots.get(slot)
        if cached is None or cached.scene_id != scene_id:
            cached = _Slot(scene_id, self._scene(scene_id))
            self._slots[slot] = cached
        return cached.clean

    def pairs(self, step: int, batch: int, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        rng = step_rng(self.seed, self.rank, step, stream)
        slots = rng.integers(0, self.pool, size=batch)
        dark, light = [], []
        for slot in slots:
            clean = self._clean(int(slot), step)
            level = self.level_names[rng.choice(len(self.level_names), p=self.level_p)]
            params = sample_params(rng, level)
            dark.append(simulate_capture(clean, params, rng))
            light.append(srgb_to_linear(clean.astype(np.float32) / 255.0))
        return _to_tensor(dark), _to_tensor(light)


class DatasetPairs:
    """Random 256x256 crops of a standard-layout dataset (low/ and high/ required)."""

    def __init__(self, root: str | Path, seed: int = 0, rank: int = 0, max_images: int | None = None) -> None:
        from tqdm import tqdm

        from did_ocr.data.dataset import LowLightDataset
        from did_ocr.errors import DatasetError, InputError

        ds = LowLightDataset(root, require_high=True)
        items = list(ds)[: max_images or None]
        if not items:
            raise DatasetError(f"{root}: no image pairs to train on")
        self.root, self.seed, self.rank = str(root), seed, rank
        self.images: list[tuple[np.ndarray, np.ndarray]] = []
        #: one line per pair that could not be used (it is skipped; the run reports it and exits non-zero)
        self.skipped: list[str] = []
        for item in tqdm(items, desc="loading pairs", unit="pair", disable=rank != 0):
            try:
                low, high = ds.load_pair(item)
                if low.shape != high.shape:
                    raise DatasetError(f"{item.low_path}: size {low.shape[:2]} differs from its well-lit partner "
                                       f"{high.shape[:2]}; pairs must be aligned")
            except (InputError, DatasetError) as exc:
                self.skipped.append(str(exc))
                if rank == 0:
                    tqdm.write(f"error: {exc} (pair skipped)", file=sys.stderr)
                continue
            low, high = _at_least(low, CROP), _at_least(high, CROP)
            self.images.append((low.astype(np.float16), high.astype(np.float16)))
        if not self.images:
            raise DatasetError(f"{root}: none of the {len(items)} pairs could be loaded; see the errors above")

    def describe(self) -> dict:
        return {"kind": "dataset", "root": self.root, "pairs": len(self.images)}

    def pairs(self, step: int, batch: int, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        rng = step_rng(self.seed, self.rank, step, stream)
        dark, light = [], []
        for idx in rng.integers(0, len(self.images), size=batch):
            low, high = self.images[int(idx)]
            h, w = low.shape[:2]
            y, x = int(rng.integers(0, h - CROP + 1)), int(rng.integers(0, w - CROP + 1))
            dark.append(low[y:y + CROP, x:x + CROP].astype(np.float32))
            light.append(high[y:y + CROP, x:x + CROP].astype(np.float32))
        return _to_tensor(dark), _to_tensor(light)


def _at_least(img: np.ndarray, side: int) -> np.ndarray:
    """Upscale (keeping the aspect ratio) so that both sides are >= ``side``."""
    import cv2

    h, w = img.shape[:2]
    if min(h, w) >= side:
        return img
    f = side / min(h, w)
    return cv2.resize(img, (max(side, round(w * f)), max(side, round(h * f))), interpolation=cv2.INTER_LINEAR)


def _to_tensor(images: Sequence[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous().float()
