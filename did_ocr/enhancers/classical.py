"""Classical baselines: what you would do to a dark photo without a learned model.

All take linear RGB float32 (H, W, 3) in [0, 1] and return display sRGB
float32 (H, W, 3) in [0, 1], like every enhancer (see :mod:`did_ocr.enhancers.base`).

* ``none``: the capture as it is (sRGB-encoded): what OCR sees without help.
* ``gain``: robust auto-exposure: scale linear light so that the 99.5th
  percentile of luminance lands at 0.9, then encode to sRGB.
* ``gamma``: adaptive gamma: normalize by the same percentile, then choose the
  power that brings the mean luminance to 0.4 (a strong lift of the shadows).
* ``he``: ``gain``, then histogram equalization of the luma channel.
* ``clahe``: ``gain``, then contrast-limited adaptive histogram equalization
  of the Lab lightness.
* ``nlm``: ``gain``, then OpenCV's non-local-means colour denoiser with a
  strength of 0.55x the estimated per-channel noise level of the brightened image
  (tuned for OCR on a separate synthetic set, seed 999: 0.25-1.0 gave 45-51-37 %).
"""

from __future__ import annotations

import numpy as np

from did_ocr.capture.colorspace import linear_to_srgb, linear_to_srgb8
from did_ocr.enhancers.base import Enhancer
from did_ocr.imaging.noise import estimate_noise_sigma

_LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def luminance(linear_rgb: np.ndarray) -> np.ndarray:
    """Relative luminance Y (Rec. 709 / sRGB primaries) of linear RGB, shape (H, W)."""
    return linear_rgb @ _LUMA


def auto_gain(linear_rgb: np.ndarray, percentile: float = 99.5, target: float = 0.9, max_gain: float = 5000.0) -> np.ndarray:
    """Linear light scaled so that the ``percentile`` of luminance maps to ``target`` (clipped to [0, 1])."""
    level = float(np.percentile(luminance(linear_rgb), percentile))
    gain = min(max_gain, target / max(level, 1e-6))
    return np.clip(linear_rgb * gain, 0.0, 1.0).astype(np.float32)


def gained_srgb_u8(linear_rgb: np.ndarray) -> np.ndarray:
    """:func:`auto_gain`, sRGB-encoded and quantized to uint8: the input of the OpenCV-based baselines."""
    return linear_to_srgb8(auto_gain(linear_rgb))


def _u8_to_float(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32) / 255.0


class NoEnhancer(Enhancer):
    """The capture as it is, sRGB-encoded: what OCR sees without help."""

    name = "none"

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        return linear_to_srgb(linear_rgb.astype(np.float32))


class GainEnhancer(Enhancer):
    """Robust auto-exposure: a global gain in linear light, then sRGB."""

    name = "gain"

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        return linear_to_srgb(auto_gain(linear_rgb))


class GammaEnhancer(Enhancer):
    """Auto gain, then the power curve that brings the mean luminance to ``target_mean``."""

    name = "gamma"

    def __init__(self, target_mean: float = 0.4) -> None:
        self.target_mean = target_mean

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        x = auto_gain(linear_rgb, target=1.0)
        mean = float(np.clip(luminance(x).mean(), 1e-4, 0.999))
        gamma = float(np.clip(np.log(self.target_mean) / np.log(mean), 0.05, 1.0))
        return np.clip(x ** gamma, 0.0, 1.0).astype(np.float32)


class HistEqEnhancer(Enhancer):
    """Auto gain, then global histogram equalization of the luma channel (colour kept)."""

    name = "he"

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        import cv2

        ycc = cv2.cvtColor(gained_srgb_u8(linear_rgb), cv2.COLOR_RGB2YCrCb)
        ycc[..., 0] = cv2.equalizeHist(ycc[..., 0])
        return _u8_to_float(cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB))


class ClaheEnhancer(Enhancer):
    """Auto gain, then contrast-limited adaptive histogram equalization of Lab lightness."""

    name = "clahe"

    def __init__(self, clip_limit: float = 2.0, tiles: int = 8) -> None:
        self.clip_limit, self.tiles = clip_limit, tiles

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        return _u8_to_float(clahe_lightness(gained_srgb_u8(linear_rgb), self.clip_limit, self.tiles))


def clahe_lightness(srgb_u8: np.ndarray, clip_limit: float = 2.0, tiles: int = 8) -> np.ndarray:
    """CLAHE of the Lab lightness of an sRGB uint8 image (colour kept): the ``clahe`` enhancer's operator,
    also applied to other enhancers' outputs by ``benchmarks/post_contrast.py``."""
    import cv2

    lab = cv2.cvtColor(srgb_u8, cv2.COLOR_RGB2LAB)
    lab[..., 0] = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles)).apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def stretch_luminance(srgb_u8: np.ndarray, low: float = 1.0, high: float = 99.5) -> np.ndarray:
    """All channels of an sRGB uint8 image scaled so that its ``low`` .. ``high`` luminance percentiles span
    0 .. 255: the contrast stretch the OCR ablations in benchmarks/ (detection_copies, recognition_variants) try."""
    import cv2

    lo, hi = np.percentile(cv2.cvtColor(srgb_u8, cv2.COLOR_RGB2GRAY), [low, high])
    return np.clip((srgb_u8.astype(np.float32) - lo) * 255.0 / max(hi - lo, 1.0), 0, 255).astype(np.uint8)


class NlmEnhancer(Enhancer):
    """Auto gain, then non-local-means colour denoising with a strength set from the estimated noise."""

    name = "nlm"

    def __init__(self, strength: float = 0.55) -> None:
        self.strength = strength

    def enhance(self, linear_rgb: np.ndarray, seed: int = 0) -> np.ndarray:
        import cv2

        img = gained_srgb_u8(linear_rgb)
        h = float(np.clip(self.strength * estimate_noise_sigma(img), 3.0, 60.0))
        denoised = cv2.fastNlMeansDenoisingColored(img, None, h, h, 7, 21)
        return _u8_to_float(denoised)
