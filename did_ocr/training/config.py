"""The configuration of a training run, declared once and without torch.

:class:`TrainConfig` is what a run is (stored in every checkpoint); the
command line (:mod:`did_ocr.cli.train`) builds its options from these fields
and their defaults, so this module must stay importable without torch:
``did-ocr train --help`` answers without loading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from did_ocr.errors import DidOcrError
from did_ocr.model.config import PRESETS, UNetConfig


@dataclass
class TrainConfig:
    """Everything that defines a training run (stored in every checkpoint)."""

    out: str
    data: list[str] = field(default_factory=lambda: ["synthetic"])  # sources, see training.pairs.parse_source
    init: str | None = None  # start from this model file's weights (fresh optimizer), e.g. the shipped model
    steps: int = 3000
    cpu_budget: float = 0.0  # stop once training steps have used this many process CPU seconds (0: no limit)
    batch: int = 64
    windows_per_pair: int = 4  # windows cut from each rendered pair (one per scale when 4)
    detail_bias: float = 0.5  # share of upper-scale windows chosen for text/edge detail (0: uniform as published)
    size: str = "S"
    lr: float = 8e-4
    warmup: int = 200
    grad_clip: float = 1.0
    ema_halflife: float = 50_000
    onestep_fraction: float = 0.5  # share of each batch at sigma_max: the one-step endpoint the default sampler uses
    recognition_weight: float = 0.0  # weight of the OCR recognizer's CTC loss on reconstructed word crops (0: off)
    recognition_quality: str = "onestep"  # how the recognition loss runs the cascade (did_ocr.enhancers.did.QUALITIES)
    recognition_engine: str = "rapidocr"  # whose recognizer(s) score the crops: rapidocr, easyocr or rapidocr,easyocr
    recognition_data: str | None = None  # word crops with their words (high/ + labels.csv), darkened on the fly
    recognition_every: int = 4  # apply the recognition loss on every N-th step (it runs whole cascades)
    recognition_crops: int = 4  # word crops per recognition step
    teacher: str | None = None  # distil: a trained model file whose denoised output the loss targets
    teacher_weight: float = 1.0  # share of the regression target that is the teacher's output (the rest: clean)
    perceptual: str = "craft"
    perceptual_weight: float = 0.5
    perceptual_fraction: float = 0.25  # share of each batch that gets the perceptual term (it is costly)
    perceptual_weights: str | None = None  # path to LPIPS AlexNet / CRAFT weights
    tail_norm: bool = True
    seed: int = 0
    checkpoint_every: int = 250
    preview_every: int = 500
    keep_every: int = 0  # also keep OUT/snapshots/model_stepN.safetensors every N steps (0: never)
    norm_fit_pairs: int = 256
    pool: int = 384  # synthetic scenes kept in memory (each lives pool / 2 steps)
    device: str = "auto"
    threads: int | None = None
    unet: dict[str, Any] = field(default_factory=dict)

    def unet_config(self) -> UNetConfig:
        if self.unet:
            return UNetConfig.from_dict(self.unet)
        if self.size not in PRESETS:
            raise DidOcrError(f"unknown model size {self.size!r}; choose one of {', '.join(PRESETS)}")
        return PRESETS[self.size]
