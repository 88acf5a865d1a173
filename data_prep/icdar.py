"""ICDAR-style word annotations -> the ``text`` column of labels.csv (and boxes.jsonl).

One text file per image (``gt_NAME.txt`` or ``NAME.txt``), one word per line::

    x1,y1,x2,y2,x3,y3,x4,y4,text

The text may itself contain commas (everything after the 8th comma is the
text); a UTF-8 BOM is tolerated; ``###`` marks an illegible word and is
ignored. Words are put in reading order (lines top to bottom, left to right)
and joined by spaces. This is the format published for SID-Sony-Text,
SID-Fuji-Text and LOL-Text. An annotation named ``NAME`` applies to the image
``NAME`` or, failing that, to every image whose name starts with ``NAME_``
(SID captures several short exposures of one annotated scene).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from data_prep.common import new_parser, run_cli
from did_ocr.data.dataset import LowLightDataset, read_labels, write_labels
from did_ocr.errors import DidOcrError
from did_ocr.fileio import atomic_write_text
from did_ocr.ocr.reader import OcrWord, group_lines

ILLEGIBLE = "###"


@dataclass(frozen=True)
class Annotation:
    name: str
    words: list[OcrWord]

    @property
    def text(self) -> str:
        return " ".join(line.text for line in group_lines(self.words))


def parse_annotation(path: Path) -> list[OcrWord]:
    """The legible words of one annotation file; malformed lines are errors naming the line."""
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        content = path.read_bytes().decode("latin-1")
    words = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(",", 8)
        if len(parts) < 9:
            raise DidOcrError(f"{path}: line {number} is not x1,y1,...,x4,y4,text")
        try:
            coords = [float(v) for v in parts[:8]]
        except ValueError:
            raise DidOcrError(f"{path}: line {number} has a non-numeric coordinate") from None
        text = parts[8].strip().strip('"')
        if not text or text == ILLEGIBLE:
            continue
        box = [[coords[i], coords[i + 1]] for i in range(0, 8, 2)]
        words.append(OcrWord(text=text, confidence=1.0, box=box))
    return words


def read_annotations(folder: str | Path, prefix: str = "gt_") -> dict[str, Annotation]:
    folder = Path(folder)
    if not folder.is_dir():
        raise DidOcrError(f"{folder}: annotation folder not found")
    out = {}
    for path in sorted(folder.glob("*.txt")):
        name = path.stem[len(prefix):] if prefix and path.stem.startswith(prefix) else path.stem
        out[name] = Annotation(name, parse_annotation(path))
    if not out:
        raise DidOcrError(f"{folder}: no .txt annotation files")
    return out


def merge_annotations(dataset: str | Path, annotations: str | Path, prefix: str = "gt_") -> int:
    """Fill labels.csv's text column of a standard-layout dataset from annotations; returns images labelled."""
    root = Path(dataset)
    items = LowLightDataset(root)
    anns = read_annotations(annotations, prefix)
    labels_path = root / "labels.csv"
    existing = read_labels(labels_path) if labels_path.exists() else {}
    rows, boxes, labelled = [], [], 0
    for item in items:
        row = dict(existing.get(item.name, {"name": item.name, "text": ""}))
        ann = anns.get(item.name) or next((a for n, a in anns.items() if item.name.startswith(n + "_")), None)
        if ann is not None:
            row["text"] = ann.text
            labelled += 1
            boxes.append(json.dumps({"name": item.name, "words": [{"text": w.text, "box": w.box} for w in ann.words]}))
        rows.append(row)
    columns = tuple(["name", "text"] + [c for c in (rows[0] if rows else {}) if c not in ("name", "text")])
    write_labels(labels_path, rows, columns=columns)
    atomic_write_text(root / "boxes.jsonl", "\n".join(boxes) + ("\n" if boxes else ""))
    return labelled


def main(args: argparse.Namespace) -> str:
    n = merge_annotations(args.dataset, args.annotations, args.prefix)
    return f"labelled {n} images of {args.dataset}"


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("icdar", __doc__, (("dataset", "a standard-layout dataset (low/, labels.csv)"),
                                           ("annotations", "folder of ICDAR-style .txt files")))
    parser.add_argument("--prefix", default="gt_", help="file-name prefix to strip (default gt_)")
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
