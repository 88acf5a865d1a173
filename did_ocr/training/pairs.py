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
  dataset's low/high pairs (held in memory as float16): real captures, real noise.
* :class:`DarkenedImages` darkens real well-lit photos or word crops on the
  fly with the capture simulation: real appearance, simulated sensor.
* :class:`MixedPairs` draws from several of them with mixing weights
  (``did-ocr train --data synthetic@0.3 --data darken:crops@0.4 ...``).
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
from did_ocr.data.synth.simulate import TRAIN_LEVEL_WEIGHTS, expose, quantize, sample_params, simulate_capture

CROP = 256


class PairSource(Protocol):
    """Gives ``batch`` (dark, light) pairs, each (B, 3, 256, 256) linear float32, for a step.

    ``stream`` separates independent uses of the same step (0: training, 1: fitting statistics).
    """

    def pairs(self, step: int, batch: int, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]: ...

    def describe(self) -> dict: ...


def step_rng(seed: int, rank: int, step: int, stream: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, rank, step, stream]))


class LevelMix:
    """How often each light level is drawn for a simulated training capture (one place for every source)."""

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        weights = weights or TRAIN_LEVEL_WEIGHTS
        self.names = list(weights)
        total = sum(weights.values())
        self.p = np.array([weights[k] / total for k in self.names])

    def draw(self, rng: np.random.Generator) -> str:
        return self.names[rng.choice(len(self.names), p=self.p)]

    def describe(self) -> dict[str, float]:
        return dict(zip(self.names, self.p.round(4).tolist()))


@dataclass
class _Slot:
    scene_id: int
    clean: np.ndarray  # uint8 sRGB (256, 256, 3)


class SyntheticPairs:
    """Endless synthetic pairs from the package's renderer and capture simulation."""

    def __init__(self, seed: int = 0, rank: int = 0, pool: int = 384, refresh: int = 2,
                 levels: dict[str, float] | None = None) -> None:
        self.seed, self.rank, self.pool, self.refresh = seed, rank, pool, refresh
        self.levels = LevelMix(levels)
        self._slots: dict[int, _Slot] = {}

    def describe(self) -> dict:
        return {"kind": "synthetic", "seed": self.seed, "pool": self.pool, "refresh": self.refresh,
                "levels": self.levels.describe()}

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
            params = sample_params(rng, self.levels.draw(rng))
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


class DarkenedImages:
    """Well-lit real photos darkened on the fly by the capture simulation.

    Real appearance (real text, textures, optics) with the simulated sensor:
    every draw takes a random 256x256 view, then a fresh capture at a random
    light level. ``root`` is a folder of images or a dataset with ``high/``.
    Photos are rescaled at random (log-uniform, never below the crop) before
    cropping, so text appears at many sizes; word crops smaller than the crop
    (IIIT 5K is ~77x32) are laid out as rows of words on a mosaic instead of
    being blown up, which keeps them near their native resolution.
    """

    def __init__(self, root: str | Path, seed: int = 0, rank: int = 0, levels: dict[str, float] | None = None,
                 max_images: int | None = None) -> None:
        from tqdm import tqdm

        from did_ocr.capture import load_capture
        from did_ocr.data.dataset import index_images
        from did_ocr.errors import DatasetError, InputError

        folder = Path(root) / "high" if (Path(root) / "high").is_dir() else Path(root)
        paths = sorted(index_images(folder).values())[: max_images or None] if folder.is_dir() else []
        if not paths:
            raise DatasetError(f"{root}: no well-lit images to darken (give a folder of images or a dataset with high/)")
        self.root, self.seed, self.rank = str(root), seed, rank
        self.levels = LevelMix(levels)
        self.images: list[np.ndarray] = []
        self.skipped: list[str] = []
        for path in tqdm(paths, desc="loading images", unit="img", disable=rank != 0):
            try:
                self.images.append(load_capture(path).astype(np.float16))
            except InputError as exc:
                self.skipped.append(str(exc))
                if rank == 0:
                    tqdm.write(f"error: {exc} (image skipped)", file=sys.stderr)
        if not self.images:
            raise DatasetError(f"{root}: none of the {len(paths)} images could be loaded; see the errors above")
        self.small = [i for i, im in enumerate(self.images) if min(im.shape[:2]) < CROP // 2]
        self.large = [i for i, im in enumerate(self.images) if min(im.shape[:2]) >= CROP // 2]

    def describe(self) -> dict:
        return {"kind": "darkened", "root": self.root, "images": len(self.images), "word_crops": len(self.small),
                "levels": self.levels.describe()}

    def _view(self, rng: np.random.Generator) -> np.ndarray:
        """One 256x256 linear float32 view: a rescaled crop of a photo or a mosaic of word crops."""
        use_mosaic = bool(self.small) and (not self.large or rng.random() < len(self.small) / len(self.images))
        if use_mosaic:
            return _mosaic(rng, [self.images[i] for i in self.small])
        img = self.images[int(rng.choice(self.large))].astype(np.float32)
        h, w = img.shape[:2]
        lo = CROP / min(h, w)
        scale = float(np.exp(rng.uniform(np.log(max(lo, 0.25)), np.log(max(lo, 1.0)))))
        img = resized(img, max(CROP, round(w * scale)), max(CROP, round(h * scale)))
        h, w = img.shape[:2]
        y, x = int(rng.integers(0, h - CROP + 1)), int(rng.integers(0, w - CROP + 1))
        return img[y:y + CROP, x:x + CROP]

    def pairs(self, step: int, batch: int, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        rng = step_rng(self.seed, self.rank, step, stream)
        dark, light = [], []
        for _ in range(batch):
            view = np.clip(self._view(rng), 0.0, 1.0)
            params = sample_params(rng, self.levels.draw(rng))
            dark.append(quantize(expose(view, params, rng), params.encoding))
            light.append(view)
        return _to_tensor(dark), _to_tensor(light)


def resized(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W, 3) float image at (width, height): area averaging down, bilinear up."""
    import cv2

    h, w = img.shape[:2]
    if (w, h) == (width, height):
        return img
    interp = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
    return cv2.resize(img, (width, height), interpolation=interp)


def _mosaic(rng: np.random.Generator, crops: Sequence[np.ndarray]) -> np.ndarray:
    """Rows of word crops (heights 20-96 px, log-uniform) filling a 256x256 canvas, like lines of a sign."""
    canvas = np.empty((CROP, CROP, 3), dtype=np.float32)
    y = 0
    while y < CROP:
        row_h = int(np.exp(rng.uniform(np.log(20), np.log(96))))
        x = -int(rng.integers(0, 32))
        while x < CROP:
            crop = crops[int(rng.integers(0, len(crops)))].astype(np.float32)
            h, w = crop.shape[:2]
            cw = max(1, round(w * row_h / h))
            x0, x1 = max(x, 0), min(x + cw, CROP)
            if x1 <= x0:  # wholly left of the canvas (the row starts at a negative offset)
                x += cw
                continue
            piece = resized(crop, cw, row_h)
            rows = min(row_h, CROP - y)
            canvas[y:y + rows, x0:x1] = piece[:rows, x0 - x:x1 - x]
            x += cw
        y += row_h
    return canvas


class MixedPairs:
    """Several pair sources drawn with mixing weights: each step, how many pairs come from
    each source is a multinomial draw, then the pairs are shuffled together."""

    def __init__(self, sources: Sequence[tuple[PairSource, float]], seed: int = 0, rank: int = 0) -> None:
        if not sources:
            raise ValueError("at least one training source is needed")
        weights = np.array([w for _, w in sources], dtype=np.float64)
        if (weights <= 0).any() or not np.isfinite(weights).all():
            raise ValueError("mixing weights must be positive numbers")
        self.sources = [s for s, _ in sources]
        self.p = weights / weights.sum()
        self.seed, self.rank = seed, rank

    @property
    def skipped(self) -> list[str]:
        return [line for s in self.sources for line in getattr(s, "skipped", [])]

    def describe(self) -> dict:
        return {"kind": "mix", "sources": [{**s.describe(), "weight": round(float(p), 4)}
                                           for s, p in zip(self.sources, self.p)]}

    def pairs(self, step: int, batch: int, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        if len(self.sources) == 1:
            return self.sources[0].pairs(step, batch, stream)
        rng = step_rng(self.seed, self.rank, step, 1000 + stream)
        counts = rng.multinomial(batch, self.p)
        parts = [s.pairs(step, int(n), stream) for s, n in zip(self.sources, counts) if n > 0]
        order = torch.from_numpy(rng.permutation(batch))
        return torch.cat([d for d, _ in parts])[order], torch.cat([l for _, l in parts])[order]


def parse_source(spec: str) -> tuple[str, str, float]:
    """``[KIND:]PATH[@WEIGHT]`` or ``synthetic[@WEIGHT]`` -> (kind, path, weight).

    KIND is ``pairs`` (low/ and high/ used as they are), ``darken`` (well-lit
    images darkened on the fly) or absent: a folder with low/ is pairs,
    anything else is darkened.
    """
    from did_ocr.errors import DidOcrError

    body, weight = spec, 1.0
    if "@" in spec:
        body, _, w = spec.rpartition("@")
        try:
            weight = float(w)
        except ValueError:
            raise DidOcrError(f"--data {spec}: weight {w!r} is not a number; write PATH@0.3") from None
        if not weight > 0:
            raise DidOcrError(f"--data {spec}: the weight must be positive")
    if body == "synthetic":
        return "synthetic", "", weight
    kind, sep, path = body.partition(":")
    if not sep or kind not in ("pairs", "darken"):
        kind, path = ("pairs" if (Path(body) / "low").is_dir() else "darken"), body
    if not Path(path).is_dir():
        raise DidOcrError(f"--data {spec}: {path} is not a folder; give a dataset folder, a folder of "
                          "well-lit images, or 'synthetic'")
    return kind, path, weight


def build_source(specs: Sequence[str], seed: int = 0, rank: int = 0, pool: int = 384) -> PairSource:
    """The training source for ``--data`` specs (see :func:`parse_source`), one stream per source."""
    sources: list[tuple[PairSource, float]] = []
    for i, spec in enumerate(specs):
        kind, path, weight = parse_source(spec)
        sub_seed = seed if i == 0 else int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
        if kind == "synthetic":
            source: PairSource = SyntheticPairs(seed=sub_seed, rank=rank, pool=pool)
        elif kind == "pairs":
            source = DatasetPairs(path, seed=sub_seed, rank=rank)
        else:
            source = DarkenedImages(path, seed=sub_seed, rank=rank)
        sources.append((source, weight))
    return MixedPairs(sources, seed=seed, rank=rank)


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
