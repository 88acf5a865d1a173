"""Converters into the standard layout, each on a tiny tree built here."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from data_prep import icdar
from data_prep.common import Pair, place, run_cli, start_output, write_pairs
from data_prep.darken import darken_dataset
from data_prep.icdar import merge_annotations, parse_annotation, parse_line
from data_prep.lol import convert_lol
from data_prep.lowlight_xu import convert_lowlight
from data_prep.sid_sony import convert_sid, level_for_ratio
from data_prep.split import split_dataset
from did_ocr.data.dataset import LowLightDataset
from did_ocr.errors import DatasetError, InputError


def png(path, value=50, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(path)
    return path


def names(root, **kwargs):
    return [it.name for it in LowLightDataset(root, **kwargs)]


# --------------------------------------------------------------------------- common


def test_output_folder_is_never_mixed_with_an_earlier_conversion(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    pairs = [Pair("a", png(src / "a.png"), png(src / "h" / "a.png"), {"text": "A"})]
    start_output(out, src)
    write_pairs(out, pairs)
    with pytest.raises(DatasetError, match=r"out/low: not empty \(an earlier conversion\?\); .* --overwrite"):
        start_output(out, src)
    start_output(out, src, overwrite=True)
    assert not any((out / "low").iterdir()) and not (out / "labels.csv").exists()
    with pytest.raises(DatasetError, match="the output folder is the source folder"):
        start_output(src, src)


def test_duplicate_output_names_are_refused(tmp_path):
    a, b = png(tmp_path / "x" / "a.png"), png(tmp_path / "y" / "a.png")
    start_output(tmp_path / "out", tmp_path)
    with pytest.raises(DatasetError, match=r"y/a.png: its output name 'a' is taken by .*x/a.png"):
        write_pairs(tmp_path / "out", [Pair("a", a, None), Pair("a", b, None)])


def test_place_modes(tmp_path):
    src = png(tmp_path / "s.png")
    place(src, tmp_path / "copy.png", "copy")
    place(src, tmp_path / "link.png", "link")
    place(src, tmp_path / "sym.png", "symlink")
    assert (tmp_path / "link.png").stat().st_ino == src.stat().st_ino
    assert (tmp_path / "copy.png").stat().st_ino != src.stat().st_ino and (tmp_path / "sym.png").is_symlink()
    place(src, src, "copy")  # placing a file onto itself must not destroy it
    assert src.read_bytes() == (tmp_path / "copy.png").read_bytes()


# --------------------------------------------------------------------------- LOL


def lol_tree(root):
    for split, stems in (("our485", ("1", "2")), ("eval15", ("1", "3"))):
        for stem in stems:
            png(root / split / "low" / f"{stem}.png", 5)
            png(root / split / "high" / f"{stem}.png", 200)
    return root


def test_lol_both_splits_with_collisions(tmp_path):
    result = convert_lol(lol_tree(tmp_path / "LOL"), tmp_path / "out", mode="link")
    assert result.pairs == 4 and result.summary() == f"wrote 4 LOL pairs to {tmp_path / 'out'}"
    ds = LowLightDataset(tmp_path / "out", require_high=True)
    assert [(it.name, it.extra["split"], it.text) for it in ds] == [
        ("2", "our485", ""), ("3", "eval15", ""), ("eval15_1", "eval15", ""), ("our485_1", "our485", "")]
    assert ds[0].low_path.stat().st_ino == (tmp_path / "LOL" / "our485" / "low" / "2.png").stat().st_ino
    meta = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert meta["source"].startswith("LOL") and meta["splits"] == ["eval15", "our485"] and meta["low_encoding"] == "srgb"


def test_lol_one_split_from_a_parent_folder(tmp_path):
    lol_tree(tmp_path / "download" / "LOLdataset")
    convert_lol(tmp_path / "download", tmp_path / "out", split="eval15")
    assert names(tmp_path / "out", require_high=True) == ["1", "3"]  # no collision within one split


def test_lol_errors(tmp_path):
    png(tmp_path / "LOL" / "eval15" / "low" / "1.png")
    (tmp_path / "LOL" / "eval15" / "high").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"eval15/low/1.png: no partner with the same name in .*eval15/high"):
        convert_lol(tmp_path / "LOL", tmp_path / "out", split="eval15")
    with pytest.raises(DatasetError, match=r"no LOL split folder \(our485\) found"):
        convert_lol(tmp_path / "LOL", tmp_path / "out", split="our485")
    with pytest.raises(DatasetError, match="nowhere: folder not found"):
        convert_lol(tmp_path / "nowhere", tmp_path / "out")


def test_lol_with_lol_text_annotations(tmp_path):
    lol_tree(tmp_path / "LOL")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "gt_img_2.txt").write_text("0,0,10,0,10,5,0,5,EXIT\n")
    (tmp_path / "ann" / "gt_img_1.txt").write_text("0,0,10,0,10,5,0,5,ONE\n")
    result = convert_lol(tmp_path / "LOL", tmp_path / "out", split="all", annotations=tmp_path / "ann")
    assert "3 of 4 images" in result.summary()
    ds = {it.name: it.text for it in LowLightDataset(tmp_path / "out")}
    # the collision prefix does not lose the label: annotations match the name the image had in LOL
    assert ds == {"2": "EXIT", "3": "", "eval15_1": "ONE", "our485_1": "ONE"}


# --------------------------------------------------------------------------- LowLight (Xu et al.)


def test_lowlight_xu_with_splits(tmp_path):
    for split in ("train", "test"):
        png(tmp_path / "xu" / split / "input" / "a.png", 5)
        png(tmp_path / "xu" / split / "gt" / "a.png", 200)
    png(tmp_path / "xu" / "test" / "gt" / "only_gt.png", 200)  # ignored: nothing to enhance
    assert convert_lowlight(tmp_path / "xu", tmp_path / "out", mode="link").pairs == 2
    ds = LowLightDataset(tmp_path / "out", require_high=True)
    assert [(it.name, it.extra) for it in ds] == [("test_a", {"split": "test"}), ("train_a", {"split": "train"})]


def test_lowlight_xu_single_folder_any_case(tmp_path):
    png(tmp_path / "xu" / "Input" / "0001.jpg", 5)
    png(tmp_path / "xu" / "GT" / "0001.png", 200)
    convert_lowlight(tmp_path / "xu", tmp_path / "out")
    item = LowLightDataset(tmp_path / "out", require_high=True)[0]
    assert item.name == "0001" and item.low_path.suffix == ".jpg" and item.high_path.suffix == ".png"
    assert (tmp_path / "out" / "labels.csv").read_text() == "name,text\n0001,\n"


def test_lowlight_xu_errors(tmp_path):
    png(tmp_path / "xu" / "input" / "a.png")
    with pytest.raises(DatasetError, match="no folder holding both input/ and gt/"):
        convert_lowlight(tmp_path / "xu", tmp_path / "out")
    (tmp_path / "xu" / "gt").mkdir()
    with pytest.raises(DatasetError, match=r"input/a.png: no partner with the same name in .*xu/gt"):
        convert_lowlight(tmp_path / "xu", tmp_path / "out")


# --------------------------------------------------------------------------- ICDAR annotations


def test_parse_line_formats(tmp_path):
    p = tmp_path / "a.txt"
    quad = parse_line(p, 1, "\ufeff1,2,3,4,5,6,7,8,Hello, world")
    assert quad.box == [[1, 2], [3, 4], [5, 6], [7, 8]] and quad.text == "Hello, world"
    assert parse_line(p, 1, '1.5,2,3,4,5,6,7,8,"say ""hi"""').text == 'say "hi"'
    assert parse_line(p, 1, "1,2,3,4,5,6,7,8,###").text is None
    assert parse_line(p, 1, "1,2,3,4,5,6,7,8").text is None  # a box without a transcription
    ltrb = parse_line(p, 1, "10,20,50,40,Text")
    assert ltrb.box == [[10, 20], [50, 20], [50, 40], [10, 40]] and ltrb.text == "Text"
    assert parse_line(p, 1, "   ") is None


@pytest.mark.parametrize("line", ["1,2,3,WORD", "a,b,c,d,e,f,g,h,WORD", "1,2,nan,4,WORD", "WORD"])
def test_malformed_annotation_lines_are_named(tmp_path, line):
    (tmp_path / "a.txt").write_text(f"1,2,3,4,5,6,7,8,ok\n{line}\n")
    with pytest.raises(DatasetError, match=r"a.txt: line 2 is neither x1,y1,x2,y2,x3,y3,x4,y4,text nor"):
        parse_annotation(tmp_path / "a.txt")


def test_non_utf8_annotation(tmp_path):
    (tmp_path / "a.txt").write_bytes("1,2,3,4,5,6,7,8,ok\n1,2,3,4,5,6,7,8,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="a.txt: line 2 is not UTF-8"):
        parse_annotation(tmp_path / "a.txt")


def test_icdar_annotations_in_reading_order(tmp_path):
    png(tmp_path / "ds" / "low" / "img1.png")
    png(tmp_path / "ds" / "low" / "00001_00_0.1s.png")
    png(tmp_path / "ds" / "low" / "other.png")
    (tmp_path / "ds" / "labels.csv").write_text("name,text,level\nimg1,old,dim\nother,KEEP,dark\n")
    (tmp_path / "ann").mkdir()
    # WORLD sits slightly higher than "Hello, there" but on the same line; ### is left out; BELOW is a new line
    (tmp_path / "ann" / "gt_img1.txt").write_bytes(
        "\ufeff50,10,90,10,90,30,50,30,WORLD\r\n10,12,45,12,45,32,10,32,Hello, there\r\n"
        "10,50,40,50,40,70,10,70,###\r\n10,80,60,80,60,100,10,100,BELOW\r\n".encode("utf-8"))
    (tmp_path / "ann" / "00001_00.txt").write_text("0,0,10,0,10,10,0,10,SCENE\n")  # per shot: prefix match
    (tmp_path / "ann" / "gt_unused.txt").write_text("0,0,10,0,10,10,0,10,NOBODY\n")
    result = merge_annotations(tmp_path / "ds", tmp_path / "ann")
    assert (result.labelled, result.boxed, result.images, result.unused) == (2, 2, 3, ("gt_unused.txt",))
    assert "matched no image" in result.summary()
    ds = {it.name: it for it in LowLightDataset(tmp_path / "ds")}
    assert ds["img1"].text == "Hello, there WORLD BELOW" and ds["img1"].level == "dim"  # other columns kept
    assert ds["00001_00_0.1s"].text == "SCENE" and ds["other"].text == "KEEP"  # unannotated rows kept
    boxes = [json.loads(line) for line in (tmp_path / "ds" / "boxes.jsonl").read_text().splitlines()]
    img1 = next(b for b in boxes if b["name"] == "img1")
    assert [w["text"] for w in img1["words"]] == ["Hello, there", "WORLD", "BELOW"]
    assert img1["words"][0]["box"] == [[10, 12], [45, 12], [45, 32], [10, 32]]
    assert img1["illegible"] == [[[10, 50], [40, 50], [40, 70], [10, 70]]] and img1["annotation"] == "gt_img1.txt"


def test_class_only_annotations_keep_the_text_and_export_boxes(tmp_path):
    """Text in the Dark (SID-Sony-Text, LOL-Text) labels regions 'Text' or '###', not with their words."""
    png(tmp_path / "ds" / "low" / "1.png")
    (tmp_path / "ds" / "labels.csv").write_text("name,text\n1,REAL WORDS\n")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "gt_img_1.txt").write_text("0,0,10,0,10,5,0,5,Text\n20,0,30,0,30,5,20,5,###\n")
    result = merge_annotations(tmp_path / "ds", tmp_path / "ann")
    assert not result.transcribed and "region classes" in result.summary()
    assert LowLightDataset(tmp_path / "ds")[0].text == "REAL WORDS"
    record = json.loads((tmp_path / "ds" / "boxes.jsonl").read_text())
    assert record["words"] == [{"text": None, "box": [[0, 0], [10, 0], [10, 5], [0, 5]]}] and len(record["illegible"]) == 1
    merge_annotations(tmp_path / "ds", tmp_path / "ann", transcriptions="yes")
    assert LowLightDataset(tmp_path / "ds")[0].text == "Text"


def test_scene_matching_for_sid(tmp_path):
    for name in ("00001_00_0.1s", "00001_03_0.04s", "00002_00_0.1s"):
        png(tmp_path / "ds" / "low" / f"{name}.png")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "gt_img_000010010.txt").write_text("0,0,10,0,10,5,0,5,CAFE\n")  # long exposure 00001_00_10s
    assert merge_annotations(tmp_path / "ds", tmp_path / "ann").labelled == 0  # names differ: no match by name
    assert merge_annotations(tmp_path / "ds", tmp_path / "ann", by_scene=True).labelled == 2
    assert [it.text for it in LowLightDataset(tmp_path / "ds")] == ["CAFE", "CAFE", ""]
    (tmp_path / "ann" / "gt_img_000010030.txt").write_text("0,0,10,0,10,5,0,5,OTHER\n")
    with pytest.raises(DatasetError, match=r"2 annotation files of scene 00001 for the image '00001_00_0.1s'"):
        merge_annotations(tmp_path / "ds", tmp_path / "ann", by_scene=True)


def test_icdar_folder_errors(tmp_path):
    png(tmp_path / "ds" / "low" / "a.png")
    with pytest.raises(DatasetError, match="ann: annotation folder not found"):
        merge_annotations(tmp_path / "ds", tmp_path / "ann")
    (tmp_path / "ann" / "test").mkdir(parents=True)
    (tmp_path / "ann" / "test" / "gt_a.txt").write_text("0,0,1,0,1,1,0,1,A\n")
    with pytest.raises(DatasetError, match=r"no .txt annotation files \(1 in its sub-folders"):
        merge_annotations(tmp_path / "ds", tmp_path / "ann")
    (tmp_path / "ann" / "test" / "a.txt").write_text("0,0,1,0,1,1,0,1,B\n")
    with pytest.raises(DatasetError, match=r"2 annotation files named for the image 'a'"):
        merge_annotations(tmp_path / "ds", tmp_path / "ann" / "test")


def test_icdar_command(tmp_path, capsys):
    png(tmp_path / "ds" / "low" / "a.png")
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "x_a.txt").write_text("0,0,1,0,1,1,0,1,WORD\n")
    run_cli(icdar.build_parser(), icdar.main, [str(tmp_path / "ds"), str(tmp_path / "ann"), "--prefix", "x_"])
    assert "1 of 1 images" in capsys.readouterr().out and LowLightDataset(tmp_path / "ds")[0].text == "WORD"


# --------------------------------------------------------------------------- SID


def fake_raw(path, value=0):
    """Bytes with a SID name that no RAW decoder accepts (the pairing logic only looks at names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not really raw")


def sid_tree(root, write=fake_raw):
    """Scene 1: two short exposures (x100, x250) of one long; scene 2: one short (x303 -> 300)."""
    for name, value in (("00001_00_0.1s", 600), ("00001_01_0.04s", 540), ("00002_00_0.033s", 533)):
        write(root / "Sony" / "short" / f"{name}.ARW", value)
    for name in ("00001_00_10s", "00002_00_10s"):
        write(root / "Sony" / "long" / f"{name}.ARW", 2500)
    return root


def test_sid_pairs_ratios_and_levels_with_copied_raws(tmp_path):
    assert convert_sid(sid_tree(tmp_path / "SID"), tmp_path / "out", copy_raw=True).pairs == 3
    ds = {it.name: it for it in LowLightDataset(tmp_path / "out", require_high=True)}
    assert {n: (it.extra["exposure_ratio"], it.level) for n, it in ds.items()} == {
        "00001_00_0.1s": ("100", "night"), "00001_01_0.04s": ("250", "extreme"),
        "00002_00_0.033s": ("300", "extreme")}  # 10 / 0.033 = 303, capped at 300 as in SID
    assert ds["00001_01_0.04s"].low_path.name == "00001_01_0.04s.arw"
    assert ds["00001_01_0.04s"].high_path.read_bytes() == b"not really raw"
    meta = json.loads((tmp_path / "out" / "dataset.json").read_text())
    assert meta["low_encoding"] == meta["high_encoding"] == "linear" and meta["raw_copied"] is True
    assert (tmp_path / "out" / "labels.csv").read_text().splitlines()[0] == "name,text,exposure_ratio,level"


def test_sid_list_file(tmp_path):
    sid_tree(tmp_path / "SID")
    lst = tmp_path / "SID" / "Sony_test_list.txt"
    lst.write_text("./Sony/short/00002_00_0.033s.ARW ./Sony/long/00002_00_10s.ARW ISO200 F8\n\n"
                   "./Sony/short/00001_01_0.04s.ARW ./Sony/long/00001_00_10s.ARW ISO200 F8\n"
                   "./Sony/short/00002_00_0.033s.ARW ./Sony/long/00002_00_10s.ARW ISO200 F8\n")  # repeats are merged
    assert convert_sid(tmp_path / "SID", tmp_path / "out", lists=[lst], copy_raw=True).pairs == 2
    assert names(tmp_path / "out") == ["00001_01_0.04s", "00002_00_0.033s"]


@pytest.mark.parametrize("line, message", [
    ("./Sony/short/00009_00_0.1s.ARW ./Sony/long/00009_00_10s.ARW", r"line 1 names 00009_00_0.1s.ARW, which is not in"),
    ("./Sony/short/00001_00_0.1s.ARW", "line 1 names one file"),
    ("./Sony/long/00001_00_10s.ARW ./Sony/short/00001_00_0.1s.ARW", "line 1 names 00001_00_10s.ARW, which is not in"),
])
def test_sid_list_errors_name_the_line(tmp_path, line, message):
    sid_tree(tmp_path / "SID")
    (tmp_path / "list.txt").write_text(line + "\n")
    with pytest.raises(DatasetError, match=message):
        convert_sid(tmp_path / "SID", tmp_path / "out", lists=[tmp_path / "list.txt"], copy_raw=True)


def test_sid_layout_errors(tmp_path):
    sid_tree(tmp_path / "SID")
    fake_raw(tmp_path / "SID" / "Sony" / "short" / "00003_00_0.1s.ARW")
    with pytest.raises(DatasetError, match=r"00003_00_0.1s.ARW: no long exposure of scene 00003"):
        convert_sid(tmp_path / "SID", tmp_path / "out", copy_raw=True)
    (tmp_path / "SID" / "Sony" / "short" / "00003_00_0.1s.ARW").rename(tmp_path / "SID" / "Sony" / "short" / "IMG_1.ARW")
    with pytest.raises(DatasetError, match=r"IMG_1.ARW: name does not follow SID's SCENE_SHOT_SECONDSs pattern"):
        convert_sid(tmp_path / "SID", tmp_path / "out", copy_raw=True)
    with pytest.raises(DatasetError, match="expected Sony/short/ and Sony/long/"):
        convert_sid(tmp_path, tmp_path / "out", copy_raw=True)


def test_level_for_ratio_follows_the_simulation_levels():
    assert [level_for_ratio(r) for r in (2, 4, 12, 30, 100, 250, 300, 2000)] == [
        "dusk", "dusk", "dim", "dark", "night", "extreme", "extreme", "extreme"]


def test_sid_decoding_a_fake_raw_names_the_file(tmp_path):
    sid_tree(tmp_path / "SID")
    with pytest.raises(InputError, match=r"00001_00_0.1s.ARW: not a RAW file rawpy/LibRaw can decode"):
        convert_sid(tmp_path / "SID", tmp_path / "out")


def write_dng(path, value, width=64, height=48):
    """A tiny constant CFA DNG (RGGB, black 500, white 4500, identity colour) that LibRaw reads, whatever its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    extratags = [(50706, "B", 4, (1, 4, 0, 0)), (33421, "H", 2, (2, 2)), (33422, "B", 4, (0, 1, 1, 2)),
                 (50714, "H", 1, (500,)), (50717, "H", 1, (4500,)), (50721, "f", 9, (1, 0, 0, 0, 1, 0, 0, 0, 1)),
                 (50728, "f", 3, (1.0, 1.0, 1.0))]
    tifffile.imwrite(path, np.full((height, width), value, np.uint16), photometric=32803, extratags=extratags,
                     subfiletype=0)


@pytest.fixture
def decodable_sid(tmp_path):
    rawpy = pytest.importorskip("rawpy")
    root = sid_tree(tmp_path / "SID", write=write_dng)
    try:
        with rawpy.imread(str(root / "Sony" / "long" / "00001_00_10s.ARW")):
            pass
    except Exception:
        pytest.skip("this LibRaw does not accept the minimal DNG")
    return root


@pytest.mark.parametrize("half_size", [False, True])
def test_sid_decodes_to_linear_16bit_pngs(decodable_sid, tmp_path, half_size):
    convert_sid(decodable_sid, tmp_path / "out", half_size=half_size)
    ds = LowLightDataset(tmp_path / "out", require_high=True)
    assert ds.low_linear and ds.high_linear and len(ds) == 3
    item = ds[0]
    assert item.low_path.name == "00001_00_0.1s.png"
    raw16 = cv2.imread(str(item.low_path), cv2.IMREAD_UNCHANGED)
    assert raw16.dtype == np.uint16 and raw16.shape == ((24, 32, 3) if half_size else (48, 64, 3))
    dark, light = ds.load_pair(item)
    # (value - black) / (white - black), no gamma, no brightening: 100/4000 and 2000/4000
    assert np.allclose(dark.mean(), 0.025, atol=0.003) and np.allclose(light.mean(), 0.5, atol=0.02)
    # one long exposure serves two short ones: decoded once, hard-linked
    assert ds[0].high_path.stat().st_ino == ds[1].high_path.stat().st_ino != ds[2].high_path.stat().st_ino


# --------------------------------------------------------------------------- darken, command line


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


def test_converter_command_line(tmp_path):
    lol_tree(tmp_path / "LOL")
    run = [sys.executable, "-m", "data_prep.lol", str(tmp_path / "LOL"), str(tmp_path / "out"), "--split", "eval15"]
    ok = subprocess.run(run, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.strip() == f"wrote 2 LOL pairs to {tmp_path / 'out'}"
    again = subprocess.run(run, capture_output=True, text=True)  # OUT is not empty now
    assert again.returncode == 2 and again.stderr.startswith("error: ") and again.stderr.count("\n") == 1
    assert "--overwrite" in again.stderr and "Traceback" not in again.stderr
    assert subprocess.run(run + ["--overwrite"], capture_output=True, text=True).returncode == 0


def test_converter_errors_are_one_line(tmp_path, capsys):
    from data_prep import lowlight_xu, sid_sony

    for module in (lowlight_xu, sid_sony):
        with pytest.raises(SystemExit) as info:
            run_cli(module.build_parser(), module.main, [str(tmp_path / "none"), str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert info.value.code == 2 and err.startswith("error: ") and err.count("\n") == 1


# --------------------------------------------------------------------------- split


def split_tree(root, n=6, low=True):
    for i in range(n):
        png(root / "high" / f"p{i}.png", 100 + i)
        if low:
            png(root / "low" / f"p{i}.png", 10 + i)
    (root / "labels.csv").write_text("name,text,level\n" + "".join(f"p{i},WORD{i},dim\n" for i in range(n)))
    (root / "words.csv").write_text("name,x0,y0,x1,y1,text\n" + "".join(f"p{i},0,0,4,4,WORD{i}\n" for i in range(n)))


def test_split_by_position_keeps_labels_and_words(tmp_path):
    split_tree(tmp_path / "src")
    assert split_dataset(tmp_path / "src", tmp_path / "fit", tmp_path / "val", every=3, offset=2) == (4, 2)
    val = LowLightDataset(tmp_path / "val", require_high=True)
    assert [it.name for it in val] == ["p2", "p5"] and [it.text for it in val] == ["WORD2", "WORD5"]
    assert val[0].level == "dim"
    assert names(tmp_path / "fit") == ["p0", "p1", "p3", "p4"]
    assert (tmp_path / "val" / "words.csv").read_text().splitlines()[1:] == ["p2,0,0,4,4,WORD2", "p5,0,0,4,4,WORD5"]
    split_dataset(tmp_path / "src", tmp_path / "fit2", tmp_path / "first", first=2, mode="symlink")
    assert sorted(p.name for p in (tmp_path / "first" / "high").iterdir()) == ["p0.png", "p1.png"]
    assert (tmp_path / "first" / "high" / "p0.png").is_symlink()


def test_split_of_well_lit_photos_only_and_errors(tmp_path):
    from data_prep.split import build_parser, main

    split_tree(tmp_path / "src", n=3, low=False)
    with pytest.raises(DatasetError, match="exactly one"):
        split_dataset(tmp_path / "src", tmp_path / "a", tmp_path / "b")
    with pytest.raises(DatasetError, match="--first 3"):
        split_dataset(tmp_path / "src", tmp_path / "a", tmp_path / "b", first=3)
    assert main(build_parser().parse_args([str(tmp_path / "src"), str(tmp_path / "a"), str(tmp_path / "b"),
                                           "--first", "1"])).startswith("wrote 2 images")
    assert not (tmp_path / "b" / "low").exists() or not any((tmp_path / "b" / "low").iterdir())
    with pytest.raises(SystemExit) as info:  # the same command again: OUT is not empty
        run_cli(build_parser(), main, [str(tmp_path / "src"), str(tmp_path / "a"), str(tmp_path / "b"), "--first", "1"])
    assert info.value.code == 2


# --------------------------------------------------------------------------- word crops


def test_word_crops_are_cut_losslessly_with_context_and_named_by_position(tmp_path):
    from data_prep.word_crops import cut_word_crops

    src = tmp_path / "photos"
    photo = np.arange(40 * 60 * 3, dtype=np.uint8).reshape(40, 60, 3)
    for side in ("high", "low"):
        (src / side).mkdir(parents=True)
        Image.fromarray(photo if side == "high" else photo // 8).save(src / side / "a.png")
    (src / "words.csv").write_text("name,x0,y0,x1,y1,text\na,10,10,30,20,OPEN\na,50,30,70,50,EDGE\n"
                                   "a,100,100,120,110,GONE\nmissing,0,0,5,5,NONE\n")
    assert cut_word_crops(src, tmp_path / "crops", margin=0.5) == (2, 2)
    crops = LowLightDataset(tmp_path / "crops", require_high=True)
    assert [(it.name, it.text) for it in crops] == [("a_0", "OPEN"), ("a_1", "EDGE")]
    first = np.asarray(Image.open(tmp_path / "crops" / "high" / "a_0.png"))
    assert np.array_equal(first, photo[5:25, 5:35])  # 0.5 x the 10-px height on every side, pixels unchanged
    assert np.array_equal(np.asarray(Image.open(tmp_path / "crops" / "low" / "a_0.png")), photo[5:25, 5:35] // 8)
    assert np.asarray(Image.open(tmp_path / "crops" / "high" / "a_1.png")).shape == (20, 20, 3)  # x 40-80, y 20-60, clipped to 40-60, 20-40


@pytest.mark.parametrize("rows, message", [
    ("name,x0,y0,x1,y1\n", "header"),
    ("name,x0,y0,x1,y1,text\na,1,2,x,4,W\n", "line 2: the box"),
    ("name,x0,y0,x1,y1,text\na,5,5,5,9,W\n", "line 2: the box has no area"),
    ("name,x0,y0,x1,y1,text\na,1,2,3\n", "line 2 has 4 fields"),
])
def test_word_crops_errors_name_the_line(tmp_path, rows, message):
    from data_prep.word_crops import build_parser, cut_word_crops, main

    png(tmp_path / "src" / "high" / "a.png")
    (tmp_path / "src" / "words.csv").write_text(rows)
    with pytest.raises(DatasetError, match=message):
        cut_word_crops(tmp_path / "src", tmp_path / "out")
    with pytest.raises(SystemExit) as info:
        run_cli(build_parser(), main, [str(tmp_path / "src"), str(tmp_path / "out2")])
    assert info.value.code == 2
