"""The read pipeline and the Python API: one code path from capture to words, EasyOCR-shaped results, annotations."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from did_ocr.capture.colorspace import linear_to_srgb, srgb_to_linear, to_uint8
from did_ocr.errors import InputError
from did_ocr.ocr import OcrLine, OcrWord
from did_ocr.reading.annotate import annotate
from did_ocr.reading.pipeline import Pipeline
from did_ocr.reading.settings import ReadSettings
from tests.helpers import render_text

ROOT = Path(__file__).resolve().parents[1]


def dark(text="CAFE", exposure=0.05):
    return srgb_to_linear(render_text(text).astype(np.float32) / 255) * exposure


@pytest.fixture(scope="module")
def gain_reader(ocr_reader):
    from did_ocr import Reader

    return Reader(enhancer="gain", device="cpu")


def test_deterministic_enhancer_runs_once_whatever_the_samples(ocr_reader):
    reading = Pipeline(ReadSettings(enhancer="gain", device="cpu").build_enhancer(), ocr_reader).read(dark(), samples=3)
    assert reading.samples == 1 and reading.timings["enhance_s"] < reading.timings["ocr_s"]
    assert "CAFE" in reading.text.upper()
    assert reading.capture.shape == reading.enhanced.shape


def test_stochastic_enhancer_reads_every_sample(ocr_reader, tiny_model_path):
    did = ReadSettings(device="cpu", model=str(tiny_model_path), quality="onestep").build_enhancer()
    pipeline = Pipeline(did, ocr_reader)
    reading = pipeline.read(dark()[:64, :96], seed=3, samples=2)
    assert reading.samples == 2 and not np.array_equal(reading.images[0], reading.images[1])


def test_ocr_package_knows_nothing_of_enhancers_or_the_pipeline():
    for path in (ROOT / "did_ocr" / "ocr").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.startswith(("did_ocr.enhancers", "did_ocr.reading"))], path


def test_importing_did_ocr_and_naming_reader_stays_light():
    code = ("import sys, did_ocr; from did_ocr import Reader, ReadResult; "
            "print(sorted(m for m in ('torch', 'easyocr', 'cv2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


def test_reader_reads_a_path_an_array_and_a_pil_image_alike(tmp_path, gain_reader):
    capture = dark("EXIT")
    srgb8 = to_uint8(linear_to_srgb(capture))
    path = tmp_path / "exit.png"
    Image.fromarray(srgb8).save(path)
    from_path = gain_reader.read(path)
    assert "EXIT" in from_path.text.upper()
    assert from_path.to_dict()["text"] == from_path.text and from_path.to_dict()["file"] == str(path)
    assert gain_reader.read(srgb8).text == from_path.text
    assert gain_reader.read(Image.open(path)).text == from_path.text
    assert gain_reader.read(path.read_bytes()).text == from_path.text
    assert set(from_path.timings) == {"load_s", "enhance_s", "ocr_s", "total_s"}
    assert from_path.enhanced.dtype == np.uint8 and from_path.enhanced.shape == srgb8.shape


def test_readtext_has_easyocr_shape(gain_reader):
    clean = render_text("OPEN\nEXIT", size=(150, 320)).astype(np.float32) / 255
    image = to_uint8(linear_to_srgb(srgb_to_linear(clean) * 0.05))
    found = gain_reader.readtext(image)
    assert [text.upper() for _, text, _ in found] == ["OPEN", "EXIT"]
    box, _, confidence = found[0]
    assert len(box) == 4 and all(len(p) == 2 for p in box) and 0 < confidence <= 1
    assert [t.upper() for t in gain_reader.readtext(image, detail=0)] == ["OPEN", "EXIT"]


def test_pil_image_exif_orientation_is_applied(tmp_path, gain_reader):
    upright = to_uint8(linear_to_srgb(dark("STOP")))
    stored = Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1)))  # rotated 90 degrees counter-clockwise
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    stored.save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    assert "STOP" in gain_reader.read(Image.open(tmp_path / "r.jpg")).text.upper()


def test_bad_api_inputs_are_one_line_errors(gain_reader):
    with pytest.raises(InputError, match="cannot read a list"):
        gain_reader.read([1, 2, 3])
    with pytest.raises(InputError, match=r"must be \(H, W\)"):
        gain_reader.read(np.zeros((4, 4, 7), np.uint8))
    with pytest.raises(InputError, match="empty input"):
        gain_reader.read(b"")
    with pytest.raises(InputError, match="not an image file"):
        gain_reader.read(b"certainly not an image")


def test_annotation_shows_capture_and_boxes_side_by_side():
    capture = np.full((100, 200, 3), 0.01, np.float32)
    enhanced = np.full((100, 200, 3), 0.5, np.float32)
    box = [[20.0, 40.0], [120.0, 40.0], [120.0, 80.0], [20.0, 80.0]]
    word = OcrWord("HELLO", 0.87, box)
    picture = annotate(capture, enhanced, [OcrLine("HELLO", 0.87, box, [word])])
    assert picture.shape[0] == 100 and picture.shape[1] > 400 and picture.dtype == np.uint8
    left, right = picture[:, :200], picture[:, -200:]
    assert left.max() < 40  # the capture as it is: still dark
    assert (right[60, 18:23] != 128).any(axis=-1).any()  # the box's left edge is drawn on the reconstruction
    assert (right[10:39] != 128).any()  # and its label above it
    bare = annotate(capture, enhanced, [])
    assert (bare[:, -200:] == 128).all()
    small = annotate(np.zeros((3000, 4000, 3), np.float32), np.zeros((3000, 4000, 3), np.float32), [], panel_side=400)
    assert small.shape[0] == 300 and small.shape[1] == 2 * 400 + 8
