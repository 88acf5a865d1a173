"""The multi-scale cascade: shapes at any size, batch invariance, conditions, windows."""

import pytest
import torch

from did_ocr.diffusion.cascade import CascadeConfig, harmonize, reconstruct
from did_ocr.diffusion.conditions import build_conditions, crop_windows, random_windows
from did_ocr.diffusion.scales import scale_shapes
from did_ocr.diffusion.windows import from_windows, pad_to_windows, to_windows
from tests.helpers import tiny_model, tiny_norm

FAST = CascadeConfig(steps=3, fast=True, fast_steps=2)


def dark_image(h: int, w: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed)) * 0.02


def test_scale_shapes_follow_the_published_256_setup():
    assert scale_shapes(256, 256) == [(32, 32), (64, 64), (128, 128), (256, 256)]
    assert scale_shapes(480, 640)[-1] == (480, 640)


@pytest.mark.parametrize("size", [(37, 101), (300, 200), (32, 32), (8, 9)])
def test_output_has_the_input_shape(size):
    out, stats = reconstruct(tiny_model(), tiny_norm(), dark_image(*size), FAST, seed=1)
    assert out.shape == (3, *size)
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert stats.windows >= 1 and stats.network_evaluations >= stats.windows


def test_bad_shape_is_rejected():
    with pytest.raises(ValueError):
        reconstruct(tiny_model(), tiny_norm(), torch.zeros(1, 16, 16), FAST)


def test_batched_equals_one_window_at_a_time():
    model, norm, img = tiny_model(), tiny_norm(), dark_image(70, 90, seed=3)
    cfg = CascadeConfig(steps=4, ilvr_steps=2)
    batched, _ = reconstruct(model, norm, img, cfg, seed=7)
    single, _ = reconstruct(model, norm, img, CascadeConfig(steps=4, ilvr_steps=2, chunk=1), seed=7)
    assert torch.allclose(batched, single, atol=1e-5)
    other_seed, _ = reconstruct(model, norm, img, cfg, seed=8)
    assert not torch.allclose(batched, other_seed, atol=1e-4)


def test_ablations_run_and_count_evaluations():
    model, norm, img = tiny_model(), tiny_norm(), dark_image(64, 64)
    _, full = reconstruct(model, norm, img, CascadeConfig(steps=4), seed=0)
    _, one = reconstruct(model, norm, img, CascadeConfig(one_step=True), seed=0)
    _, single = reconstruct(model, norm, img, CascadeConfig(steps=4, cascade=False), seed=0)
    # scale 0, then 3x3 windows overlapping by 8 px over 64x64 (butted: 2x2)
    assert one.network_evaluations == one.windows == 1 + 9
    _, butted = reconstruct(model, norm, img, CascadeConfig(one_step=True, overlap=0), seed=0)
    assert butted.windows == 1 + 4
    assert full.network_evaluations == full.windows * 7  # 4 Heun steps = 7 evaluations
    assert single.windows == 4  # one scale, no previous estimate: windows are butted


def test_conditions_scale_zero_repeats_the_dark_image():
    dark = torch.randn(2, 3, 256, 256)
    stack = build_conditions(dark, (32, 32))
    assert stack.shape == (2, 9, 32, 32)
    assert torch.equal(stack[:, 0:3], stack[:, 3:6]) and torch.equal(stack[:, 0:3], stack[:, 6:9])


def test_conditions_upper_scale_use_estimates_and_eta():
    dark, prev, base = torch.randn(2, 3, 256, 256), torch.randn(2, 3, 64, 64), torch.randn(2, 3, 32, 32)
    clean = build_conditions(dark, (128, 128), prev, base)
    assert clean.shape == (2, 9, 128, 128)
    noisy = build_conditions(dark, (128, 128), prev, base, eta_std=torch.tensor([0.0, 0.5]),
                             generator=torch.Generator().manual_seed(0))
    assert torch.equal(noisy[0], clean[0])  # eta 0: no noise
    assert not torch.allclose(noisy[1, 3:], clean[1, 3:])
    assert torch.equal(noisy[1, :3], clean[1, :3])  # the dark image never gets eta
    with pytest.raises(ValueError):
        build_conditions(dark, (64, 64), prev, None)


def test_the_same_window_is_cut_from_stack_and_target():
    target = torch.arange(2 * 3 * 64 * 64, dtype=torch.float32).reshape(2, 3, 64, 64)
    stack = torch.cat([target, target, target], dim=1)
    tops, lefts = random_windows(2, (64, 64), generator=torch.Generator().manual_seed(0))
    t, s = crop_windows([target, stack], tops, lefts)
    assert t.shape == (2, 3, 32, 32) and s.shape == (2, 9, 32, 32)
    assert torch.equal(s[:, 3:6], t)
    assert torch.equal(t[1], target[1, :, tops[1]:tops[1] + 32, lefts[1]:lefts[1] + 32])


def test_windows_round_trip():
    x = torch.randn(1, 5, 70, 45)
    padded = pad_to_windows(x)
    assert padded.shape[-2:] == (96, 64)
    back = from_windows(to_windows(padded), 1, 96, 64)
    assert torch.equal(back, padded) and torch.equal(back[..., :70, :45], x)


def test_harmonize_removes_window_seams_and_keeps_detail():
    torch.manual_seed(0)
    base = torch.rand(1, 3, 32, 32) * 0.2 + 0.4
    smooth = torch.nn.functional.interpolate(base, size=(128, 128), mode="bilinear", align_corners=False)
    detail = torch.full((1, 3, 128, 128), -0.05)
    detail[..., ::4, :] = 0.15  # thin zero-mean strokes, far above scale 0's resolution
    offsets = torch.rand(1, 3, 4, 4) - 0.5  # one brightness/colour drift per 32x32 window
    seams = offsets.repeat_interleave(32, -1).repeat_interleave(32, -2)
    fixed = harmonize(smooth + detail + seams, base)
    window_means = lambda x: torch.nn.functional.avg_pool2d(x, 32)  # noqa: E731
    expected = window_means(smooth)
    error = lambda x: (window_means(x) - expected).abs().max()  # noqa: E731
    assert error(fixed) < 0.15 * error(smooth + seams)  # seams mostly gone (bilinear leaves a little at the edges)
    stroke = fixed[..., 48:80, 48:80]
    assert (stroke[..., ::4, :].mean() - stroke[..., 2::4, :].mean()).item() == pytest.approx(0.2, abs=0.03)
