"""Scoring OCR output and reconstructions (SPEC section 6).

Text: words are normalized (case-folded, only letters and digits kept) so that
"OPEN," and "open" count as the same word. Word accuracy is the fraction of
ground-truth words found among the recognized words as a multiset (a word
written twice must be read twice). The character error rate is the edit
distance between the normalized texts (words joined by single spaces, in
reading order) divided by the ground truth's length.

Images: PSNR and SSIM on sRGB in [0, 1]; LPIPS only with real backbone
weights (see :mod:`did_ocr.perceptual`), otherwise ``None``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_words(text: str) -> list[str]:
    """Case-folded words with only letters and digits kept; empty words dropped."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    words = (_NON_ALNUM.sub("", w) for w in folded.split())
    return [w for w in words if w]


def normalized_text(text: str) -> str:
    return " ".join(normalize_words(text))


@dataclass(frozen=True)
class WordScore:
    found: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.found / self.total if self.total else float("nan")


def word_score(truth: str, predicted: str) -> WordScore:
    """How many ground-truth words appear among the predicted words (multiset match)."""
    want, got = Counter(normalize_words(truth)), Counter(normalize_words(predicted))
    return WordScore(found=sum(min(n, got[w]) for w, n in want.items()), total=sum(want.values()))


def exact_match(truth: str, predicted: str) -> bool:
    """For single-word crops: the normalized texts are identical (spaces ignored)."""
    return normalized_text(truth).replace(" ", "") == normalized_text(predicted).replace(" ", "")


def cer(truth: str, predicted: str) -> float:
    """Character error rate: edit distance / ground-truth length on normalized texts (can exceed 1)."""
    from rapidfuzz.distance import Levenshtein

    t, p = normalized_text(truth), normalized_text(predicted)
    if not t:
        return 0.0 if not p else 1.0
    return Levenshtein.distance(t, p) / len(t)


def psnr(reference: np.ndarray, image: np.ndarray, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB (inf for identical images)."""
    mse = float(np.mean((reference.astype(np.float64) - image.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(data_range ** 2 / mse)


def ssim(reference: np.ndarray, image: np.ndarray) -> float:
    """Structural similarity of two (H, W, 3) images in [0, 1] (scikit-image, Gaussian weights)."""
    from skimage.metrics import structural_similarity

    side = min(reference.shape[:2])
    extra = {} if side >= 11 else {"win_size": max(3, side if side % 2 else side - 1)}  # tiny crops
    return float(structural_similarity(reference, image, channel_axis=-1, data_range=1.0, gaussian_weights=True,
                                       sigma=1.5, use_sample_covariance=False, **extra))


class LpipsMetric:
    """Real LPIPS (AlexNet) when its backbone weights are present; ``available`` says whether."""

    def __init__(self, backbone: str | None = None) -> None:
        from did_ocr.perceptual import ALEXNET_FILE, lpips_available, torch_hub_checkpoint

        self.available = lpips_available(backbone)
        self.reason = "" if self.available else (
            f"LPIPS not computed: the AlexNet backbone weights ({ALEXNET_FILE}) are not at "
            f"{backbone or torch_hub_checkpoint(ALEXNET_FILE)} and cannot be downloaded here")
        self._model = None
        self._backbone = backbone

    def __call__(self, reference: np.ndarray, image: np.ndarray) -> float | None:
        if not self.available:
            return None
        import torch

        from did_ocr.perceptual import LpipsPerceptual

        if self._model is None:
            self._model = LpipsPerceptual(self._backbone)
        to_t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(2, 0, 1)[None]
        with torch.no_grad():
            return float(self._model(to_t(reference), to_t(image))[0])
