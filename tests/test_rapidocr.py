"""RapidOCR as did-ocr runs it: the wheel's own models on our own PP-OCR runner, offline, tight crops, split words,
Latin characters only; the same words as RapidOCR's own pipeline, without importing it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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


def test_a_missing_model_file_is_one_clear_error(tmp_path, monkeypatch):
    from did_ocr.errors import DidOcrError

    (tmp_path / "models").mkdir()  # the package's configuration, but no model files
    (tmp_path / "config.yaml").write_text((rapid.package_folder() / "config.yaml").read_text(encoding="utf-8"))
    monkeypatch.setattr(rapid, "package_folder", lambda: tmp_path)
    with pytest.raises(DidOcrError, match="det model is not in its installed package, and did-ocr never downloads"):
        rapid.package_models()


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
    keep = rapid_reader._rec.mask
    characters = rapid_reader._rec.characters
    assert characters[0] == "blank" and characters[-1] == " "  # CTC's blank first, the space last
    kept = {c for c, k in zip(characters, keep) if k} - {"blank", " "}
    assert kept <= rapid.LATIN and set("AZaz09!?.-") <= kept
    assert not any("\u4e00" <= c <= "\u9fff" for c in kept)
    everything = rapid.RapidOcr("cpu", charset="all")._rec
    assert everything.mask is None and any("\u4e00" <= c <= "\u9fff" for c in everything.characters)


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


ROOT = Path(__file__).resolve().parents[1]


def test_reading_imports_nothing_of_the_rapidocr_package():
    # in a fresh interpreter: other tests import rapidocr (to compare with it)
    code = ("import sys\n"
            "from did_ocr.ocr.registry import describe_engine\n"
            "from did_ocr.ocr.rapid import RapidOcr\n"
            "from tests.helpers import render_text\n"
            "words = RapidOcr('cpu').read_words(render_text('OPEN 24 HOURS', size=(96, 520)))\n"
            "describe_engine('rapidocr')\n"
            "print([w.text for w in words])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rapidocr', 'omegaconf', 'shapely')))\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["['OPEN', '24', 'HOURS']", "[]"]


def test_reads_what_rapidocrs_own_pipeline_reads():
    from rapidocr import RapidOCR

    from did_ocr.ocr.ppocr import crop_line

    img = render_text("OPEN 24 HOURS\nNO PARKING\nEXIT", size=(768, 1024), font_size=56)
    bgr = np.ascontiguousarray(img[..., ::-1])
    engine = rapid.RapidOcr("cpu", charset="all", threads=1)  # RapidOCR masks no character ...
    engine._rec.space_recovery = None  # ... and decodes greedily
    assert rapid.detector_scale(768, 1024, 1280) == 1.0  # the detector sees the image as it is, as RapidOCR's does
    ort = "EngineConfig.onnxruntime"
    theirs = RapidOCR(params={
        "Global.log_level": "critical", "Global.use_cls": False, "Global.return_word_box": True,
        "Det.model_path": str(engine.models["Det"]), "Rec.model_path": str(engine.models["Rec"]),
        "Det.limit_type": "max", "Det.limit_side_len": 1 << 30,  # as rapid.py sized it: only rounded to /32
        f"{ort}.intra_op_num_threads": 1, f"{ort}.inter_op_num_threads": 1})(bgr)
    assert len(theirs.txts) == 3

    quads = engine.detect(bgr)
    read = engine._rec([crop_line(bgr, q).pixels for q in quads])
    kept = [bool(line.text.strip()) and line.confidence >= rapid.MIN_CONFIDENCE for line in read]
    assert np.array_equal(quads[kept], theirs.boxes)  # the same lines, to the pixel ...
    assert [line.text for line, k in zip(read, kept) if k] == list(theirs.txts)  # ... read the same ...
    assert [line.confidence for line, k in zip(read, kept) if k] == list(theirs.scores)  # ... as sure (5 decimals)

    words = engine.read_words(img)
    assert [w.text for w in words] == [word for text in theirs.txts for word in text.split()]
    # words of a line of several are boxed where RapidOCR boxed them (a line of one keeps its quadrilateral)
    theirs_split = [(text, box) for line in theirs.word_results if len(line) > 1 for text, _, box in line]
    ours_split = [w for w in words if w.text in {text for text, _ in theirs_split}]
    assert [w.text for w in ours_split] == [t for t, _ in theirs_split] == ["OPEN", "24", "HOURS", "NO", "PARKING"]
    for word, (_, box) in zip(ours_split, theirs_split):
        corners = np.asarray(box, float)
        hull = [[corners[:, 0].min(), corners[:, 1].min()], [corners[:, 0].max(), corners[:, 1].max()]]
        assert np.abs(np.array([word.box[0], word.box[2]]) - hull).max() <= 3, (word, box)


def test_spaces_the_greedy_path_leaves_out_are_recovered():
    from did_ocr.ocr.ppocr import TextRecognizer

    class Session:
        def get_modelmeta(self):
            return type("Meta", (), {"custom_metadata_map": {"character": "A\nB"}})()

    blank, a, b, space = np.eye(4)
    # "A", a blank step where the space scores 0.3, "B": greedy CTC reads "AB"
    probs = np.array([a, blank, 0.7 * blank + 0.3 * space, blank, b * 0.9 + blank * 0.1])
    greedy = TextRecognizer(Session(), space_recovery=None)._decode(probs, step_width=4.0)
    recovered = TextRecognizer(Session(), space_recovery=0.05)._decode(probs, step_width=4.0)
    assert greedy.text == "AB" and recovered.text == "A B"
    assert recovered.steps == (0, 2, 4) and recovered.probs == (1.0, 0.3, 0.9)
    assert recovered.confidence == greedy.confidence == 0.95  # the line's score stays the greedy path's
    assert TextRecognizer(Session(), space_recovery=0.5)._decode(probs, step_width=4.0).text == "AB"


def test_spaces_are_recovered_in_detected_lines_not_in_word_crops(rapid_reader, monkeypatch):
    asked = []
    recognize = rapid_reader._rec.__call__

    def spy(crops, recover_spaces=True):
        asked.append(recover_spaces)
        return recognize(crops, recover_spaces)

    monkeypatch.setattr(rapid_reader, "_rec", spy)
    assert [w.text for w in rapid_reader.read_words(render_text("PARKING", size=(40, 190), font_size=30))] == ["PARKING"]
    assert [w.text for w in rapid_reader.read_words(render_text("OPEN 24 HOURS\nEXIT", size=(400, 600)))] == [
        "OPEN", "24", "HOURS", "EXIT"]
    assert asked == [False, True]  # the crop read whole is decoded greedily; the page's lines recover spaces


def test_words_are_placed_where_their_letters_were_read():
    from did_ocr.ocr.ppocr import LineReading

    # letters 4 time steps apart (the pitch), a step 8 px wide: each letter 32 px wide, centred on its step
    line = LineReading("AB CD", 0.78, probs=(0.9, 0.8, 1.0, 0.7, 0.6), steps=(2, 6, 10, 14, 18), step_width=8.0)
    (a, conf_a, a0, a1), (c, conf_c, c0, c1) = line.words(crop_width=200)
    assert (a, c) == ("AB", "CD")
    assert (a0, a1, c0, c1) == (4.0, 68.0, 100.0, 164.0)
    assert (conf_a, conf_c) == (0.85, 0.65)  # each word's own letters
    # no word of two letters: a letter is the crop's width / the letters (50 px); overlapping words meet half-way
    close = LineReading("A B", 0.9, probs=(0.9, 1.0, 0.9), steps=(2, 4, 5), step_width=8.0)
    (_, _, a0, a1), (_, _, b0, b1) = close.words(crop_width=150)
    assert (a0, a1, b0, b1) == (0.0, 32.0, 32.0, 69.0)


def test_crop_columns_map_back_onto_the_line():
    from did_ocr.ocr.ppocr import crop_line

    img = np.zeros((200, 300, 3), np.uint8)
    flat = crop_line(img, np.array([[10, 20], [110, 20], [110, 40], [10, 40]], np.float32))
    assert not flat.turned and flat.pixels.shape[:2] == (20, 100)
    assert np.allclose(flat.to_image(25, 50), [[35, 20], [60, 20], [60, 40], [35, 40]], atol=1e-3)
    upright = crop_line(img, np.array([[10, 10], [30, 10], [30, 110], [10, 110]], np.float32))
    assert upright.turned and upright.pixels.shape[:2] == (20, 100)  # read top to bottom as left to right
    assert np.allclose(upright.to_image(0, 50), [[10, 10], [30, 10], [30, 60], [10, 60]], atol=1e-3)
