"""Property-based tests (hypothesis): normalization, windows, metric bounds."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from did_ocr.bench.metrics import cer, normalize_words, normalized_text, psnr, ssim, word_score
from did_ocr.diffusion.windows import from_windows, pad_to_windows, to_windows
from did_ocr.model.tail_norm import ChannelStats, TailNorm, fit_tail_norm

stats = st.tuples(st.floats(0.01, 0.9), st.floats(0.01, 0.5))


@settings(max_examples=60, deadline=None)
@given(st.lists(stats, min_size=3, max_size=3), st.lists(stats, min_size=3, max_size=3),
       arrays(np.float32, (3, 4, 5), elements=st.floats(0, 1, width=32)))
def test_tail_norm_round_trips_on_the_unit_interval(dark, light, x):
    norm = TailNorm(ChannelStats(*zip(*dark)), ChannelStats(*zip(*light)))
    t = torch.from_numpy(x)
    for which in ("dark", "light"):
        back = norm.denormalize(norm.normalize(t, which), which)
        assert torch.allclose(back, t, atol=1e-4)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, (2, 3, 16, 16), elements=st.floats(0, 1, width=32)), st.floats(0.0, 1e-3))
def test_fitted_statistics_normalize_right_tailed_data(x, scale):
    dark = torch.from_numpy(x) ** 6 * scale  # right-tailed, possibly all zeros
    norm = fit_tail_norm([dark], [torch.from_numpy(x)])
    y = norm.normalize(dark, "dark")
    assert torch.isfinite(y).all()
    assert torch.allclose(norm.denormalize(y, "dark"), dark.clamp(0, 1), atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 100), st.integers(1, 100))
def test_windows_cut_and_stitch_back(b, c, h, w):
    x = torch.randn(b, c, h, w)
    padded = pad_to_windows(x)
    ph, pw = padded.shape[-2:]
    assert ph % 32 == 0 and pw % 32 == 0 and ph - h < 32 and pw - w < 32
    windows = to_windows(padded)
    assert windows.shape == (b * (ph // 32) * (pw // 32), c, 32, 32)
    back = from_windows(windows, b, ph, pw)
    assert torch.equal(back[..., :h, :w], x)


words = st.lists(st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=8), max_size=6).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_text_metric_bounds(truth, predicted):
    score = word_score(truth, predicted)
    assert 0 <= score.found <= score.total == len(normalize_words(truth))
    assert word_score(truth, truth).found == score.total
    t, p = normalized_text(truth), normalized_text(predicted)
    assert cer(truth, truth) == 0 and (cer(truth, predicted) == 0) == (t == p)
    if t:  # an edit distance never exceeds the longer text
        assert cer(truth, predicted) <= max(len(t), len(p)) / len(t)
    if normalize_words(truth):
        assert cer(truth, "") == 1.0


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (12, 14, 3), elements=st.floats(0, 1)), arrays(np.float64, (12, 14, 3), elements=st.floats(0, 1)))
def test_image_metric_bounds(a, b):
    assert psnr(a, b) >= 0  # images in [0, 1] differ by at most the data range
    assert psnr(a, a + 0.1) == pytest.approx(20.0)  # a uniform error d gives -20 log10(d) dB
    if not np.array_equal(a, b):  # twice the error everywhere: 4x the MSE, 20 log10(2) = 6.02 dB less
        assert psnr(a, a + 2 * (b - a)) == pytest.approx(psnr(a, b) - 20 * np.log10(2), abs=1e-6)
    assert psnr(a, a) == float("inf")
    s = ssim(a, b)
    assert -1 <= s <= 1 + 1e-9
