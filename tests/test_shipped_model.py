"""The model shipped inside the package loads, is the default, and really brightens a dark capture."""

import numpy as np
import pytest

from did_ocr.bench.metrics import psnr
from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.data.synth.generator import make_sample
from did_ocr.enhancers import build_enhancer
from did_ocr.enhancers.catalog import DEFAULT_ENHANCER
from did_ocr.enhancers.did import DEFAULT_MODEL
from did_ocr.model.checkpoint import read_checkpoint


def test_shipped_model_is_present_small_and_complete():
    assert DEFAULT_MODEL.is_file(), "the trained model must ship in did_ocr/weights/"
    assert DEFAULT_MODEL.stat().st_size < 20 * 2**20
    _, meta = read_checkpoint(DEFAULT_MODEL)
    # trained: its own steps, on top of the model it was initialized from (--init) if any
    assert meta["step"] > 0 and meta["patches_seen"] >= meta["step"] and meta["norm"]["enabled"]
    assert meta["step"] >= 3000 or meta["train"].get("init")
    assert DEFAULT_ENHANCER == "did"


def test_shipped_model_raises_psnr_over_none_on_a_dark_capture():
    sample = make_sample(seed=123, index=0, level="dark", size=(64, 96))
    clean = linear_to_srgb(sample.clean_linear)
    did = build_enhancer("did", device="cpu")  # the shipped model, default quality
    none = build_enhancer("none")
    gain_psnr = psnr(clean, build_enhancer("gain").enhance(sample.dark_linear))
    did_psnr = psnr(clean, did.enhance(sample.dark_linear, seed=0))
    assert did_psnr > psnr(clean, none.enhance(sample.dark_linear)) + 10
    assert did_psnr > gain_psnr  # denoising beats brightening alone
    assert np.isfinite(did_psnr)


@pytest.mark.parametrize(("engine", "example", "text"), [
    ("easyocr", "night_plate.png", "CM 048 UG"),
    # RapidOCR reads the plate after plain OCR too (since spaces are recovered); the sign it does not
    ("rapidocr", "night_sign.png", "Serviette Parking"),
])
def test_bundled_example_is_read_by_did_and_not_by_plain_ocr(engine, example, text, ocr_reader, rapid_reader):
    from pathlib import Path

    from did_ocr.capture import load_capture

    reader = {"easyocr": ocr_reader, "rapidocr": rapid_reader}[engine]
    dark = load_capture(Path(__file__).resolve().parents[1] / "examples" / example)

    def words(enhancer) -> list[str]:
        return [w.text for w in reader.read_words(enhancer.enhance(dark, seed=0))]

    from did_ocr.bench.metrics import word_score

    assert " ".join(words(build_enhancer("did", device="cpu"))).split() == text.split()
    for plain in ("none", "gain"):
        assert word_score(text, " ".join(words(build_enhancer(plain)))).found < len(text.split())
