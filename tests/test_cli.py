"""The command line through click's CliRunner: read, enhance, synth, --version, bad files."""

import json
import subprocess
import sys

import numpy as np
from click.testing import CliRunner
from PIL import Image

from did_ocr.cli.main import cli
from tests.helpers import render_text


def write_dark(path, text="EXIT", factor=0.08):
    """A dim, slightly noisy sRGB PNG of a rendered word."""
    clean = render_text(text).astype(np.float32) / 255
    linear = clean ** 2.2 * factor + np.random.default_rng(0).normal(0, 0.0005, clean.shape)
    srgb = np.clip(np.clip(linear, 0, 1) ** (1 / 2.2), 0, 1)
    Image.fromarray((srgb * 255 + 0.5).astype(np.uint8)).save(path)
    return path


def run(args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_version_does_not_import_torch():
    code = "import sys; from did_ocr.cli.main import cli; sys.argv=['did-ocr','--version']\n" \
           "try:\n    cli()\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "did-ocr, version" in out and out.strip().endswith("False")


def test_read_prints_the_words(tmp_path, ocr_reader):
    img = write_dark(tmp_path / "sign.png")
    result = run(["read", str(img), "--enhancer", "gain"])
    assert result.exit_code == 0, result.output
    assert "EXIT" in result.output.upper()


def test_read_json_with_did_and_saved_images(tmp_path, ocr_reader, tiny_model_path):
    a = write_dark(tmp_path / "a.png")
    result = run(["read", str(a), "--enhancer", "did", "--model", str(tiny_model_path), "--quality", "fast",
                  "--json", "--save-enhanced", str(tmp_path / "enh"), "--samples", "2", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data[0]["file"] == str(a) and data[0]["enhancer"] == "did" and data[0]["samples"] == 2
    assert set(data[0]["timings"]) >= {"load_s", "enhance_s", "ocr_s", "total_s"}
    assert data[0]["text"] == "\n".join(line["text"] for line in data[0]["lines"])  # the text is the lines, in order
    assert (tmp_path / "enh" / "a.png").exists()


def test_one_bad_file_among_several(tmp_path, ocr_reader):
    good = write_dark(tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    result = run(["read", str(bad), str(good), "--enhancer", "gain"])
    assert result.exit_code == 2
    assert "==> " in result.stdout and "EXIT" in result.stdout.upper()
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "bad.png" in errors[0]
    assert "Traceback" not in result.output


def test_enhance_writes_pngs_and_keeps_going(tmp_path):
    a = write_dark(tmp_path / "a.png")
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "a.jpg")
    result = run(["enhance", str(a), str(tmp_path / "a.jpg"), str(tmp_path / "missing.png"), "-o", str(tmp_path / "o"),
                  "-e", "clahe"])
    assert result.exit_code == 2
    outputs = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert outputs == ["a-1.png", "a.png"]
    assert Image.open(tmp_path / "o" / "a.png").size == Image.open(a).size
    assert "missing.png" in result.stderr


def test_unknown_enhancer_is_one_line(tmp_path):
    a = write_dark(tmp_path / "a.png")
    result = run(["read", str(a), "--enhancer", "magic"])
    assert result.exit_code == 2 and "unknown enhancer" in result.stderr and "Traceback" not in result.output


def test_synth_writes_the_standard_layout(tmp_path):
    result = run(["synth", str(tmp_path / "ds"), "-n", "4", "--levels", "dim,night", "--size", "64x128"])
    assert result.exit_code == 0, result.output
    from did_ocr.data.dataset import LowLightDataset

    ds = LowLightDataset(tmp_path / "ds", require_high=True)
    assert len(ds) == 4 and ds.levels() == ["dim", "night"]
    bad = run(["synth", str(tmp_path / "x"), "--levels", "noon"])
    assert bad.exit_code == 2 and "noon" in bad.stderr
