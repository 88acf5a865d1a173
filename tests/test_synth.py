"""The synthetic generator: reproducible bytes, the noise model on flat fields, truthful labels."""

import numpy as np
import pytest

from did_ocr.data.synth.generator import make_sample, write_dataset
from did_ocr.data.synth.render import SCENE_KINDS, render_scene
from did_ocr.data.levels import LEVELS
from did_ocr.data.synth.simulate import CaptureParams, expose, quantize, sample_params, simulate_capture


def test_same_seed_same_bytes(tmp_path):
    write_dataset(tmp_path / "a", 6, seed=11, progress=False)
    write_dataset(tmp_path / "b", 6, seed=11, progress=False)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 6 * 2 + 3
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    write_dataset(tmp_path / "c", 6, seed=12, progress=False)
    assert (tmp_path / "c" / "low" / "dim_00000.png").read_bytes() != (tmp_path / "a" / "low" / "dim_00000.png").read_bytes()


def test_sample_does_not_depend_on_other_samples():
    a = make_sample(3, 5, "dark")
    b = make_sample(3, 5, "dark")
    assert np.array_equal(a.dark_linear, b.dark_linear) and a.scene.text == b.scene.text


@pytest.mark.parametrize("level", list(LEVELS))
def test_flat_field_mean_and_variance_match_the_noise_model(level):
    rng = np.random.default_rng(0)
    p = sample_params(rng, level)
    params = CaptureParams(level, p.exposure, p.shot_gain, p.read_std, (1.0, 1.0, 1.0), 0.0005, "linear16")
    flat = np.full((256, 256, 3), 0.5)
    signal = expose(flat, params, rng)
    expected_mean = 0.5 * params.exposure + params.black_offset
    expected_var = params.shot_gain * 0.5 * params.exposure + params.read_std ** 2
    assert signal.mean() == pytest.approx(expected_mean, rel=0.02)
    assert signal.var() == pytest.approx(expected_var, rel=0.05)


def test_darker_levels_are_darker_and_noisier():
    clean = np.full((64, 64, 3), 200, np.uint8)
    snr = []
    for i, level in enumerate(["dim", "dark", "night", "extreme"]):
        rng = np.random.default_rng(i)
        d = simulate_capture(clean, sample_params(rng, level, "linear16"), rng)
        snr.append(d.mean() / d.std())
    assert snr == sorted(snr, reverse=True)


def test_quantization_matches_the_stored_file(tmp_path):
    from did_ocr.capture import load_capture
    from did_ocr.capture.colorspace import linear_to_srgb
    from did_ocr.capture.save import save_linear_png16, save_srgb_png

    x = np.random.default_rng(1).random((16, 16, 3)) * 0.05
    q16 = quantize(x, "linear16")
    save_linear_png16(tmp_path / "l.png", q16)
    assert np.allclose(load_capture(tmp_path / "l.png", linear=True), q16, atol=1e-7)
    q8 = quantize(x, "srgb8")
    save_srgb_png(tmp_path / "s.png", linear_to_srgb(q8))
    assert np.allclose(load_capture(tmp_path / "s.png"), q8, atol=1e-6)


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_every_scene_kind_renders_words(kind):
    scene = render_scene(np.random.default_rng(3), 128, 256, kind=kind)
    assert scene.image.shape == (128, 256, 3) and scene.image.dtype == np.uint8
    assert scene.text.strip() and scene.kind == kind


def test_labels_match_the_rendered_words(ocr_reader):
    """OCR on the clean renders finds (almost) every labelled word: the labels tell the truth."""
    from did_ocr.bench.metrics import word_score

    found = total = 0
    for i, kind in enumerate(["sign", "plate", "label", "shopfront"]):
        scene = render_scene(np.random.default_rng(100 + i), 128, 256, kind=kind)
        score = word_score(scene.text, " ".join(w.text for w in ocr_reader.read_words(scene.image)))
        found, total = found + score.found, total + score.total
    assert found / total >= 0.75
