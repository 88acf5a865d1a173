"""``did-ocr read`` and ``did-ocr enhance`` through click's CliRunner: output formats, file naming, bad inputs."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from did_ocr.capture.colorspace import linear_to_srgb
from did_ocr.cli.common import output_names
from did_ocr.cli.main import cli
from did_ocr.device import no_cuda_here
from did_ocr.enhancers.catalog import DEFAULT_ENHANCER
from tests.helpers import render_text


def write_dark_capture(path, text="EXIT", exposure=1 / 50, seed=0):
    """A rendered word darkened physically (linear light scaled down, Poisson shot noise), saved as 8-bit sRGB."""
    from did_ocr.capture.colorspace import srgb_to_linear, to_uint8

    linear = srgb_to_linear(render_text(text).astype(np.float32) / 255) * exposure
    photons = 20_000.0  # at full scale; about 400 at the white of this capture
    noisy = np.random.default_rng(seed).poisson(linear * photons) / photons
    Image.fromarray(to_uint8(linear_to_srgb(np.clip(noisy, 0, 1).astype(np.float32)))).save(path)
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def error_lines(result):
    return [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]


def test_read_json_structure_keeps_input_order_with_errors(tmp_path, ocr_reader):
    good = write_dark_capture(tmp_path / "sign.png")
    missing = tmp_path / "missing.png"
    result = run("read", missing, good, "-e", "gain", "--json")
    assert result.exit_code == 2 and "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert [d["file"] for d in data] == [str(missing), str(good)]
    failed, ok = data
    assert set(failed) == {"file", "enhancer", "ocr", "error"} and "no such file" in failed["error"]
    assert failed["ocr"] == ok["ocr"] == "rapidocr"
    assert ok["enhancer"] == "gain" and "error" not in ok
    assert set(ok["timings"]) >= {"load_s", "enhance_s", "ocr_s", "total_s"}
    assert all(v >= 0 for v in ok["timings"].values())
    assert ok["lines"] and ok["text"] == "\n".join(line["text"] for line in ok["lines"])
    for line in ok["lines"]:
        assert set(line) == {"text", "confidence", "box"} and 0 <= line["confidence"] <= 1
        assert len(line["box"]) == 4 and all(len(point) == 2 for point in line["box"])
    assert "EXIT" in ok["text"].upper()
    assert error_lines(result) == [f"error: {missing}: no such file; check the path"]


def test_read_text_has_headers_only_for_several_files(tmp_path, ocr_reader):
    a = write_dark_capture(tmp_path / "a.png", "OPEN")
    b = write_dark_capture(tmp_path / "b.png", "EXIT", seed=1)
    single = run("read", a, "-e", "gain")
    assert single.exit_code == 0 and single.stdout.strip().upper() == "OPEN"
    several = run("read", a, b, "-e", "gain")
    assert several.exit_code == 0
    assert several.stdout.upper().split() == ["==>", str(a).upper(), "<==", "OPEN", "==>", str(b).upper(), "<==", "EXIT"]


def test_one_good_and_one_bad_file(tmp_path, ocr_reader):
    good = write_dark_capture(tmp_path / "good.png")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))  # a JPEG that stops after its first marker
    result = run("read", good, bad, "-e", "gain")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "EXIT" in result.stdout.upper()
    errors = error_lines(result)
    assert len(errors) == 1 and errors[0].startswith(f"error: {bad}: ")


def test_save_enhanced_writes_unique_pngs(tmp_path, ocr_reader):
    (tmp_path / "x").mkdir()
    a = write_dark_capture(tmp_path / "a.png")
    b = write_dark_capture(tmp_path / "x" / "a.png", seed=1)
    result = run("read", a, b, "-e", "none", "--json", "--save-enhanced", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-1.png", "a.png"]
    assert [d["enhanced"] for d in json.loads(result.stdout)] == [str(tmp_path / "out" / n) for n in ("a.png", "a-1.png")]
    assert Image.open(tmp_path / "out" / "a-1.png").size == Image.open(b).size


def test_enhance_writes_pngs_and_never_overwrites_an_input(tmp_path):
    a = write_dark_capture(tmp_path / "a.png")
    before = a.read_bytes()
    result = run("enhance", a, "-o", tmp_path, "-e", "gain")
    assert result.exit_code == 0, result.output
    assert a.read_bytes() == before
    assert result.stdout.strip() == str(tmp_path / "a-1.png")
    out = np.asarray(Image.open(tmp_path / "a-1.png"))
    assert out.shape == np.asarray(Image.open(a)).shape and out.mean() > 2 * np.asarray(Image.open(a)).mean()


def test_enhance_linear_flag_skips_srgb_decoding(tmp_path):
    Image.fromarray(np.full((8, 8, 3), 64, np.uint8)).save(tmp_path / "grey.png")
    assert run("enhance", tmp_path / "grey.png", "-o", tmp_path / "s", "-e", "none").exit_code == 0
    assert run("enhance", tmp_path / "grey.png", "-o", tmp_path / "l", "-e", "none", "--linear").exit_code == 0
    assert np.asarray(Image.open(tmp_path / "s" / "grey.png"))[0, 0, 0] == 64  # sRGB in, sRGB out
    expected = round(float(linear_to_srgb(np.array([64 / 255]))[0]) * 255)
    assert np.asarray(Image.open(tmp_path / "l" / "grey.png"))[0, 0, 0] == expected


def test_enhance_default_enhancer_and_bad_files(tmp_path):
    good = write_dark_capture(tmp_path / "good.png")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "empty.tif").write_bytes(b"")
    result = run("enhance", tmp_path / "folder.png", good, tmp_path / "empty.tif", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.png"]
    errors = error_lines(result)
    assert len(errors) == 2 and "a folder with no supported images" in errors[0] and "empty file" in errors[1]
    assert "2 of 3 inputs failed" in result.stderr
    assert DEFAULT_ENHANCER == "did"  # the shipped model


def test_a_missing_model_is_one_line(tmp_path):
    good = write_dark_capture(tmp_path / "good.png")
    missing = run("enhance", good, "-o", tmp_path / "o", "--model", tmp_path / "none.safetensors")
    assert missing.exit_code == 2 and "DiD model not found" in missing.stderr
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.output


def test_the_onnx_backend_without_an_export_is_one_line(tmp_path, tiny_model_path):
    good = write_dark_capture(tmp_path / "good.png")
    result = run("enhance", good, "-o", tmp_path / "o", "--model", tiny_model_path, "--backend", "onnx")
    assert result.exit_code == 2 and "no up-to-date ONNX export" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert run("enhance", good, "-o", tmp_path / "o", "--model", tiny_model_path, "--backend", "torch").exit_code == 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_is_one_line(tmp_path):
    good = write_dark_capture(tmp_path / "good.png")
    result = run("read", good, "-e", "gain", "--device", "cuda")
    assert result.exit_code == 2 and "no CUDA device is available" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_output_names(tmp_path):
    names = output_names(["a.png", "x/a.jpg", "x/A.tif", "b.png", "a.png"], tmp_path)
    assert {k: v.name for k, v in names.items()} == {"a.png": "a.png", "x/a.jpg": "a-1.png", "x/A.tif": "A-2.png",
                                                     "b.png": "b.png"}
    inside = tmp_path / "c.png"
    assert output_names([str(inside)], tmp_path)[str(inside)].name == "c-1.png"


def test_folder_arguments_read_sorted_images_and_r_adds_subfolders(tmp_path, ocr_reader):
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    write_dark_capture(folder / "b.png", "EXIT")
    write_dark_capture(folder / "A.PNG", "OPEN", seed=1)
    write_dark_capture(folder / "sub" / "c.png", "STOP", seed=2)
    (folder / "notes.txt").write_text("not an image")
    flat = json.loads(run("read", folder, "-e", "gain", "--json").stdout)
    assert [Path(d["file"]).name for d in flat] == ["A.PNG", "b.png"]
    deep = json.loads(run("read", folder, "-r", "-e", "gain", "--json").stdout)
    assert [Path(d["file"]).name for d in deep] == ["A.PNG", "b.png", "c.png"]
    assert "STOP" in deep[2]["text"].upper()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("read", empty, "-e", "gain")
    assert result.exit_code == 2 and error_lines(result) == [
        f"error: {empty}: a folder with no supported images; put PNG, JPEG, HEIC... files in it, "
        "or add -r to read its subfolders"]


def test_stdin_is_read_once_and_bad_stdin_is_one_line(tmp_path, ocr_reader):
    image = write_dark_capture(tmp_path / "s.png", "OPEN").read_bytes()
    result = CliRunner().invoke(cli, ["read", "-", "-e", "gain", "--json"], input=image)
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["file"] == "-"
    assert "OPEN" in json.loads(result.stdout)[0]["text"].upper()
    garbage = CliRunner().invoke(cli, ["read", "-", "-e", "gain"], input=b"not an image at all")
    assert garbage.exit_code == 2 and len(error_lines(garbage)) == 1
    assert error_lines(garbage)[0].startswith("error: -: not an image file")
    empty = CliRunner().invoke(cli, ["read", "-", "-e", "gain"], input=b"")
    assert empty.exit_code == 2 and "empty input" in error_lines(empty)[0]
    twice = run("read", "-", "-", "-e", "gain")
    assert twice.exit_code == 2 and "more than once" in twice.stderr and "Traceback" not in twice.output
    saved = CliRunner().invoke(cli, ["enhance", "-", "-o", tmp_path / "out", "-e", "gain"], input=image)
    assert saved.exit_code == 0 and (tmp_path / "out" / "stdin.png").exists()


def test_annotate_writes_capture_and_reconstruction_side_by_side(tmp_path, ocr_reader):
    good = write_dark_capture(tmp_path / "sign.png", "EXIT")
    result = run("read", good, "-e", "gain", "--annotate", tmp_path / "ann", "--save-enhanced", tmp_path / "enh", "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)[0]
    assert record["annotated"] == str(tmp_path / "ann" / "sign.png") and "save_s" in record["timings"]
    picture = np.asarray(Image.open(record["annotated"]).convert("RGB")).astype(int)
    enhanced = np.asarray(Image.open(record["enhanced"]).convert("RGB")).astype(int)
    h, w = enhanced.shape[:2]
    assert picture.shape[0] == h and picture.shape[1] > 2 * w
    assert picture[:, :w].mean() < 40 < enhanced.mean()  # the dark capture as it is, on the left
    drawn = (picture[:, -w:] != enhanced).any(axis=-1)  # what the annotation added to the reconstruction
    assert 0 < drawn.mean() < 0.5
    (x0, y0), (x1, y1) = record["lines"][0]["box"][0], record["lines"][0]["box"][2]
    assert drawn[int(y0):int(y1) + 1, int(x0) - 2:int(x0) + 3].any()  # the box's left edge
    assert not drawn[int(y0) + 6:int(y1) - 6, int(x0) + 8:int(x1) - 8].any()  # the words themselves stay visible


def test_detect_side_below_the_minimum_is_refused_before_any_work(tmp_path):
    result = run("read", tmp_path / "none.png", "--detect-side", "100")
    assert result.exit_code == 2 and "--detect-side" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("engine, present, absent", [("rapidocr", "onnxruntime", ("easyocr", "torchvision", "rapidocr")),
                                                     ("easyocr", "easyocr", ("rapidocr",))])
def test_read_imports_only_the_engine_it_uses(tmp_path, engine, present, absent):
    """RapidOCR is read by our own PP-OCR runner: only onnxruntime is imported, not the rapidocr package (~1.2 s)."""
    import subprocess
    import sys

    photo = write_dark_capture(tmp_path / "dark.png")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "did_ocr", "read", str(photo), "--json",
                           "--enhancer", "gain", "--device", "cpu", "--ocr", engine],
                          capture_output=True, text=True, env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "import time:" in line}
    assert present in imported and not set(absent) & imported
    if engine == "rapidocr" and no_cuda_here():  # gain + ONNX Runtime: nothing needs torch (~2 s to import)
        assert "torch" not in imported
    assert json.loads(done.stdout)[0]["ocr"] == engine


def test_read_with_each_engine_and_a_wrong_one(tmp_path, ocr_reader, rapid_reader):
    photo = write_dark_capture(tmp_path / "dark.png")
    texts = {}
    for engine in ("rapidocr", "easyocr"):
        result = run("read", photo, "--json", "--enhancer", "gain", "--device", "cpu", "--ocr", engine)
        assert result.exit_code == 0, result.output
        texts[engine] = json.loads(result.stdout)[0]
        assert texts[engine]["ocr"] == engine
    assert texts["rapidocr"]["text"] == texts["easyocr"]["text"] == "EXIT"
    wrong = run("read", photo, "--ocr", "tesseract")
    assert wrong.exit_code == 2 and "'tesseract' is not one of 'rapidocr', 'easyocr'" in wrong.output
