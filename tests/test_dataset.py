"""The standard-layout dataset reader and writers, and their one-line errors."""

import json

import numpy as np
import pytest
from PIL import Image

from did_ocr.data.dataset import (DatasetItem, DatasetWarning, LowLightDataset, read_labels, write_dataset_meta,
                                  write_labels)
from did_ocr.errors import DatasetError, DidOcrError

LABELS = 'name,text,level,source\na,OPEN,dim,street\nb,"STOP, NOW",dark,\n'


def png(path, value, size=(8, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), value, np.uint8)).save(path)


def make(root, names=("a", "b"), high=True, labels=LABELS):
    (root / "low").mkdir(parents=True)
    for n in names:
        png(root / "low" / f"{n}.png", 10)
        if high:
            png(root / "high" / f"{n}.png", 200)
    if labels is not None:
        (root / "labels.csv").write_text(labels, encoding="utf-8")
    return root


def test_happy_path(tmp_path):
    ds = LowLightDataset(make(tmp_path), require_high=True)
    assert len(ds) == 2 and [it.name for it in ds] == ["a", "b"] and ds[-1] is ds.items[1]
    a, b = ds
    assert a == DatasetItem("a", tmp_path / "low" / "a.png", tmp_path / "high" / "a.png", "OPEN", "dim",
                            {"source": "street"})
    assert b.text == "STOP, NOW" and b.level == "dark" and b.extra == {"source": ""}
    assert [it.name for it in ds[:1]] == ["a"]
    assert ds.levels() == ["dim", "dark"]  # brightest first, not alphabetical
    dark, light = ds.load_pair(a)
    assert dark.shape == light.shape == (8, 8, 3) and dark.dtype == np.float32
    assert np.allclose(light, ((200 / 255 + 0.055) / 1.055) ** 2.4, atol=1e-5)  # sRGB decoded to linear light
    assert np.allclose(dark, 10 / 255 / 12.92, atol=1e-6)
    assert not ds.low_linear and not ds.high_linear and ds.unpaired_high == []


def test_levels_known_first_then_alphabetical(tmp_path):
    labels = "name,text,level\na,,extreme\nb,,moonless\nc,,dusk\nd,,\n"
    ds = LowLightDataset(make(tmp_path, names="abcd", labels=labels))
    assert ds.levels() == ["dusk", "extreme", "moonless"] and ds[3].level is None


def test_encodings_from_dataset_json(tmp_path):
    root = make(tmp_path)
    (root / "dataset.json").write_text(json.dumps({"low_encoding": "linear", "source": "test"}))
    ds = LowLightDataset(root)
    assert ds.low_linear and not ds.high_linear and ds.meta["source"] == "test"
    linear, srgb = ds.load_low(ds[0]), LowLightDataset(make(tmp_path / "plain")).load_low(ds[0])
    assert np.allclose(linear, 10 / 255, atol=1e-6) and srgb.mean() < linear.mean()  # no sRGB decoding


@pytest.mark.parametrize("content, message", [
    (json.dumps({"low_encoding": "gamma"}), "low_encoding must be 'srgb' or 'linear'"),
    (json.dumps({"high_encoding": 1}), "high_encoding must be"),
    ("{not json", r"dataset.json: invalid JSON at line 1"),
    ("[1, 2]", "must hold a JSON object"),
])
def test_bad_dataset_json(tmp_path, content, message):
    root = make(tmp_path)
    (root / "dataset.json").write_text(content)
    with pytest.raises(DatasetError, match=message):
        LowLightDataset(root)


def test_labels_are_optional(tmp_path):
    ds = LowLightDataset(make(tmp_path, labels=None))
    assert all(it.text == "" and it.level is None and it.extra == {} for it in ds)


def test_images_without_a_row_get_empty_labels(tmp_path):
    ds = LowLightDataset(make(tmp_path, labels="name,text\nb,STOP\n"))
    assert [(it.name, it.text) for it in ds] == [("a", ""), ("b", "STOP")]


def test_bom_crlf_blank_lines_and_multiline_text(tmp_path):
    labels = '\ufeffname,text\r\na,"TWO\r\nLINES"\r\n\r\nb, padded \r\n'
    root = make(tmp_path, labels=None)
    (root / "labels.csv").write_bytes(labels.encode("utf-8"))
    ds = LowLightDataset(root)
    assert ds[0].text == "TWO\r\nLINES" and ds[1].text == "padded"


@pytest.mark.parametrize("labels, message", [
    ("title,words\na,OPEN\n", r"labels.csv: line 1 must be a header with the columns name and text \(missing name, text\)"),
    ("name,level\na,dim\n", r"missing text"),
    ("name,text,text\na,b,c\n", "repeats the column 'text'"),
    ("name,text,\na,b,c\n", "empty column name"),
    ("name,text\na,OPEN,extra\n", "line 2 has 3 fields, the header has 2; quote texts that contain commas"),
    ("name,text\na,OPEN\nb\n", "line 3 has 1 fields"),
    ("name,text\na,OPEN\na,AGAIN\n", "line 3 repeats the name 'a'"),
    ("name,text\n,OPEN\n", "line 2 has an empty name"),
    ('name,text\na,"OPEN\n', "line 2 is malformed CSV"),
    ('name,text\na,"OP"EN\n', "line 2 is malformed CSV"),
    ("name,text\nzzz,OPEN\na.png,X\n", r"2 name\(s\) without an image in low/: zzz, a.png; names are file stems"),
    ("", "labels.csv: empty; it needs a header line"),
])
def test_malformed_labels_name_the_file_and_line(tmp_path, labels, message):
    with pytest.raises(DatasetError, match=message) as info:
        LowLightDataset(make(tmp_path, labels=labels))
    assert str(tmp_path / "labels.csv") in str(info.value) and "\n" not in str(info.value)


def test_non_utf8_labels_name_the_line(tmp_path):
    root = make(tmp_path, labels=None)
    (root / "labels.csv").write_bytes("name,text\na,OPEN\nb,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"labels.csv: line 3 is not UTF-8 text .*save the file as UTF-8"):
        LowLightDataset(root)


def test_missing_partner_is_an_error_only_when_training(tmp_path):
    root = make(tmp_path)
    (root / "high" / "b.png").unlink()
    assert LowLightDataset(root)[1].high_path is None
    with pytest.raises(DatasetError, match=r"b.png: no well-lit partner high/b\.\* \(training needs pairs\)"):
        LowLightDataset(root, require_high=True)
    with pytest.raises(DatasetError, match="b.png: no well-lit partner"):
        LowLightDataset(root).load_pair(LowLightDataset(root)[1])


def test_no_high_folder_at_all(tmp_path):
    ds = LowLightDataset(make(tmp_path, high=False))
    assert all(it.high_path is None for it in ds)
    with pytest.raises(DatasetError, match="a.png: no well-lit partner"):
        LowLightDataset(tmp_path, require_high=True)


def test_high_without_low_is_skipped_with_a_warning(tmp_path):
    root = make(tmp_path)
    png(root / "high" / "c.jpg", 200)
    with pytest.warns(DatasetWarning, match=r"high: 1 well-lit image\(s\) without a dark capture in low/ are skipped: c.jpg"):
        ds = LowLightDataset(root, require_high=True)
    assert len(ds) == 2 and ds.unpaired_high == [root / "high" / "c.jpg"]


def test_layout_errors(tmp_path):
    with pytest.raises(DatasetError, match="nope: dataset folder not found"):
        LowLightDataset(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        LowLightDataset(tmp_path / "file")
    (tmp_path / "x").mkdir()
    with pytest.raises(DatasetError, match="x: no low/ folder"):
        LowLightDataset(tmp_path / "x")
    (tmp_path / "x" / "low").mkdir()
    (tmp_path / "x" / "low" / "notes.txt").write_text("not an image")
    with pytest.raises(DatasetError, match=r"low: no images \(supported: .*\.png"):
        LowLightDataset(tmp_path / "x")


def test_hidden_and_unsupported_files_are_ignored(tmp_path):
    root = make(tmp_path)
    (root / "low" / ".a.png").write_bytes(b"macOS resource fork")
    (root / "low" / "README.md").write_text("about")
    (root / "low" / "sub").mkdir()
    assert [it.name for it in LowLightDataset(root)] == ["a", "b"]


@pytest.mark.parametrize("folder", ["low", "high"])
def test_two_files_with_one_name(tmp_path, folder):
    root = make(tmp_path)
    png(root / folder / "a.jpg", 10)
    with pytest.raises(DatasetError, match=rf"{folder}/a.png: two files named 'a' in .*\(a.jpg too\); keep one per name"):
        LowLightDataset(root)


def test_raw_and_16bit_files_are_matched_by_stem(tmp_path):
    root = make(tmp_path, names=("a",), labels=None)
    (root / "high" / "a.png").unlink()
    Image.fromarray(np.full((8, 8), 40000, np.uint16)).save(root / "high" / "a.tif")
    (root / "low" / "a.png").rename(root / "low" / "a.ARW")
    item = LowLightDataset(root, require_high=True)[0]
    assert item.low_path.name == "a.ARW" and item.high_path.name == "a.tif"


def test_errors_are_did_ocr_errors_on_one_line(tmp_path):
    with pytest.raises(DidOcrError) as info:
        LowLightDataset(make(tmp_path, labels="name,text\na,1,2\n"))
    assert "\n" not in str(info.value)


def test_write_labels_round_trip(tmp_path):
    make(tmp_path, labels=None)
    write_labels(tmp_path / "labels.csv", [
        {"name": "a", "text": 'say "hi", then\nleave', "level": "dim", "ratio": 100},
        {"name": "b", "text": "", "note": None},
    ])
    assert (tmp_path / "labels.csv").read_text().splitlines()[0] == "name,text,level,ratio,note"
    ds = LowLightDataset(tmp_path)
    assert ds[0].text == 'say "hi", then\nleave' and ds[0].level == "dim" and ds[0].extra == {"ratio": "100", "note": ""}
    assert ds[1].level is None and ds[1].extra == {"ratio": "", "note": ""}
    assert read_labels(tmp_path / "labels.csv")["a"]["ratio"] == "100"


def test_write_labels_column_order_and_bad_rows(tmp_path):
    write_labels(tmp_path / "l.csv", [{"text": "x", "name": "a", "z": "1"}], columns=("name", "level", "text"))
    assert (tmp_path / "l.csv").read_text() == "name,text,level,z\na,x,,1\n"
    with pytest.raises(DatasetError, match="row 3 has a repeated name 'a'"):
        write_labels(tmp_path / "l.csv", [{"name": "a"}, {"name": "a"}])
    with pytest.raises(DatasetError, match="row 2 has an empty name"):
        write_labels(tmp_path / "l.csv", [{"text": "no name"}])
    assert (tmp_path / "l.csv").read_text() == "name,text,level,z\na,x,,1\n"  # a failed write leaves the old file


def test_write_dataset_meta_updates_and_checks(tmp_path):
    make(tmp_path)
    assert write_dataset_meta(tmp_path, source="LOL", low_encoding="linear") == {"source": "LOL", "low_encoding": "linear"}
    write_dataset_meta(tmp_path, note="ü")
    assert json.loads((tmp_path / "dataset.json").read_text(encoding="utf-8")) == {
        "source": "LOL", "low_encoding": "linear", "note": "ü"}
    assert LowLightDataset(tmp_path).low_linear
    with pytest.raises(DatasetError, match="high_encoding must be 'srgb' or 'linear'"):
        write_dataset_meta(tmp_path, high_encoding="log")
    (tmp_path / "dataset.json").write_text("{")
    with pytest.raises(DatasetError, match="invalid JSON"):
        write_dataset_meta(tmp_path, source="x")


def test_unreadable_labels(tmp_path):
    root = make(tmp_path, labels=None)
    (root / "labels.csv").mkdir()  # exists, but cannot be read as a file (works as root too, unlike chmod)
    with pytest.raises(DatasetError, match="labels.csv: cannot be read"):
        LowLightDataset(root)


def test_levels_are_ordered_brightest_first_then_unknown_names_alphabetically():
    from did_ocr.data.levels import BENCH_LEVELS, LEVELS, order_levels

    assert order_levels(["night", "zz", "dusk", "aa", "night", "extreme", "dim"]) == [
        "dusk", "dim", "night", "extreme", "aa", "zz"]
    exposures = [LEVELS[name].exposure for name in order_levels(LEVELS)]
    assert all(a[1] > b[1] for a, b in zip(exposures, exposures[1:]))  # "brightest first" is the exposures' order
    assert BENCH_LEVELS == ("dim", "dark", "night", "extreme")
