"""Window seams: the stitched reconstruction of a real photo shows no window grid.

Windows of an upper scale are sampled independently; butted edge to edge
(the published cascade) they leave steps at every window edge (a ratio of
about 1.6 here on the shipped model). The check is the one a person makes
by eye, made numeric: the mean step across window edges relative to the
mean step elsewhere must be what it is in the clean photo, within 10 %.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.data.synth.simulate import sample_params, simulate_capture
from did_ocr.diffusion.cascade import reconstruct
from did_ocr.diffusion.windows import WINDOW, seam_ratio
from did_ocr.enhancers.did import DEFAULT_MODEL, QUALITIES
from did_ocr.enhancers.catalog import DEFAULT_QUALITY
from did_ocr.model.checkpoint import load_model


@pytest.mark.parametrize("photo", ["coffee", "astronaut"])
def test_no_window_grid_on_a_real_photo(photo: str) -> None:
    from skimage import data

    torch.set_num_threads(2)
    clean = getattr(data, photo)()
    rng = np.random.default_rng(0)
    dark = simulate_capture(clean, sample_params(rng, "dark", "srgb8"), rng)
    loaded = load_model(DEFAULT_MODEL)
    config = QUALITIES[DEFAULT_QUALITY]
    out, _ = reconstruct(loaded.model, loaded.norm, torch.from_numpy(dark).permute(2, 0, 1), config, seed=0)
    result = linear_to_srgb(out.clamp(0, 1))
    reference = torch.from_numpy(clean.astype(np.float32) / 255.0).permute(2, 0, 1)
    # the layout the cascade used, and the published butted 32x32 grid
    for overlap in {config.overlap, 0}:
        expected = seam_ratio(reference, WINDOW, overlap)
        assert seam_ratio(result, WINDOW, overlap) == pytest.approx(expected, rel=0.10), overlap


def test_overlapping_windows_stitch_back_exactly() -> None:
    from did_ocr.diffusion.windows import from_windows, grid_shape, pad_to_windows, to_windows

    x = torch.rand(2, 3, 70, 45)
    for overlap in (0, 4, 8, 16):
        padded = pad_to_windows(x, WINDOW, overlap)
        windows = to_windows(padded, WINDOW, overlap)
        nh, nw = grid_shape(70, 45, WINDOW, overlap)
        assert windows.shape == (2 * nh * nw, 3, WINDOW, WINDOW)
        back = from_windows(windows, 2, *padded.shape[-2:], WINDOW, overlap)
        torch.testing.assert_close(back[..., :70, :45], x)


def _drifting_windows(size: int = 128, window: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A flat, slightly textured (1, 3, size, size) image, and the same with a per-window colour
    offset of a few percent, cross-faded over 8 pixels (no step at any window edge)."""
    g = torch.Generator().manual_seed(seed)
    clean = torch.tensor([0.55, 0.6, 0.7]).view(1, 3, 1, 1) + 0.004 * torch.rand(1, 3, size, size, generator=g)
    n = size // window
    offsets = 0.06 * (torch.rand(1, 3, n, n, generator=g) - 0.5)
    drift = torch.nn.functional.interpolate(offsets, scale_factor=window, mode="nearest")
    drift = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(drift, (4, 4, 4, 4), mode="replicate"), 9, stride=1)
    return clean, clean + drift


def test_blotch_ratio_sees_window_drift_that_has_no_edges() -> None:
    from did_ocr.diffusion.windows import blotch_ratio

    clean, drifted = _drifting_windows()
    assert blotch_ratio(clean[0], clean[0]) == pytest.approx(1.0)
    assert blotch_ratio(drifted[0], clean[0]) > 3.0


def test_following_the_parent_scale_removes_window_drift_and_keeps_strokes() -> None:
    from did_ocr.diffusion.cascade import follow_parent
    from did_ocr.diffusion.scales import resize

    clean, drifted = _drifting_windows()
    strokes = torch.zeros_like(clean)
    strokes[..., :, 40:42] = 0.5  # a 2-pixel stroke, which the half-resolution parent holds only blurred
    parent = resize(clean + strokes, (64, 64))  # the previous scale: half the resolution, no drift
    out = follow_parent(drifted + strokes, parent, factor=4)
    drift_before = (drifted - clean).abs().mean()
    assert (out - clean - strokes)[..., 8:-8, 8:-8].abs().mean() < 0.35 * drift_before
    assert float(out[..., 20:100, 40:42].mean() - out[..., 20:100, 46:48].mean()) > 0.3
