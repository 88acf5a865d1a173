"""The benchmark: files it writes, resume without duplicates, shards and merge, labels errors."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

from did_ocr.bench.runner import Bench, BenchConfig, finalize
from did_ocr.cli.main import cli
from did_ocr.data.synth.generator import write_dataset
from did_ocr.reading.settings import ReadSettings


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench") / "ds"
    write_dataset(root, 4, levels=["dim", "dark"], seed=5, size=(64, 160), progress=False)
    return root


def config(dataset, out, tiny_model_path, **kw):
    settings = ReadSettings(device="cpu", quality="onestep", model=str(tiny_model_path))
    kw = {"enhancers": ["gain", "did"], **kw}
    return BenchConfig(dataset=str(dataset), out=str(out), settings=settings, grid_images=2, **kw)


def test_bench_writes_csvs_plots_and_protocol(dataset, tmp_path, tiny_model_path, ocr_reader):
    out = tmp_path / "out"
    Bench(config(dataset, out, tiny_model_path)).run()
    rows = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert len(rows) == 4 * 3 and set(rows["enhancer"]) == {"gain", "did", "well-lit"}
    assert rows.duplicated(["image", "enhancer"]).sum() == 0
    assert (rows[rows.enhancer != "well-lit"]["psnr"] != "").all() and (rows["lpips"] == "").all()
    summary = pd.read_csv(out / "summary.csv")
    assert {"enhancer", "level", "word_accuracy", "cer", "psnr", "ssim", "lpips", "seconds_per_image", "n"} <= set(summary)
    assert set(summary["level"]) == {"dim", "dark", "all"}
    for name in ("accuracy.png", "grid.png", "summary.md", "protocol.json"):
        assert (out / name).stat().st_size > 0
    protocol = json.loads((out / "protocol.json").read_text())
    assert len(next(iter(protocol["model_sha256"].values()))) == 64 and protocol["config"]["seed"] == 0
    assert "LPIPS not computed" in (out / "summary.md").read_text()


def test_kept_reconstructions_can_be_read_again(dataset, tmp_path, tiny_model_path, ocr_reader):
    from did_ocr.bench.results import kept_images
    from did_ocr.data.dataset import LowLightDataset

    out = tmp_path / "out"
    Bench(config(dataset, out, tiny_model_path, enhancers=["gain"])).run()
    items = LowLightDataset(dataset)
    kept = list(kept_images(out, "gain", items))
    assert len(kept) == 2 and len(items) == 4  # the first --grid-images (2) only
    for item, bgr in kept:
        rgb = np.asarray(Image.open(out / "images" / "gain" / f"{item.name}.png").convert("RGB"))
        assert bgr.dtype == np.uint8 and np.array_equal(bgr[..., ::-1], rgb)


def test_found_table_sums_words_per_variant_and_level():
    from did_ocr.bench.results import found_table

    rows = [{"variant": "a", "level": "dark", "found": 1, "total": 3}, {"variant": "a", "level": "dark", "found": "2", "total": "4"},
            {"variant": "b", "level": "night", "found": 0, "total": 3}, {"variant": None, "level": "dark", "found": 1, "total": 1}]
    assert found_table(rows, "variant").splitlines() == [
        "| variant | dark | night |", "|---|---:|---:|", "| a | 3 of 7 |  |", "| b |  | 0 of 3 |", "| None | 1 of 1 |  |"]


def test_interrupted_bench_resumes_without_duplicates(dataset, tmp_path, tiny_model_path, ocr_reader):
    out = tmp_path / "out"
    Bench(config(dataset, out, tiny_model_path)).run()
    csv = out / "per_image.csv"
    lines = csv.read_text().splitlines(keepends=True)
    csv.write_text("".join(lines[:5]) + lines[5][:7])  # a kill in the middle of writing row 5
    Bench(config(dataset, out, tiny_model_path)).run()
    rows = pd.read_csv(csv, keep_default_na=False)
    assert len(rows) == 12 and rows.duplicated(["image", "enhancer"]).sum() == 0


def test_shards_merge_to_the_full_run(dataset, tmp_path, tiny_model_path, ocr_reader):
    out = tmp_path / "sharded"
    for i in range(2):
        Bench(config(dataset, out, tiny_model_path, shard=(i, 2))).run()
    assert not (out / "summary.csv").exists()
    finalize(out)
    rows = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert len(rows) == 12 and (out / "accuracy.png").exists() and (out / "grid.png").exists()  # well-lit from the shard protocol


def test_a_level_filter_keeps_each_images_seed(dataset, tmp_path, tiny_model_path, ocr_reader):
    """--levels only drops rows: DiD draws the same noise for an image as in the full run."""
    full, dim = tmp_path / "full", tmp_path / "dim"
    for out, levels in ((full, None), (dim, ["dim"])):  # "fast": several noisy steps, so the seed shows
        cfg = config(dataset, out, tiny_model_path, levels=levels, enhancers=["did"])
        Bench(replace(cfg, settings=replace(cfg.settings, quality="fast"))).run()
    key = ["image", "enhancer", "prediction", "psnr", "ssim"]
    rows = {name: pd.read_csv(out / "per_image.csv", keep_default_na=False) for name, out in (("full", full), ("dim", dim))}
    assert set(rows["dim"]["level"]) == {"dim"} and len(rows["dim"]) == 4
    picked = rows["full"][rows["full"]["level"] == "dim"][key].sort_values(key[:2]).reset_index(drop=True)
    assert picked.equals(rows["dim"][key].sort_values(key[:2]).reset_index(drop=True))


def test_every_engine_reads_the_same_enhanced_images(dataset, tmp_path, tiny_model_path, ocr_reader, rapid_reader):
    out = tmp_path / "engines"
    Bench(config(dataset, out, tiny_model_path, ocr=["rapidocr", "easyocr"], limit=2)).run()
    rows = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert len(rows) == 2 * 3 * 2 and rows.duplicated(["image", "enhancer", "ocr"]).sum() == 0
    for _, pair in rows[rows.enhancer == "did"].groupby("image"):  # one enhancement, read by both engines
        assert set(pair["ocr"]) == {"rapidocr", "easyocr"} and pair["enhance_seconds"].nunique() == 1
        assert pair["psnr"].nunique() == 1
    summary = pd.read_csv(out / "summary.csv")
    assert {"did (rapidocr)", "did (easyocr)", "well-lit (easyocr)"} <= set(summary["enhancer"])
    protocol = json.loads((out / "protocol.json").read_text())
    assert set(protocol["ocr"]) == {"rapidocr", "easyocr"}
    assert all(len(h) == 64 for engine in protocol["ocr"].values() for h in engine["models"].values())
    Bench(config(dataset, out, tiny_model_path, ocr=["rapidocr", "easyocr"], limit=2)).run()  # nothing left to do
    assert len(pd.read_csv(out / "per_image.csv", keep_default_na=False)) == 12


def test_rows_of_an_older_version_are_not_mixed_in(dataset, tmp_path, tiny_model_path):
    from did_ocr.errors import DidOcrError

    out = tmp_path / "old"
    out.mkdir()
    (out / "per_image.csv").write_text("dataset,image,level,enhancer,truth\nd,a,dim,gain,A\n")
    with pytest.raises(DidOcrError, match="written by another version of did-ocr"):
        Bench(config(dataset, out, tiny_model_path)).run()


def test_bench_cli_names_a_bad_labels_line(tmp_path):
    root = tmp_path / "ds"
    write_dataset(root, 2, levels=["dim"], seed=1, size=(64, 64), progress=False)
    (root / "labels.csv").write_text("name,text,level,kind\ndim_00000,A,dim,sign\ndim_00001,B,dim\n")
    result = CliRunner().invoke(cli, ["bench", "--dataset", str(root), "--enhancers", "gain", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "line 3" in result.stderr and "Traceback" not in result.output


def test_consensus_rows_for_stochastic_enhancers_only(dataset, tmp_path, tiny_model_path, ocr_reader):
    out = tmp_path / "k"
    Bench(config(dataset, out, tiny_model_path, samples=2, limit=2)).run()
    rows = pd.read_csv(out / "per_image.csv", keep_default_na=False)
    assert set(rows["enhancer"]) == {"gain", "did", "did-k2", "well-lit"}
    k2 = rows[rows.enhancer == "did-k2"]
    assert len(k2) == 2 and (k2["enhance_seconds"].astype(float) > 0).all()


def test_grid_draws_16bit_linear_references_through_the_dataset_loader(tmp_path):
    from did_ocr.bench.grid import save_bench_grid, well_lit_loader
    from did_ocr.capture.colorspace import linear_to_srgb8
    from did_ocr.capture.save import save_linear_png16, save_srgb_png
    from did_ocr.data.dataset import write_dataset_meta

    root, out = tmp_path / "sid", tmp_path / "out"
    gray = np.full((48, 96, 3), 0.2, np.float32)  # linear 0.2 is sRGB 124, not the 51 its 16-bit code reads as
    save_linear_png16(root / "low" / "a.png", gray * 0.01)
    save_linear_png16(root / "high" / "a.png", gray)
    write_dataset_meta(root, low_encoding="linear", high_encoding="linear")
    save_srgb_png(out / "images" / "gain" / "a.png", np.zeros((48, 96, 3), np.uint8))
    (out / "protocol.json").write_text(json.dumps({"dataset": {"root": str(root)}}))
    expected = int(linear_to_srgb8(np.array([0.2], np.float32))[0])
    assert expected == 124
    assert (well_lit_loader(out)("a") == expected).all() and well_lit_loader(out)("b") is None
    df = pd.DataFrame({"enhancer": ["gain"], "image": ["a"], "truth": ["A"]})
    save_bench_grid(out, df, grid_images=2)
    grid = np.asarray(Image.open(out / "grid.png").convert("RGB"))
    header, label_w, (ch, cw) = 18, 150, (96, 192)  # the layout of imaging.grid.make_grid
    well_lit_cell = grid[header + 10:header + ch - 10, label_w + (cw + 4) + 10:label_w + (cw + 4) + cw - 10]
    assert (well_lit_cell == expected).all()


def test_unlabelled_images_give_no_word_table_and_no_cer():
    """A dataset without labels (real pairs such as LOL) is scored by its images only: CER against an empty
    label would only say whether anything was read, so it is averaged over labelled images alone."""
    from did_ocr.bench.results import summarize, to_markdown

    base = {"dataset": "d", "level": "real", "enhancer": "gain", "ocr": "rapidocr", "prediction": "x", "psnr": 20.0, "ssim": 0.5,
            "lpips": "", "seconds": 1.0, "enhance_seconds": 0.1, "exact": False, "error": ""}
    unlabelled = pd.DataFrame([{**base, "image": "a", "truth": "", "words_found": 0, "words_total": 0, "cer": 1.0}])
    summary = summarize(unlabelled)
    assert summary["cer"].isna().all() and (summary["psnr"] == 20.0).all()
    md = to_markdown(summary, ["real"])
    assert md.startswith("| enhancer | n | word acc. %") and "| gain | 1 | n/a | n/a | 20.00 |" in md
    mixed = pd.concat([unlabelled, pd.DataFrame([{**base, "image": "b", "truth": "ab", "words_found": 1,
                                                   "words_total": 1, "cer": 0.5}])])
    assert summarize(mixed).set_index("level").loc["all", "cer"] == 0.5
