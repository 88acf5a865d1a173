"""``did-ocr bench --ray``: the same rows, pictures and report files as a local run; resumable; clear errors.

One local Ray (2 CPUs) for the module; the fast ``gain`` and ``none`` enhancers keep it quick.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from did_ocr.bench.runner import Bench, BenchConfig
from did_ocr.cli.main import cli
from did_ocr.data.synth.generator import write_dataset
from did_ocr.reading.settings import ReadSettings

SECONDS = ["seconds", "enhance_seconds", "ocr_seconds"]


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def rows_of(out):
    """per_image.csv without the timing columns, in a fixed order."""
    rows = pd.read_csv(out / "per_image.csv", dtype=str, keep_default_na=False).drop(columns=SECONDS)
    return rows.sort_values(["image", "enhancer", "ocr"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("ray_bench") / "ds"
    write_dataset(root, 4, levels=["dim", "dark"], seed=5, size=(64, 160), progress=False)
    return root


@pytest.fixture(scope="module")
def local_run(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    Bench(BenchConfig(dataset=str(dataset), out=str(out), enhancers=["gain", "none"], ocr=["rapidocr"],
                      settings=ReadSettings(device="cpu"), grid_images=2)).run()
    return out


def ray_bench(dataset, out, *extra):
    return run("bench", "--ray", "--dataset", dataset, "--enhancers", "gain,none", "--ocr", "rapidocr",
               "--device", "cpu", "--grid-images", 2, "--out", out, *extra)


def test_ray_bench_writes_what_a_local_run_writes(local_ray, dataset, local_run, tmp_path):
    out = tmp_path / "ray"
    result = ray_bench(dataset, out, "--actors", 2)
    assert result.exit_code == 0, result.output
    mine, theirs = rows_of(out), rows_of(local_run)
    assert len(mine) == 4 * 3 and set(mine["enhancer"]) == {"gain", "none", "well-lit"}
    pd.testing.assert_frame_equal(mine, theirs)
    for name in ("summary.csv", "summary.md", "accuracy.png", "grid.png", "protocol.json"):
        assert (out / name).stat().st_size > 0, name
    # the grid's pictures, made in the actors, written by the driver as a local run writes them
    pictures = sorted(p.relative_to(out) for p in (out / "images").rglob("*.png"))
    assert pictures == sorted(p.relative_to(local_run) for p in (local_run / "images").rglob("*.png"))
    assert len(pictures) == 2 * 2 and all((out / p).read_bytes() == (local_run / p).read_bytes() for p in pictures)
    protocol, local = (json.loads((o / "protocol.json").read_text()) for o in (out, local_run))
    assert protocol["config"]["enhancers"] == ["gain", "none"] and set(protocol["ocr"]) == set(local["ocr"])
    assert protocol["dataset"] == local["dataset"]


def test_ray_bench_resumes_without_duplicates(local_ray, dataset, local_run, tmp_path):
    out = tmp_path / "resumed"
    out.mkdir()
    lines = (local_run / "per_image.csv").read_text().splitlines(keepends=True)
    (out / "per_image.csv").write_text("".join(lines[:5]) + lines[5][:7])  # a kill in the middle of row 5
    result = ray_bench(dataset, out)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(rows_of(out), rows_of(local_run))
    again = ray_bench(dataset, out)  # nothing left to do: no actor is started, the report is remade
    assert again.exit_code == 0, again.output
    assert len(pd.read_csv(out / "per_image.csv")) == 12


def test_ray_options_errors_are_one_line(dataset, tmp_path):
    shard = ray_bench(dataset, tmp_path / "o", "--shard", "0/2")
    assert shard.exit_code == 2 and "--shard cannot be used with --ray" in shard.stderr
    stray = run("bench", "--dataset", dataset, "--enhancers", "gain", "--actors", 2, "--out", tmp_path / "o")
    assert stray.exit_code == 2 and "--actors applies only with --ray" in stray.stderr


def test_missing_ray_is_one_clear_line(dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    result = ray_bench(dataset, tmp_path / "o")
    assert result.exit_code == 2 and "--ray needs Ray" in result.stderr
    assert "pip install 'did-ocr[ray]'" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()  # nothing was done
