"""Physically based simulation of a dark capture from a well-lit image.

The model, per pixel and colour channel (all in linear light, [0, 1] = sensor
white at a normal exposure):

1. ``L = srgb_to_linear(clean)``: the scene radiance under good light.
2. ``x = k * w_c * L``: the exposure ratio ``k`` (1/10 ... 1/1000) scales the
   light; ``w_c`` is a white-balance drift per channel (log-normal around 1,
   sometimes a strong warm cast from sodium or tungsten street light).
3. ``e ~ Poisson(x / g)``: photo-electrons. ``g`` (the "shot gain", signal per
   electron) is drawn log-uniformly per light level; ``x / g`` at white is the
   number of electrons a white pixel collects.
4. ``y = g * e + N(0, s_r^2) + b``: read noise whose variance follows the
   heteroscedastic log-linear fit of Brooks et al. 2019 ("Unprocessing images
   for learned raw denoising"): ``ln s_r^2 = 2.18 ln g + 1.20 + N(0, 0.26^2)``,
   plus an optional residual black-level offset ``b``.
5. Clip to [0, 1] and quantize like the device that stored the file:
   ``srgb8`` (a phone: sRGB-encode, 8 bits) or ``linear16`` (a RAW-like
   file: 14-bit linear values, stored as 16-bit PNG).

The function returns the linear values that loading the stored file gives
back, so training on the array and reading the written file agree exactly.
Everything is drawn from the caller's ``numpy.random.Generator``: the same
seed gives the same bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from did_ocr.capture.colorspace import linear_to_srgb8, srgb_to_linear
from did_ocr.data.levels import LEVELS

ENCODINGS = ("srgb8", "linear16")


#: how often each level is drawn for training: weighted to where plain enhancement fails
TRAIN_LEVEL_WEIGHTS: dict[str, float] = {"dusk": 0.1, "dim": 0.2, "dark": 0.25, "night": 0.25, "extreme": 0.2}


@dataclass(frozen=True)
class CaptureParams:
    """The drawn physical parameters of one simulated capture (recorded with datasets)."""

    level: str
    exposure: float
    shot_gain: float
    read_std: float
    white_balance: tuple[float, float, float]
    black_offset: float
    encoding: str
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def sample_params(rng: np.random.Generator, level: str, encoding: str | None = None) -> CaptureParams:
    """Draw the parameters of one capture at a named light level.

    ``encoding`` is ``srgb8``, ``linear16`` or None (70 % phone, 30 % RAW-like).
    """
    if level not in LEVELS:
        raise ValueError(f"unknown light level {level!r}; choose from {', '.join(LEVELS)}")
    if encoding is not None and encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; choose from {', '.join(ENCODINGS)}")
    spec = LEVELS[level]
    gain = _log_uniform(rng, *spec.shot_gain)
    read_var = np.exp(2.18 * np.log(gain) + 1.20 + rng.normal(0.0, 0.26))
    wb = np.exp(rng.normal(0.0, 0.08, size=3))
    if rng.random() < 0.2:  # warm street light cast (sodium / tungsten)
        wb = wb * np.array([1.25, 1.0, 0.55])
    wb = wb / wb[1]
    offset = float(rng.uniform(0.0, 0.0015)) if rng.random() < 0.3 else 0.0
    enc = encoding or ("srgb8" if rng.random() < 0.7 else "linear16")
    return CaptureParams(
        level=level,
        exposure=_log_uniform(rng, *spec.exposure),
        shot_gain=gain,
        read_std=float(np.sqrt(read_var)),
        white_balance=(float(wb[0]), float(wb[1]), float(wb[2])),
        black_offset=offset,
        encoding=enc,
    )


def expose(linear: np.ndarray, params: CaptureParams, rng: np.random.Generator) -> np.ndarray:
    """Steps 2-4: the noisy sensor signal (float64, unclipped) for a linear image."""
    x = linear.astype(np.float64) * params.exposure * np.asarray(params.white_balance)
    electrons = rng.poisson(np.maximum(x, 0.0) / params.shot_gain)
    return electrons * params.shot_gain + rng.normal(0.0, params.read_std, size=x.shape) + params.black_offset


def quantize(signal: np.ndarray, encoding: str) -> np.ndarray:
    """Step 5: clip and quantize; returns the stored file's values decoded to linear float32."""
    signal = np.clip(signal, 0.0, 1.0)
    if encoding == "srgb8":
        return srgb_to_linear(linear_to_srgb8(signal).astype(np.float32) / 255.0)
    if encoding == "linear16":
        code14 = np.round(signal * 16383.0)
        return (np.round(code14 / 16383.0 * 65535.0) / 65535.0).astype(np.float32)
    raise ValueError(f"unknown encoding {encoding!r}")


def simulate_capture(clean_srgb: np.ndarray, params: CaptureParams, rng: np.random.Generator) -> np.ndarray:
    """A dark capture (linear float32, as loaded from the stored file) of a clean sRGB image.

    ``clean_srgb`` is uint8 or float in [0, 1].
    """
    srgb = clean_srgb.astype(np.float32) / 255.0 if clean_srgb.dtype == np.uint8 else clean_srgb.astype(np.float32)
    return quantize(expose(srgb_to_linear(srgb), params, rng), params.encoding)
