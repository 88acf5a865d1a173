"""DiD without torch: numpy arrays and the network on ONNX Runtime give torch's reconstruction.

The default ``read`` on a CPU runs this path (no torch import); every number
measured with the torch path holds for it only if both compute the same
thing, so each part is compared with torch's: the resizing, the windows, the
noise streams, the exported denoiser, and the whole cascade.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from did_ocr import arrays
from did_ocr.diffusion.cascade import CascadeConfig, reconstruct
from did_ocr.diffusion.scales import resize
from did_ocr.diffusion.windows import from_windows, pad_to_windows, padded_shape, to_windows
from did_ocr.enhancers.catalog import build_enhancer
from did_ocr.enhancers.did import DEFAULT_MODEL
from did_ocr.errors import DidOcrError
from did_ocr.model.checkpoint import load_model
from did_ocr.fileio import file_sha256
from did_ocr.model.onnx_model import export_onnx, load_onnx_model, onnx_path
from tests.helpers import write_tiny_model

pytest.importorskip("onnx")  # exporting needs it (the test extra installs it); reading with an export does not

REPO = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(0)


def _random(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("src, dst", [((48, 64), (32, 32)), ((24, 32), (48, 64)), ((37, 53), (74, 106)),
                                      ((10, 7), (3, 20)), ((33, 33), (32, 32)), ((30, 17), (60, 9)),
                                      ((75, 1), (18, 1)), ((40, 4), (10, 1)), ((3, 38), (1, 9))])
def test_numpy_resize_is_torchs_antialiased_bilinear(src, dst):
    x = _random(1, 3, *src)
    expected = resize(torch.from_numpy(x), dst).numpy()
    assert np.abs(resize(x, dst) - expected).max() < 2e-6


def test_resizing_to_one_column_is_right():
    # torch's antialiased kernel alone repeats the first row when the width goes to 1 (scales.resize works around it)
    column = torch.from_numpy(_random(1, 1, 75, 1))
    expected = resize(column.expand(1, 1, 75, 3).contiguous(), (18, 3))[..., :1]
    assert torch.allclose(resize(column, (18, 1)), expected, atol=1e-6)
    assert torch.allclose(resize(column.expand(1, 1, 75, 4).contiguous(), (18, 1)), expected, atol=1e-6)


@pytest.mark.parametrize("size, overlap", [((70, 90), 8), ((20, 45), 8), ((64, 64), 0), ((100, 33), 4)])
def test_numpy_windows_are_torchs(size, overlap):
    x = _random(1, 9, *size)
    padded = pad_to_windows(x, 32, overlap)
    assert np.array_equal(padded, pad_to_windows(torch.from_numpy(x), 32, overlap).numpy())
    windows = to_windows(padded, 32, overlap)
    assert np.array_equal(windows, to_windows(torch.from_numpy(padded), 32, overlap).numpy())
    ph, pw = padded_shape(*size, 32, overlap)
    stitched = from_windows(windows[:, :3], 1, ph, pw, 32, overlap)
    theirs = from_windows(torch.from_numpy(windows[:, :3]), 1, ph, pw, 32, overlap).numpy()
    assert np.abs(stitched - theirs).max() < 1e-6
    assert np.abs(stitched - padded[:, :3]).max() < 1e-5  # cutting and stitching gives the image back


@pytest.mark.parametrize("seed", [0, 12345, 2**40 + 7, 0x7FFF_FFFF_FFFF_FFFF])
def test_numpy_noise_streams_draw_what_torch_draws(seed):
    g = torch.Generator().manual_seed(seed)
    stream = arrays.TorchCompatibleNormal(seed)
    for shape in [(3, 32, 32), (3, 5, 7), (16,), (3, 32, 32)]:  # call after call, sizes not a multiple of 16 too
        assert np.abs(stream.draw(shape) - torch.randn(shape, generator=g).numpy()).max() < 1e-5


@pytest.fixture(scope="module")
def tiny_export(tmp_path_factory):
    path = write_tiny_model(tmp_path_factory.mktemp("onnx") / "tiny.safetensors")
    export_onnx(path)
    return path


def test_exported_denoiser_equals_torchs(tiny_export):
    exported, loaded = load_onnx_model(tiny_export), load_model(tiny_export)
    assert exported.model.schedule() == loaded.model.schedule() and exported.norm == loaded.norm
    x, cond = _random(5, 3, 32, 32), _random(5, 9, 32, 32)
    for sigma in (80.0, 0.5, np.array([80, 1, 0.5, 2, 0.01], np.float32)):
        with torch.inference_mode():
            expected = loaded.model(torch.from_numpy(x), torch.as_tensor(sigma), torch.from_numpy(cond)).numpy()
        assert np.abs(exported.model(x, np.asarray(sigma, np.float32), cond) - expected).max() < 1e-4


@pytest.mark.parametrize("config, shape", [(CascadeConfig(one_step=True), (40, 70)),
                                           (CascadeConfig(fast=True, fast_steps=2), (40, 70)),
                                           (CascadeConfig(one_step=True), (300, 9))],  # 1-pixel-wide copies inside
                         ids=["onestep", "fast", "onestep-tall"])
def test_the_cascade_on_numpy_and_onnx_runtime_reconstructs_what_torch_does(tiny_export, config, shape):
    exported, loaded = load_onnx_model(tiny_export), load_model(tiny_export)
    dark = (RNG.random((3, *shape)) * 0.05).astype(np.float32)
    ours, stats = reconstruct(exported.model, exported.norm, dark, config, seed=7)
    theirs, their_stats = reconstruct(loaded.model, loaded.norm, torch.from_numpy(dark), config, seed=7)
    assert isinstance(ours, np.ndarray) and ours.shape == (3, *shape)
    assert np.abs(ours - theirs.numpy()).max() < 1e-4 and stats == their_stats


def test_auto_backend_uses_the_export_only_while_it_matches_its_checkpoint(tiny_export, tmp_path):
    did = build_enhancer("did", model=str(tiny_export), device="cpu")
    assert did.backend == "onnx" and did.describe()["backend"] == "onnx"
    assert build_enhancer("did", model=str(tiny_export), device="cpu", backend="torch").backend == "torch"
    dark = (RNG.random((30, 40, 3)) * 0.05).astype(np.float32)
    torch_out = build_enhancer("did", model=str(tiny_export), device="cpu", backend="torch").enhance(dark, seed=2)
    assert np.abs(did.enhance(dark, seed=2) - torch_out).max() < 1e-4

    changed = write_tiny_model(tmp_path / "changed.safetensors")
    export_onnx(changed)
    write_tiny_model(changed, seed=1)  # trained on since the export: the export is stale
    assert load_onnx_model(changed) is None
    assert build_enhancer("did", model=str(changed), device="cpu").backend == "torch"
    with pytest.raises(DidOcrError, match="no up-to-date ONNX export.*python -m did_ocr.model.onnx_model"):
        build_enhancer("did", model=str(changed), device="cpu", backend="onnx")


def test_the_shipped_model_ships_its_export():
    exported = load_onnx_model(DEFAULT_MODEL)
    assert exported is not None, (f"{onnx_path(DEFAULT_MODEL)} is missing or stale; run "
                                  f"`python -m did_ocr.model.onnx_model {DEFAULT_MODEL}`")
    assert exported.meta["source_sha256"] == file_sha256(DEFAULT_MODEL)
    assert onnx_path(DEFAULT_MODEL).stat().st_size < 20 * 2**20


def test_read_on_a_cpu_never_imports_torch():
    code = ("import sys; from click.testing import CliRunner; from did_ocr.cli.main import cli; "
            "r = CliRunner().invoke(cli, ['read', 'examples/night_plate.png', '--device', 'cpu']); "
            "print(r.output.strip()); print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().split("\n")[-2:] == ["CM 048 UG", "False"]
