"""Hostile inputs through every command: one clear line each, non-zero exit, never a traceback,
and the other inputs of the same call still processed."""

import io
import shutil
import struct
import zlib

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from did_ocr.cli.main import cli

RNG = np.random.default_rng(0)
GOOD = np.clip(np.mgrid[0:48, 0:96][1] * 2 + 20, 0, 255).astype(np.uint8)[..., None].repeat(3, axis=2)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bytes(fmt: str, img=GOOD) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt)
    return buf.getvalue()


def hostile_files(folder):
    """name -> whether it should load (True) or give an error line (False)."""
    folder.mkdir(parents=True, exist_ok=True)
    png, jpg = _bytes("PNG"), _bytes("JPEG")
    (folder / "empty.png").write_bytes(b"")
    (folder / "truncated.png").write_bytes(png[: len(png) // 2])
    (folder / "cut.jpg").write_bytes(jpg[: len(jpg) // 2])
    (folder / "text.png").write_text("hello, I am text\n")
    (folder / "dir.png").mkdir()
    Image.fromarray(GOOD[:1, :1]).save(folder / "one.png")
    tifffile.imwrite(folder / "zero.tif", np.zeros((0, 4, 3), np.uint8))
    ihdr = struct.pack(">IIBBBBB", 200_000, 200_000, 8, 2, 0, 0, 0)
    (folder / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
                                      + _chunk(b"IDAT", zlib.compress(b"\x00" * 32)) + _chunk(b"IEND", b""))
    tifffile.imwrite(folder / "sixteen.tif", (GOOD.astype(np.uint16) * 257))
    nan = (GOOD / 255).astype(np.float32)
    nan[0, 0, 0] = np.nan
    tifffile.imwrite(folder / "nan.tif", nan)
    inf = (GOOD / 255).astype(np.float32)
    inf[1, 1, 1] = np.inf
    tifffile.imwrite(folder / "inf.tif", inf)
    Image.fromarray(GOOD).convert("P").save(folder / "palette.png")
    Image.fromarray(GOOD).convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(GOOD).save(folder / "nuit_été_夜.png")
    return {"empty.png": False, "truncated.png": False, "cut.jpg": False, "text.png": False, "dir.png": False,
            "one.png": True, "zero.tif": False, "bomb.png": False, "sixteen.tif": True, "nan.tif": False,
            "inf.tif": False, "palette.png": True, "cmyk.jpg": True, "nuit_été_夜.png": True}


def check_one_line_per_failure(result, expected, folder):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    for name, ok in expected.items():
        mentioned = [ln for ln in errors if name in ln]
        assert (len(mentioned) == 0) if ok else (len(mentioned) == 1), (name, errors)


def test_read_survives_hostile_files(tmp_path, ocr_reader):
    expected = hostile_files(tmp_path / "in")
    paths = [str(tmp_path / "in" / n) for n in expected]
    result = CliRunner().invoke(cli, ["read", *paths, "--enhancer", "gain", "--json"])
    check_one_line_per_failure(result, expected, tmp_path / "in")
    import json

    files = {d["file"] for d in json.loads(result.stdout) if "lines" in d}
    assert files == {p for p, ok in zip(paths, expected.values()) if ok}


def test_enhance_survives_hostile_files(tmp_path):
    expected = hostile_files(tmp_path / "in")
    paths = [str(tmp_path / "in" / n) for n in expected]
    result = CliRunner().invoke(cli, ["enhance", *paths, "-o", str(tmp_path / "out"), "-e", "nlm"])
    check_one_line_per_failure(result, expected, tmp_path / "in")
    assert len(list((tmp_path / "out").iterdir())) == sum(expected.values())


def test_did_on_a_one_pixel_image_is_a_clear_error(tmp_path, tiny_model_path):
    Image.fromarray(GOOD[:1, :1]).save(tmp_path / "one.png")
    Image.fromarray(GOOD).save(tmp_path / "ok.png")
    result = CliRunner().invoke(cli, ["enhance", str(tmp_path / "one.png"), str(tmp_path / "ok.png"), "-o",
                                      str(tmp_path / "o"), "--model", str(tiny_model_path), "--quality", "fast"])
    assert result.exit_code == 2 and "too small" in result.stderr and (tmp_path / "o" / "ok.png").exists()


def dataset_with_hostile_lows(root):
    expected = hostile_files(root / "low")
    shutil.rmtree(root / "low" / "dir.png")
    del expected["dir.png"]
    (root / "high").mkdir()
    big = np.clip(RNG.random((300, 300, 3)) * 255, 0, 255).astype(np.uint8)
    Image.fromarray(big).save(root / "low" / "real.png")
    expected["real.png"] = True
    for name in expected:
        stem = name.rsplit(".", 1)[0]
        Image.fromarray(big).save(root / "high" / f"{stem}.png")
    (root / "labels.csv").write_text("name,text\n" + "".join(f"{n.rsplit('.', 1)[0]},WORD\n" for n in expected),
                                     encoding="utf-8")
    return expected


def test_bench_survives_hostile_files(tmp_path, ocr_reader):
    expected = dataset_with_hostile_lows(tmp_path / "ds")
    result = CliRunner().invoke(cli, ["bench", "--dataset", str(tmp_path / "ds"), "--enhancers", "gain",
                                      "--out", str(tmp_path / "out"), "--grid-images", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == sum(not ok for ok in expected.values())
    assert (tmp_path / "out" / "summary.csv").exists()


def test_train_skips_hostile_pairs_and_still_trains(tmp_path):
    expected = dataset_with_hostile_lows(tmp_path / "ds")
    result = CliRunner().invoke(cli, ["train", "--data", str(tmp_path / "ds"), "--out", str(tmp_path / "run"),
                                      "--steps", "1", "--batch", "4", "--perceptual", "none", "--preview-every", "0",
                                      "--norm-pairs", "4", "--threads", "1", "--device", "cpu"])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    # the readable small images differ in size from their 300x300 partners: skipped too; only real.png trains
    assert len(errors) == len(expected) - 1 and all("(pair skipped)" in ln for ln in errors)
    assert (tmp_path / "run" / "model.safetensors").exists()
    # and its export for ONNX Runtime, up to date: read runs the trained model without torch
    from did_ocr.model.onnx_model import load_onnx_model

    assert load_onnx_model(tmp_path / "run" / "model.safetensors") is not None


def test_train_with_a_corrupt_checkpoint_names_the_file(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.safetensors").write_bytes(b"\x00" * 100)
    result = CliRunner().invoke(cli, ["train", "--out", str(run), "--steps", "2", "--resume", "--device", "cpu"])
    assert result.exit_code == 2 and "checkpoint.safetensors" in result.stderr and "Traceback" not in result.output


def test_missing_dataset_and_model_are_one_line(tmp_path):
    for args in (["bench", "--dataset", str(tmp_path / "nope")], ["train", "--data", str(tmp_path / "nope"), "--out", str(tmp_path)],
                 ["read", str(tmp_path / "x.png"), "--model", str(tmp_path / "none.safetensors")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2 and result.stderr.count("\n") <= 2 and "Traceback" not in result.output, args


def phone_files(folder):
    """HEIC and AVIF files, good and broken: name -> whether it should load."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    folder.mkdir(parents=True, exist_ok=True)
    heic, avif = _bytes("HEIF"), _bytes("AVIF")
    (folder / "phone.heic").write_bytes(heic)
    (folder / "phone.avif").write_bytes(avif)
    (folder / "cut.heic").write_bytes(heic[: len(heic) // 2])
    (folder / "cut.avif").write_bytes(avif[: len(avif) // 2])
    (folder / "boxonly.heic").write_bytes(heic[:32])
    (folder / "empty.avif").write_bytes(b"")
    (folder / "jpeg-named.heic").write_bytes(_bytes("JPEG"))  # a wrong extension is not an error
    return {"phone.heic": True, "phone.avif": True, "cut.heic": False, "cut.avif": False, "boxonly.heic": False,
            "empty.avif": False, "jpeg-named.heic": True}


def test_read_survives_a_hostile_folder_with_phone_formats(tmp_path, ocr_reader):
    import json

    folder = tmp_path / "in"
    expected = {**hostile_files(folder), **phone_files(folder)}
    del expected["dir.png"]  # a subfolder: not an input without -r, and empty with it
    result = CliRunner().invoke(cli, ["read", str(folder), "-r", "--enhancer", "gain", "--json"])
    check_one_line_per_failure(result, expected, folder)
    assert "dir.png" not in result.stderr
    read = [d["file"] for d in json.loads(result.stdout) if "lines" in d]
    assert read == sorted(str(folder / n) for n, ok in expected.items() if ok)


@pytest.mark.parametrize("name", ["cut.heic", "truncated.png", "text.png", "bomb.png", "nan.tif"])
def test_read_survives_hostile_standard_input(tmp_path, ocr_reader, name):
    files = {**hostile_files(tmp_path / "in"), **phone_files(tmp_path / "in")}
    assert not files[name]
    result = CliRunner().invoke(cli, ["read", "-", "--enhancer", "gain"], input=(tmp_path / "in" / name).read_bytes())
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: -: ")
