"""The classical baselines: the enhancer contract on awkward content, and what each one is for."""

import subprocess
import sys

import numpy as np
import pytest

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.enhancers import build_enhancer
from did_ocr.enhancers.catalog import DEFAULT_ENHANCER
from did_ocr.enhancers.classical import auto_gain, luminance

CLASSICAL = ["none", "gain", "gamma", "he", "clahe", "nlm"]


def dark_text(h=48, w=96, photons=2000.0, exposure=0.01, seed=0):
    """A dark linear capture of a light card with dark strokes (Poisson shot noise; ``photons`` at white),
    and the clean card."""
    clean = np.full((h, w, 3), 0.7, np.float32)
    clean[h // 4: 3 * h // 4, w // 6: w // 6 + 4] = 0.03  # strokes 4 pixels wide
    clean[h // 4: h // 4 + 4, w // 6: 5 * w // 6] = 0.03
    clean[h // 2: h // 2 + 4, w // 2: 5 * w // 6] = 0.03
    counts = np.random.default_rng(seed).poisson(clean * photons).astype(np.float32)
    return np.clip(counts / photons * exposure, 0, 1).astype(np.float32), clean


AWKWARD = {
    "black": np.zeros((16, 24, 3), np.float32),
    "white": np.ones((16, 24, 3), np.float32),
    "hot pixel": np.pad(np.ones((1, 1, 3), np.float32), ((8, 7), (11, 12), (0, 0))),
    "one channel": np.dstack([np.full((9, 13), 0.01, np.float32), np.zeros((9, 13, 2), np.float32)]),
    "one row": dark_text(1, 37)[0],
}


@pytest.mark.parametrize("content", list(AWKWARD))
@pytest.mark.parametrize("name", CLASSICAL)
def test_contract_holds_on_awkward_content(name, content):
    img = AWKWARD[content]
    before = img.copy()
    out = build_enhancer(name).enhance(img)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    assert np.array_equal(img, before), "the input must not be modified"


@pytest.mark.parametrize("name", CLASSICAL)
def test_deterministic_across_instances_and_seeds(name):
    img, _ = dark_text()
    first = build_enhancer(name).enhance(img, seed=0)
    assert np.array_equal(first, build_enhancer(name).enhance(img, seed=123))
    assert not build_enhancer(name).stochastic


def test_gain_is_auto_exposure():
    img, _ = dark_text()
    out = build_enhancer("gain").enhance(img)
    assert np.allclose(out, linear_to_srgb(auto_gain(img)))
    assert out.mean() > 4 * build_enhancer("none").enhance(img).mean()
    # the same scene captured 10x darker comes out the same (up to clipping at the top)
    assert np.allclose(build_enhancer("gain").enhance(img / 10), out, atol=2e-3)


def test_auto_gain_maps_the_high_percentile_to_the_target():
    img, _ = dark_text()
    assert np.percentile(luminance(auto_gain(img, percentile=99, target=0.9)), 99) == pytest.approx(0.9, abs=0.01)
    assert auto_gain(np.zeros((4, 4, 3), np.float32)).max() == 0  # nothing to expose: stays black, no NaN


def test_gamma_lifts_shadows_of_a_mostly_dark_scene_more_than_gain():
    scene = np.full((32, 32, 3), 0.0005, np.float32)
    scene[:4, :4] = 0.01  # one small bright light
    shadows = (slice(8, None), slice(8, None))
    assert build_enhancer("gamma").enhance(scene)[shadows].mean() > build_enhancer("gain").enhance(scene)[shadows].mean()


def test_he_stretches_a_low_contrast_capture():
    ramp = np.linspace(0.4, 0.5, 64, dtype=np.float32)[None, :, None].repeat(32, 0).repeat(3, 2) * 0.01
    assert np.ptp(build_enhancer("he").enhance(ramp)) > 2 * np.ptp(build_enhancer("gain").enhance(ramp))


def test_clahe_brings_out_text_in_a_shadow():
    card, clean = dark_text(photons=1e6)
    shade = np.ones_like(card)
    shade[:, 48:] = 0.08  # the right half of the card lies in a shadow
    strokes, paper = clean[..., 0] < 0.1, clean[..., 0] > 0.5
    in_shadow = np.zeros_like(strokes)
    in_shadow[:, 48:] = True

    def shadow_contrast(img):
        return img[paper & in_shadow].mean() - img[strokes & in_shadow].mean()

    scene = card * shade
    assert shadow_contrast(build_enhancer("clahe").enhance(scene)) > 1.1 * shadow_contrast(build_enhancer("gain").enhance(scene))


def test_nlm_removes_shot_noise_but_keeps_the_strokes():
    dark, clean = dark_text(photons=60, seed=1)
    strokes, paper = clean[..., 0] < 0.1, clean[..., 0] > 0.5
    paper_inside = paper.copy()
    paper_inside[[0, -1], :] = paper_inside[:, [0, -1]] = False
    gained = build_enhancer("gain").enhance(dark)
    denoised = build_enhancer("nlm").enhance(dark)
    assert denoised[paper_inside].std() < 0.5 * gained[paper_inside].std()
    assert denoised[paper].mean() - denoised[strokes].mean() > 0.5  # still dark ink on light paper


def test_default_enhancer_is_a_registered_name():
    assert build_enhancer(DEFAULT_ENHANCER).name == DEFAULT_ENHANCER


def test_classical_enhancers_do_not_import_torch():
    code = ("import sys, numpy as np\nfrom did_ocr.enhancers import build_enhancer\n"
            f"for n in {CLASSICAL!r}: build_enhancer(n).enhance(np.full((8, 8, 3), 0.01, np.float32))\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
