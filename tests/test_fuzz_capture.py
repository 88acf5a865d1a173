"""Fuzzing the capture loader: mutated and random bytes must load cleanly or raise InputError.

The default run is short; a long run (the README records one):

    DID_OCR_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz_capture.py -q
"""

import io
import os

import numpy as np
import tifffile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from did_ocr.capture import load_capture
from did_ocr.errors import InputError

EXAMPLES = int(os.environ.get("DID_OCR_FUZZ_EXAMPLES", "150"))


def _seeds() -> dict[str, bytes]:
    img = (np.random.default_rng(0).random((12, 17, 3)) * 255).astype(np.uint8)
    out = {}
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("BMP", "bmp"), ("WEBP", "webp"), ("TIFF", "tif")):
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format=fmt)
        out[ext] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(img).convert("P").save(buf, format="PNG")
    out["png_palette"] = buf.getvalue()
    buf = io.BytesIO()
    tifffile.imwrite(buf, (img.astype(np.float32) / 255))
    out["tif_float"] = buf.getvalue()
    buf = io.BytesIO()
    tifffile.imwrite(buf, img.astype(np.uint16) * 257)
    out["tif16"] = buf.getvalue()
    return out


SEEDS = _seeds()
EXTENSIONS = {"png": ".png", "jpg": ".jpg", "bmp": ".bmp", "webp": ".webp", "tif": ".tif", "png_palette": ".png",
              "tif_float": ".tif", "tif16": ".tif"}


@st.composite
def mutated(draw):
    kind = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[kind])
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "zero_run"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "cut":
            data = data[:pos]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "zero_run":
            data[pos:pos + draw(st.integers(1, 32))] = b"\x00" * 8
    ext = draw(st.sampled_from([EXTENSIONS[kind], ".png", ".jpg", ".tif", ".webp", ".dng"]))
    return bytes(data), ext


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated(), st.tuples(st.binary(max_size=300), st.sampled_from([".png", ".jpg", ".tif", ".bmp", ".arw"]))))
def test_loader_never_crashes(tmp_path, case):
    data, ext = case
    path = tmp_path / f"fuzz{ext}"
    path.write_bytes(data)
    try:
        img = load_capture(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    assert img.dtype == np.float32 and img.ndim == 3 and img.shape[2] == 3
    assert np.isfinite(img).all() and img.min() >= 0 and img.max() <= 1
