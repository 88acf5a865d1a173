"""RapidOCR as did-ocr runs it: the wheel's own models, offline, tight crops, split words, Latin characters only."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from did_ocr.ocr import rapid
from tests.helpers import render_text


def test_models_come_from_the_installed_package(rapid_reader):
    import rapidocr

    package = Path(rapidocr.__file__).parent.resolve()
    assert set(rapid_reader.models) == {"Det", "Rec"}
    for path in rapid_reader.models.values():
        assert path.resolve().is_relative_to(package) and path.is_file()
    described = rapid_reader.describe()
    assert described["engine"] == "rapidocr" and described["library"].startswith("rapidocr ")
    assert set(described["models"]) == {p.name for p in rapid_reader.models.values()}
    assert all(len(h) == 64 for h in described["models"].values())
    from did_ocr.ocr.registry import describe_engine

    assert describe_engine("rapidocr") == described  # what a bench protocol records, without building an engine


def test_a_fresh_engine_reads_with_networking_unavailable(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("RapidOCR tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = rapid.RapidOcr("cpu")  # not the cached one: building it must not download either
    assert [w.text for w in engine.read_words(render_text("EXIT"))] == ["EXIT"]


def test_which_images_are_read_whole_as_word_crops():
    line = lambda top, bottom: [[0, top], [50, top], [50, bottom], [0, bottom]]  # noqa: E731
    assert rapid.is_word_crop(np.zeros((0, 4, 2)), 40, 190)  # nothing found in a small image
    assert rapid.is_word_crop(np.array([line(5, 35)], float), 40, 190)  # one line filling it
    assert not rapid.is_word_crop(np.array([line(5, 45), line(55, 95)], float), 150, 320)  # two lines
    assert not rapid.is_word_crop(np.array([line(40, 60)], float), 200, 600)  # a small word in a larger image
    assert not rapid.is_word_crop(np.zeros((0, 4, 2)), 768, 1024)  # a photo with nothing found


def test_a_tight_word_crop_is_read(rapid_reader):
    crop = render_text("PARKING", size=(40, 190), font_size=30)  # the letters touch the edges
    words = rapid_reader.read_words(crop)
    assert [w.text.upper() for w in words] == ["PARKING"]


def test_a_line_comes_out_as_words_with_their_own_boxes(rapid_reader):
    words = rapid_reader.read_words(render_text("OPEN 24 HOURS", size=(96, 520)))
    assert [w.text for w in words] == ["OPEN", "24", "HOURS"]
    assert words[0].right <= words[1].left + 4 and words[1].right <= words[2].left + 4
    assert all(0 < w.confidence <= 1 for w in words)


def test_english_keeps_only_latin_letters_digits_and_punctuation(rapid_reader):
    keep = rapid_reader._rec.postprocess_op.mask
    characters = rapid_reader._rec.postprocess_op.character
    kept = {c for c, k in zip(characters, keep) if k} - {"blank", " "}
    assert kept <= rapid.LATIN and set("AZaz09!?.-") <= kept
    assert not any("\u4e00" <= c <= "\u9fff" for c in kept)
    everything = rapid.RapidOcr("cpu", charset="all")._rec.postprocess_op.character
    assert any("\u4e00" <= c <= "\u9fff" for c in everything)


def test_given_boxes_are_read_without_detection(rapid_reader):
    img = render_text("STOP", size=(96, 320))
    word, tiny = rapid_reader.recognize_boxes(img, [(0, 320, 0, 96), (5, 6, 5, 6)])
    assert word.text == "STOP" and word.box == [[0, 0], [320, 0], [320, 96], [0, 96]]
    assert tiny is None  # too small to read
    assert rapid_reader.recognize_box(np.full((96, 320, 3), 40, np.uint8), (0, 320, 0, 96)) is None


def test_nothing_is_read_on_a_blank_photo(rapid_reader):
    assert rapid_reader.read_words(np.full((600, 800, 3), 30, np.uint8)) == []


def test_detector_copy_follows_detect_side():
    assert rapid.detector_scale(480, 640, 1280) == pytest.approx(736 / 480)  # small: enlarged ...
    assert rapid.detector_scale(48, 200, 1280) == 2.0  # ... at most twice ...
    assert rapid.detector_scale(48, 800, 1280) == pytest.approx(1280 / 800)  # ... and never past the detect side
    assert rapid.detector_scale(48, 2000, 1280) == pytest.approx(1280 / 2000)
    assert rapid.detector_scale(3000, 4000, 1280) == pytest.approx(1280 / 4000)
    assert rapid.detector_scale(768, 1024, 1280) == 1.0
