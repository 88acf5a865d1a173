"""The package as pip builds it: a warning-free wheel that holds the web page, the weights and the word list."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_built_wheel_holds_the_page_and_the_weights_without_warnings(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path), "-v"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "absent from the `packages` configuration" not in done.stdout + done.stderr
    (wheel,) = tmp_path.glob("did_ocr-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"did_ocr/web/static/index.html", "did_ocr/weights/did_s.safetensors", "did_ocr/weights/did_s.onnx",
            "did_ocr/weights/MODEL_CARD.md",
            "did_ocr/data/synth/words.txt"} <= names
    assert not any(n.startswith(("tests/", "benchmarks/", "data_prep/")) or "__pycache__" in n for n in names)
