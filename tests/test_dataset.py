"""The standard-layout dataset reader and its one-line errors."""

import json

import numpy as np
import pytest
from PIL import Image

from did_ocr.data.dataset import LowLightDataset, write_labels
from did_ocr.errors import DatasetError


def make(root, names=("a", "b"), high=True, labels="name,text,level\na,OPEN,dim\nb,\"STOP, NOW\",dark\n"):
    (root / "low").mkdir(parents=True)
    if high:
        (root / "high").mkdir()
    for n in names:
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "low" / f"{n}.png")
        if high:
            Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(root / "high" / f"{n}.png")
    if labels is not None:
        (root / "labels.csv").write_text(labels)
    return root


def test_happy_path(tmp_path):
    ds = LowLightDataset(make(tmp_path), require_high=True)
    assert [it.name for it in ds] == ["a", "b"] and len(ds) == 2
    assert ds[1].text == "STOP, NOW" and ds.levels() == ["dark", "dim"]
    dark, light = ds.load_pair(ds[0])
    assert dark.shape == light.shape == (8, 8, 3) and light.mean() > dark.mean()


def test_encodings_from_dataset_json(tmp_path):
    root = make(tmp_path)
    (root / "dataset.json").write_text(json.dumps({"low_encoding": "linear"}))
    ds = LowLightDataset(root)
    assert ds.low_linear and not ds.high_linear
    (root / "dataset.json").write_text(json.dumps({"low_encoding": "gamma"}))
    with pytest.raises(DatasetError, match="low_encoding"):
        LowLightDataset(root)


def test_labels_are_optional(tmp_path):
    ds = LowLightDataset(make(tmp_path, labels=None))
    assert all(it.text == "" and it.level is None for it in ds)


@pytest.mark.parametrize("labels, message", [
    ("title,words\na,OPEN\n", "header"),
    ("name,text\na,OPEN,extra\n", "line 2 has 3 fields"),
    ("name,text\na,OPEN\na,AGAIN\n", "line 3 repeats"),
    ("name,text\nzzz,OPEN\n", "without an image"),
    ("", "empty"),
])
def test_malformed_labels_name_the_line(tmp_path, labels, message):
    with pytest.raises(DatasetError, match=message):
        LowLightDataset(make(tmp_path, labels=labels))


def test_non_utf8_labels(tmp_path):
    root = make(tmp_path, labels=None)
    (root / "labels.csv").write_bytes("name,text\na,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="UTF-8"):
        LowLightDataset(root)


def test_missing_partner_when_training(tmp_path):
    root = make(tmp_path)
    (root / "high" / "b.png").unlink()
    assert LowLightDataset(root)[1].high_path is None
    with pytest.raises(DatasetError, match="b.png: no well-lit partner"):
        LowLightDataset(root, require_high=True)


def test_layout_errors(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        LowLightDataset(tmp_path / "nope")
    (tmp_path / "x").mkdir()
    with pytest.raises(DatasetError, match="no low/"):
        LowLightDataset(tmp_path / "x")
    (tmp_path / "x" / "low").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        LowLightDataset(tmp_path / "x")


def test_two_files_with_one_name(tmp_path):
    root = make(tmp_path)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "low" / "a.jpg")
    with pytest.raises(DatasetError, match="two files named 'a'"):
        LowLightDataset(root)


def test_write_labels_round_trip(tmp_path):
    make(tmp_path, labels=None)
    write_labels(tmp_path / "labels.csv", [{"name": "a", "text": "x, y", "level": "dim"}, {"name": "b", "text": ""}])
    ds = LowLightDataset(tmp_path)
    assert ds[0].text == "x, y" and ds[0].level == "dim" and ds[1].level is None
