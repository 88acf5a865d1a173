"""Converters into the standard layout, each on a tiny tree built here."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from data_prep.darken import darken_dataset
from data_prep.icdar import merge_annotations, parse_annotation
from data_prep.lol import convert_lol
from data_prep.lowlight_xu import convert_lowlight
from data_prep.sid_sony import convert_sid, level_for_ratio
from did_ocr.data.dataset import LowLightDataset
from did_ocr.errors import DidOcrError


def png(path, value=50, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(path)


def test_lol_both_splits_with_collisions(tmp_path):
    for split in ("our485", "eval15"):
        for name in ("1", "2") if split == "our485" else ("1",):
            png(tmp_path / "LOL" / split / "low" / f"{name}.png", 5)
            png(tmp_path / "LOL" / split / "high" / f"{name}.png", 200)
    assert convert_lol(tmp_path / "LOL", tmp_path / "out") == 3
    ds = LowLightDataset(tmp_path / "out", require_high=True)
    assert sorted(it.name for it in ds) == ["2", "eval15_1", "our485_1"]
    assert json.loads((tmp_path / "out" / "dataset.json").read_text())["source"] == "LOL"


def test_lol_missing_partner(tmp_path):
    png(tmp_path / "LOL" / "eval15" / "low" / "1.png")
    (tmp_path / "LOL" / "eval15" / "high").mkdir(parents=True)
    with pytest.raises(DidOcrError, match="1.png: no partner"):
        convert_lol(tmp_path / "LOL", tmp_path / "out", split="eval15")


def test_lowlight_xu_with_splits(tmp_path):
    for split in ("train", "test"):
        png(tmp_path / "xu" / split / "input" / "a.png", 5)
        png(tmp_path / "xu" / split / "gt" / "a.png", 200)
    assert convert_lowlight(tmp_path / "xu", tmp_path / "out", mode="link") == 2
    assert sorted(it.name for it in LowLightDataset(tmp_path / "out", require_high=True)) == ["test_a", "train_a"]


def test_icdar_annotations_in_reading_order(tmp_path):
    png(tmp_path / "ds" / "low" / "img1.png")
    png(tmp_path / "ds" / "low" / "00001_00_0.1s.png")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "gt_img1.txt").write_bytes(
        "\ufeff50,10,90,10,90,30,50,30,WORLD\n10,12,45,12,45,30,10,30,Hello, there\n"
        "10,50,40,50,40,70,10,70,###\n10,80,60,80,60,100,10,100,BELOW\n".encode("utf-8"))
    (tmp_path / "ann" / "00001_00.txt").write_text("0,0,10,0,10,10,0,10,SCENE\n")
    assert merge_annotations(tmp_path / "ds", tmp_path / "ann") == 2
    ds = {it.name: it for it in LowLightDataset(tmp_path / "ds")}
    assert ds["img1"].text == "Hello, there WORLD BELOW"
    assert ds["00001_00_0.1s"].text == "SCENE"
    boxes = [json.loads(line) for line in (tmp_path / "ds" / "boxes.jsonl").read_text().splitlines()]
    assert {b["name"] for b in boxes} == {"img1", "00001_00_0.1s"}


def test_icdar_bad_line(tmp_path):
    (tmp_path / "a.txt").write_text("1,2,3,WORD\n")
    with pytest.raises(DidOcrError, match="line 1"):
        parse_annotation(tmp_path / "a.txt")


def sid_tree(root):
    for name in ("00001_00_0.1s", "00001_01_0.04s", "00002_00_0.033s"):
        (root / "Sony" / "short").mkdir(parents=True, exist_ok=True)
        (root / "Sony" / "short" / f"{name}.ARW").write_bytes(b"not really raw")
    (root / "Sony" / "long").mkdir(parents=True)
    for name in ("00001_00_10s", "00002_00_10s"):
        (root / "Sony" / "long" / f"{name}.ARW").write_bytes(b"not really raw")


def test_sid_pairs_ratios_and_levels_with_copied_raws(tmp_path):
    sid_tree(tmp_path / "SID")
    assert convert_sid(tmp_path / "SID", tmp_path / "out", copy_raw=True) == 3
    ds = {it.name: it for it in LowLightDataset(tmp_path / "out", require_high=True)}
    assert ds["00001_00_0.1s"].extra["exposure_ratio"] == "100" and ds["00001_00_0.1s"].level == "night"
    assert ds["00001_01_0.04s"].extra["exposure_ratio"] == "250" and ds["00001_01_0.04s"].level == "extreme"
    assert ds["00002_00_0.033s"].extra["exposure_ratio"] == "300"  # capped as in SID
    assert ds["00001_00_0.1s"].high_path.name == "00001_00_0.1s.arw"


def test_sid_list_file(tmp_path):
    sid_tree(tmp_path / "SID")
    lst = tmp_path / "SID" / "Sony_test_list.txt"
    lst.write_text("./Sony/short/00002_00_0.033s.ARW ./Sony/long/00002_00_10s.ARW ISO200 F8\n")
    assert convert_sid(tmp_path / "SID", tmp_path / "out", lists=[str(lst)], copy_raw=True) == 1


def test_sid_decoding_a_fake_raw_names_the_file(tmp_path):
    sid_tree(tmp_path / "SID")
    with pytest.raises(DidOcrError, match="00001_00_0.1s.ARW"):
        convert_sid(tmp_path / "SID", tmp_path / "out")


def test_level_for_ratio_follows_the_simulation_levels():
    assert [level_for_ratio(r) for r in (4, 12, 30, 100, 300, 2000)] == ["dusk", "dim", "dark", "night", "extreme", "extreme"]


def test_darken_is_reproducible(tmp_path):
    for i in range(3):
        png(tmp_path / "src" / "high" / f"w{i}.png", 120 + 20 * i, size=(16, 40))
    (tmp_path / "src" / "labels.csv").write_text("name,text\nw0,ONE\nw1,TWO\nw2,THREE\n")
    darken_dataset(tmp_path / "src", tmp_path / "a", ["dim", "night"], seed=4)
    darken_dataset(tmp_path / "src", tmp_path / "b", ["dim", "night"], seed=4)
    for i in range(3):
        assert (tmp_path / "a" / "low" / f"w{i}.png").read_bytes() == (tmp_path / "b" / "low" / f"w{i}.png").read_bytes()
    ds = LowLightDataset(tmp_path / "a", require_high=True)
    assert [it.level for it in ds] == ["dim", "night", "dim"] and ds[2].text == "THREE"


def test_converter_command_line_errors_are_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "data_prep.lol", str(tmp_path / "none"), str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error:") and "Traceback" not in proc.stderr
