"""Enhancers keep shape, dtype and range; the registry; what each baseline is for."""

import numpy as np
import pytest

from did_ocr.enhancers import available_enhancers, build_enhancer
from did_ocr.enhancers.classical import auto_gain
from did_ocr.imaging.noise import estimate_noise_sigma
from did_ocr.errors import DidOcrError

CLASSICAL = ["none", "gain", "gamma", "he", "clahe", "nlm"]


def dark_noisy(h=40, w=60, seed=0):
    rng = np.random.default_rng(seed)
    clean = np.full((h, w, 3), 0.5, np.float32)
    clean[10:30, 10:50] = 0.05
    return np.clip(clean * 0.02 + rng.normal(0, 0.001, clean.shape), 0, 1).astype(np.float32)


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("shape", [(40, 60), (1, 1), (7, 301)])
def test_classical_keep_shape_dtype_range(name, shape):
    img = dark_noisy(*shape)
    out = build_enhancer(name).enhance(img)
    assert out.shape == img.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert np.array_equal(out, build_enhancer(name).enhance(img, seed=5))  # deterministic


def test_gain_brightens_to_a_readable_level():
    img = dark_noisy()
    assert build_enhancer("gain").enhance(img).mean() > 5 * build_enhancer("none").enhance(img).mean()
    assert np.percentile(auto_gain(img) @ np.array([0.2126, 0.7152, 0.0722]), 99.5) == pytest.approx(0.9, abs=0.02)


def test_nlm_reduces_noise_on_a_flat_field():
    rng = np.random.default_rng(1)
    flat = np.clip(0.01 + rng.normal(0, 0.002, (64, 64, 3)), 0, 1).astype(np.float32)
    gained = build_enhancer("gain").enhance(flat)
    denoised = build_enhancer("nlm").enhance(flat)
    assert denoised.std() < 0.5 * gained.std()


def test_noise_estimate_tracks_the_noise_level():
    rng = np.random.default_rng(2)
    base = np.full((64, 64, 3), 128.0)
    low = np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)
    high = np.clip(base + rng.normal(0, 15, base.shape), 0, 255).astype(np.uint8)
    assert estimate_noise_sigma(low) < estimate_noise_sigma(high)
    assert estimate_noise_sigma(high) == pytest.approx(15, rel=0.3)


def test_registry_lists_did_first_and_rejects_unknown_names():
    names = available_enhancers()
    assert names[0] == "did" and set(CLASSICAL) <= set(names)
    assert "did-1step" not in names  # it was `did` under a second name
    with pytest.raises(DidOcrError, match="unknown enhancer"):
        build_enhancer("magic")


def test_an_option_the_enhancer_does_not_take_is_an_error():
    with pytest.raises(DidOcrError, match="enhancer 'gain' has no option 'strength'; it takes: no options"):
        build_enhancer("gain", strength=2.0)
    with pytest.raises(DidOcrError, match="enhancer 'did' has no option 'nonorm_model'"):
        build_enhancer("did", nonorm_model="x.safetensors")
    with pytest.raises(DidOcrError, match="enhancer 'gain' has no option 'device'"):
        build_enhancer("gain", device="cpu")  # which settings reach which enhancer is ReadSettings' decision
    with pytest.raises(DidOcrError, match="enhancer 'did-full' has no option 'quality'"):
        build_enhancer("did-full", quality="fast")  # an ablation fixes its sampling
    assert build_enhancer("nlm", strength=2.0).strength == 2.0  # a baseline's own option is passed on


def test_did_enhancer_with_a_tiny_model_keeps_shape(tiny_model_path):
    did = build_enhancer("did", model=str(tiny_model_path), device="cpu", quality="fast")
    img = dark_noisy(37, 101)
    out = did.enhance(img, seed=3)
    assert out.shape == img.shape and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 1
    assert np.array_equal(out, did.enhance(img, seed=3))
    assert did.stochastic and did.describe()["quality"] == "fast"


@pytest.fixture
def reconstructed_shapes(monkeypatch):
    """The (C, H, W) of every image DiD's cascade is given from here on."""
    import did_ocr.enhancers.did as did_module

    seen = []
    reconstruct = did_module.reconstruct

    def spy(model, norm, dark, config, seed=0):
        seen.append(tuple(dark.shape))
        return reconstruct(model, norm, dark, config, seed=seed)

    monkeypatch.setattr(did_module, "reconstruct", spy)
    return seen


def test_did_caps_large_images_and_restores_the_size(tiny_model_path, reconstructed_shapes):
    did = build_enhancer("did", model=str(tiny_model_path), device="cpu", max_side=64, quality="onestep")
    img = dark_noisy(90, 200)
    assert did.enhance(img).shape == img.shape
    assert reconstructed_shapes == [(3, 29, 64)]  # worked at 29x64, not 90x200
    assert did.working_scale(img.shape) == pytest.approx(64 / 200)


def night_capture(h, w, noise, seed=0):
    """A dark capture whose pixel noise is ``noise`` x its bright end (white pixels at 0.01, text at 0.001)."""
    rng = np.random.default_rng(seed)
    clean = np.full((h, w, 3), 0.01, np.float32)
    clean[h // 4: h // 2, w // 8: w // 2] = 0.001
    return np.clip(clean + rng.normal(0, noise * 0.01, (h, w, 1)), 0, 1).astype(np.float32)


def test_relative_noise_measures_the_noise_against_the_bright_end():
    from did_ocr.imaging.noise import relative_noise

    # the same noise gray in all channels, so the luminance keeps it; the bright end is 0.01 plus ~2.3 sigma
    for noise in (0.02, 0.05, 0.15):
        assert relative_noise(night_capture(200, 300, noise)) == pytest.approx(noise / (1 + 2.33 * noise), rel=0.15)
    # exposure does not matter, only noise against signal
    img = night_capture(200, 300, 0.1)
    assert relative_noise(img * 20) == pytest.approx(relative_noise(img), rel=1e-4)
    assert relative_noise(night_capture(200, 300, 0.0)) < 0.005  # edges alone are not noise
    assert relative_noise(np.zeros((50, 50, 3), np.float32)) == 0.0


def test_noise_side_reduces_noisy_captures_down_to_a_floor():
    from did_ocr.imaging.noise import MIN_NOISE_SIDE, NOISE_TARGET, noise_side

    assert noise_side(1024, NOISE_TARGET) == 1024  # at or under the target: full size
    assert noise_side(1024, 0.08, target=0.06) == 768  # averaging 4:3 brings 0.08 to 0.06
    assert noise_side(4000, 0.12, target=0.06) == 2000
    assert noise_side(1024, 0.5) == MIN_NOISE_SIDE == 640  # never below the floor ...
    assert noise_side(300, 0.5) == 300  # ... nor above the image: crops keep their size


def test_did_reconstructs_noisy_captures_smaller(tiny_model_path, reconstructed_shapes):
    """A noisy capture over 640 px is reconstructed at 640; not with max_side 0, did-fullsize or a clean capture."""
    noisy, clean = night_capture(64, 800, 0.2), night_capture(64, 800, 0.0)
    did = build_enhancer("did", model=str(tiny_model_path), device="cpu")
    assert did.working_side(noisy) == 640 and did.working_side(clean) == 800
    assert did.enhance(noisy).shape == noisy.shape
    assert reconstructed_shapes == [(3, 51, 640)]
    assert did.working_scale(noisy.shape) == 1.0  # a reduction for noise is not one that refine undoes
    assert build_enhancer("did", model=str(tiny_model_path), device="cpu", max_side=0).working_side(noisy) == 800
    assert build_enhancer("did", model=str(tiny_model_path), device="cpu", max_side=512).working_side(clean) == 512
    fullsize = build_enhancer("did-fullsize", model=str(tiny_model_path), device="cpu")
    assert fullsize.working_side(noisy) == 800 and fullsize.describe()["noise_target"] is None


def test_did_refuses_degenerate_images_and_missing_models(tiny_model_path, tmp_path):
    from did_ocr.errors import InputError

    did = build_enhancer("did", model=str(tiny_model_path), device="cpu")
    with pytest.raises(InputError, match="too small"):
        did.enhance(dark_noisy(4, 50))
    with pytest.raises(DidOcrError, match="not found"):
        build_enhancer("did", model=str(tmp_path / "none.safetensors"))
    with pytest.raises(DidOcrError, match="no-tail-norm"):
        build_enhancer("did-nonorm", model=str(tmp_path / "none.safetensors"))
    with pytest.raises(DidOcrError, match="trained with tail normalization"):
        build_enhancer("did-nonorm", model=str(tiny_model_path), device="cpu")


def test_quality_names_seen_by_the_cli_are_the_sampler_presets():
    from did_ocr.enhancers.catalog import DEFAULT_QUALITY, QUALITY_NAMES
    from did_ocr.enhancers.did import QUALITIES

    assert tuple(QUALITIES) == QUALITY_NAMES and DEFAULT_QUALITY in QUALITIES
    assert QUALITIES["onestep"].one_step and QUALITIES["fast"].fast and not QUALITIES["full"].fast


def test_stretch_luminance_spans_the_percentiles_and_never_divides_by_zero():
    from did_ocr.enhancers.classical import stretch_luminance

    ramp = np.repeat(np.linspace(40, 90, 101, dtype=np.float32)[None, :, None], 3, axis=2).round().astype(np.uint8)
    out = stretch_luminance(ramp, 0.0, 100.0)
    assert out.dtype == np.uint8 and out.min() == 0 and out.max() == 255
    assert np.all(np.diff(out[0, :, 0].astype(int)) >= 0)  # order kept
    flat = np.full((4, 4, 3), 77, np.uint8)
    assert np.array_equal(stretch_luminance(flat), np.zeros_like(flat))  # no range: shifted to black, not divided by 0
