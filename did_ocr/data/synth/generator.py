"""Synthetic low-light text pairs: in memory for training, on disk for benchmarks.

Each sample is rendered and captured from its own random stream,
``SeedSequence([seed, index])``, so sample ``i`` of a seed is the same whatever
else is generated, on any shard or machine (with the same fonts installed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from did_ocr.capture.colorspace import linear_to_srgb8, srgb_to_linear
from did_ocr.data.synth.render import Scene, render_scene
from did_ocr.data.levels import BENCH_LEVELS, LEVELS
from did_ocr.data.synth.simulate import CaptureParams, sample_params, simulate_capture

#: canvas sizes (height, width) used for benchmark images: wide signs and plates, square scenes.
BENCH_SIZES: tuple[tuple[int, int], ...] = ((128, 256), (160, 320), (192, 256), (256, 256))


@dataclass
class SyntheticSample:
    """A clean image, its dark capture and what it says."""

    scene: Scene
    dark_linear: np.ndarray  # float32 (H, W, 3), exactly as loading the stored file gives back
    params: CaptureParams

    @property
    def clean_linear(self) -> np.ndarray:
        return srgb_to_linear(self.scene.image.astype(np.float32) / 255.0)


def sample_rng(seed: int, index: int) -> np.random.Generator:
    """The independent random stream of sample ``index`` under ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def make_sample(seed: int, index: int, level: str, size: tuple[int, int] | None = None,
                encoding: str | None = None, kind: str | None = None) -> SyntheticSample:
    """Render and capture sample ``index``; ``size`` (h, w) defaults to one of :data:`BENCH_SIZES`."""
    rng = sample_rng(seed, index)
    h, w = size or BENCH_SIZES[rng.integers(len(BENCH_SIZES))]
    scene = render_scene(rng, h, w, kind=kind)
    params = sample_params(rng, level, encoding)
    return SyntheticSample(scene=scene, dark_linear=simulate_capture(scene.image, params, rng), params=params)


def level_schedule(n: int, levels: Sequence[str]) -> list[str]:
    """Levels for ``n`` samples, cycling so every level gets the same share."""
    unknown = [lv for lv in levels if lv not in LEVELS]
    if unknown or not levels:
        raise ValueError(f"unknown light level(s) {unknown}; choose from {', '.join(LEVELS)}")
    return [levels[i % len(levels)] for i in range(n)]


def write_dataset(out: str | Path, n: int, *, levels: Sequence[str] = BENCH_LEVELS, seed: int = 0,
                  encoding: str = "srgb8", size: tuple[int, int] | None = None,
                  indices: Iterable[int] | None = None, progress: bool = True) -> Path:
    """Write ``n`` samples in the standard layout (low/, high/, labels.csv, dataset.json).

    Dark captures are stored as 8-bit sRGB PNGs (``srgb8``) or 16-bit linear
    PNGs (``linear16``, recorded as ``low_encoding: linear`` in dataset.json);
    well-lit images as 8-bit sRGB PNGs. ``params.jsonl`` records every drawn
    physical parameter. Existing files of the same name are overwritten, so
    an interrupted run can simply be repeated.
    """
    from tqdm import tqdm

    from did_ocr.capture.save import save_linear_png16, save_srgb_png
    from did_ocr.data.dataset import LABELS_FILE, write_dataset_meta, write_labels
    from did_ocr.fileio import atomic_write_text

    root = Path(out)
    (root / "low").mkdir(parents=True, exist_ok=True)
    (root / "high").mkdir(parents=True, exist_ok=True)
    schedule = level_schedule(n, list(levels))
    rows, params_lines = [], []
    chosen = list(indices) if indices is not None else list(range(n))
    for i in tqdm(chosen, desc="synth", unit="img", disable=not progress):
        level = schedule[i % len(schedule)]
        sample = make_sample(seed, i, level, size=size, encoding=encoding)
        name = f"{level}_{i:05d}"
        if encoding == "linear16":
            save_linear_png16(root / "low" / f"{name}.png", sample.dark_linear)
        else:
            save_srgb_png(root / "low" / f"{name}.png", linear_to_srgb8(sample.dark_linear))
        save_srgb_png(root / "high" / f"{name}.png", sample.scene.image)
        rows.append({"name": name, "text": sample.scene.text, "level": level, "kind": sample.scene.kind})
        params_lines.append(json.dumps({"name": name, **sample.params.as_dict()}))
    write_labels(root / LABELS_FILE, rows, columns=("name", "text", "level", "kind"))
    atomic_write_text(root / "params.jsonl", "\n".join(params_lines) + "\n")
    write_dataset_meta(root, source="did-ocr synthetic", seed=seed, n=n, levels=list(levels), encoding=encoding,
                       low_encoding="linear" if encoding == "linear16" else "srgb", high_encoding="srgb")
    return root
