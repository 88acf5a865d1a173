"""How noisy a capture is, and the working size at which DiD sees enough light per pixel.

Why: at night a pixel of the capture has collected a handful of
photo-electrons, and DiD's 32x32 windows then hold more noise than letter.
Reconstructing a reduced copy averages several pixels into one (2.5x the
light per pixel at 640/1024), and the letters of street signs are still
large enough there. On the real-appearance street photos (SVT validation,
1024 px, darkened by the capture simulation) DiD with this rule read 41 / 28
/ 14 words of 74 at ``dim`` / ``dark`` / ``night`` instead of 39 / 19 / 12
(docs/ocr-engines.md, "Noisy captures reconstructed smaller"). A photo that
is only dim keeps its full size: there its detail is worth more than the
noise it carries.

The noise is measured on the capture itself (no exposure metadata needed,
so it works on any file): Immerkaer's estimate of white-noise sigma (also
what sets the ``nlm`` enhancer's strength) on the luminance, relative to the
capture's bright end (its 99th percentile), so that the number says how
large the noise is next to the brightest things in the scene, whatever the
exposure.
"""

from __future__ import annotations

import math

import numpy as np

#: relative noise a working pixel may carry; a noisier capture is reduced until averaging brings it down to this
NOISE_TARGET = 0.06
#: the reduction for noise never goes below this longer side (word crops and small regions keep their size)
MIN_NOISE_SIDE = 640


def estimate_noise_sigma(img: np.ndarray) -> float:
    """Standard deviation of an image's white noise, in the image's own units (Immerkaer's fast estimator).

    The mean absolute response of a 3x3 mask that cancels smooth (up to
    quadratic) content, over every channel: robust to edges, cheap on large
    photos. An image under 3x3 pixels gives 0.
    """
    import cv2

    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    residual = cv2.filter2D(np.asarray(img, dtype=np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT)[1:-1, 1:-1]
    if residual.size == 0:
        return 0.0
    return float(math.sqrt(math.pi / 2) * np.mean(np.abs(residual)) / 6.0)


def relative_noise(linear_rgb: np.ndarray) -> float:
    """Standard deviation of the capture's pixel noise, as a fraction of its 99th-percentile luminance.

    Measured: well-lit SVT street photos 0.001-0.008; the capture
    simulation's ``dim`` level about 0.02-0.1, ``dark`` 0.05-0.2 and
    ``night`` 0.1-0.23 (SVT, 1024 px); LOL's real low-light shots 0.001-0.12
    (median 0.03). An image without light gives 0.
    """
    luma = np.asarray(linear_rgb, dtype=np.float32).mean(axis=2)
    bright = float(np.percentile(luma, 99))
    return estimate_noise_sigma(luma / bright) if bright > 0.0 else 0.0


def noise_side(longer_side: int, noise: float, target: float = NOISE_TARGET, min_side: int = MIN_NOISE_SIDE) -> int:
    """The longer side at which a capture of ``longer_side`` pixels with relative ``noise`` is worth reconstructing.

    Averaging an image down by a factor f (f x f pixels into one) divides
    white noise by f, so the side that brings ``noise`` to ``target`` is
    ``longer_side * target / noise``; never below ``min_side`` (nor above the
    image's own size).
    """
    if noise <= target or longer_side <= min_side:
        return longer_side
    return max(min_side, round(longer_side * target / noise))
