"""Metric functions: normalization, multiset word match, CER, PSNR and SSIM against scikit-image."""

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from did_ocr.bench.metrics import cer, exact_match, normalize_words, psnr, ssim, word_score


def test_normalization_case_folds_and_keeps_letters_and_digits():
    assert normalize_words("OPEN, 24h!  Café-Bar $12.99") == ["open", "24h", "cafebar", "1299"]
    assert normalize_words("  ... ### ") == []


def test_word_match_is_a_multiset_match():
    assert word_score("stop stop go", "STOP go").found == 2
    assert word_score("stop stop go", "stop stop go go").found == 3
    assert word_score("stop", "").found == 0 and word_score("stop", "").total == 1
    assert math.isnan(word_score("", "anything").accuracy)
    assert word_score("Exit Here", "here exit").accuracy == 1.0


def test_exact_match_for_single_words():
    assert exact_match("Hollywood", "HOLLYWOOD.")
    assert not exact_match("Hollywood", "Hollyw00d")


def test_cer():
    assert cer("abcd", "abcd") == 0.0
    assert cer("abcd", "abxd") == 0.25
    assert cer("abcd", "") == 1.0
    assert cer("", "") == 0.0 and cer("", "x") == 1.0


def test_psnr_and_ssim_agree_with_scikit_image():
    rng = np.random.default_rng(0)
    ref = rng.random((48, 64, 3))
    img = np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1)
    assert psnr(ref, img) == pytest.approx(peak_signal_noise_ratio(ref, img, data_range=1.0), rel=1e-9)
    expected = structural_similarity(ref, img, channel_axis=-1, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False)
    assert ssim(ref, img) == pytest.approx(expected, rel=1e-9)
    assert psnr(ref, ref) == float("inf") and ssim(ref, ref) == pytest.approx(1.0)
