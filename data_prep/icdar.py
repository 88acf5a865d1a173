"""ICDAR-style word annotations -> the ``text`` column of labels.csv and ``boxes.jsonl``.

One text file per image (``gt_img_NAME.txt``, ``gt_NAME.txt`` or
``NAME.txt``), one region per line::

    x1,y1,x2,y2,x3,y3,x4,y4,text        (a quadrilateral, ICDAR 2015)
    left,top,right,bottom,text          (a rectangle, also used by Text in the Dark)

The text may itself contain commas (everything after the coordinates is the
text; ``"quoted"`` texts are unquoted); a UTF-8 BOM is tolerated; ``###``
(or an empty text) marks an illegible region, which is left out of the text
and kept in boxes.jsonl as ``illegible``. The words of an image are put in
reading order by the same line grouping as the OCR output (lines top to
bottom, words left to right within a line), so the ground truth and the
recognized text are ordered alike, and joined by spaces.

Matching an annotation file to an image, in order:

1. by name: the file stem without its ``gt_img_``/``gt_`` prefix equals the
   image name (or the name the image had in the source dataset);
2. by prefix: the image name starts with ``STEM_`` (longest stem wins), for
   annotations written per scene or per shot;
3. with ``--by-scene`` (automatic in ``data_prep.sid_sony``): the 5-digit SID
   scene id, so one annotation of a scene's long exposure labels every short
   exposure of that scene (they are aligned captures of a static scene).

Images without an annotation keep their labels.csv row as it was.

Transcriptions: the "Text in the Dark" release (SID-Sony-Text, SID-Fuji-Text,
LOL-Text) labels each region with a class, ``Text`` or ``###``, not with its
words. Such folders are detected (``--transcriptions auto``: every legible
region says ``Text``): labels.csv is then left unchanged and only the boxes
are exported. ``yes``/``no`` force either behaviour.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from data_prep.common import BOXES_FILE, Pair, new_parser, run_cli
from did_ocr.data.dataset import LABELS_FILE, LowLightDataset, read_labels, read_utf8, write_labels
from did_ocr.errors import DatasetError
from did_ocr.fileio import atomic_write_text
from did_ocr.ocr.words import OcrWord, group_lines

ILLEGIBLE = "###"
#: texts that name a class instead of transcribing the words (Text in the Dark)
CLASS_PLACEHOLDERS = frozenset({"Text"})
DEFAULT_PREFIXES = ("gt_img_", "gt_")
TRANSCRIPTIONS = ("auto", "yes", "no")
_SID_SCENE_OF_NAME = re.compile(r"^(\d{5})_")
_SID_SCENE_OF_KEY = re.compile(r"^(\d{5})")

Box = list[list[float]]


@dataclass(frozen=True)
class Region:
    """One annotated region: four corners (clockwise from top-left as given) and its text (None: illegible)."""

    box: Box
    text: str | None


@dataclass(frozen=True)
class Annotation:
    """The regions of one annotation file and the names it may match (its stem with and without prefixes)."""

    path: Path
    regions: tuple[Region, ...]
    key: str  # the stem without the longest known prefix
    other_keys: tuple[str, ...] = ()

    @property
    def words(self) -> list[OcrWord]:
        return [OcrWord(text=r.text, confidence=1.0, box=r.box) for r in self.regions if r.text is not None]

    def ordered_words(self) -> list[OcrWord]:
        """The legible words in reading order."""
        return [word for line in group_lines(self.words) for word in line.words]

    @property
    def text(self) -> str:
        """The legible words in reading order, joined by spaces."""
        return " ".join(word.text for word in self.ordered_words())


# --------------------------------------------------------------------------- parsing


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].replace('""', '"')
    return text.strip()


def parse_line(path: Path, number: int, line: str) -> Region | None:
    """One region from one line, None for a blank line; a malformed line is an error naming it."""
    line = line.lstrip("\ufeff").strip()
    if not line:
        return None
    parts = line.split(",", 8)
    numbers = [_number(p) for p in parts[:8]]
    if len(parts) >= 8 and all(n is not None for n in numbers):  # a quadrilateral, text optional
        coords = [float(n) for n in numbers]  # type: ignore[arg-type]
        box = [[coords[i], coords[i + 1]] for i in range(0, 8, 2)]
        text = _unquote(parts[8]) if len(parts) > 8 else ""
    elif len(parts) >= 5 and all(n is not None for n in numbers[:4]):  # left,top,right,bottom,text
        left, top, right, bottom = (float(n) for n in numbers[:4])  # type: ignore[arg-type]
        box = [[left, top], [right, top], [right, bottom], [left, bottom]]
        text = _unquote(",".join(parts[4:]))
    else:
        raise DatasetError(f"{path}: line {number} is neither x1,y1,x2,y2,x3,y3,x4,y4,text "
                           "nor left,top,right,bottom,text")
    return Region(box=box, text=None if text in ("", ILLEGIBLE) else text)


def _keys(stem: str, prefixes: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """(primary key, other keys): the stem without the longest matching prefix, then the other readings."""
    stripped = [stem[len(p):] for p in sorted(prefixes, key=len, reverse=True) if p and stem.startswith(p)]
    readings = list(dict.fromkeys([*(s for s in stripped if s), stem]))
    return readings[0], tuple(readings[1:])


def parse_annotation(path: str | Path, prefixes: Sequence[str] = DEFAULT_PREFIXES) -> Annotation:
    """Every region of one annotation file; malformed lines and non-UTF-8 files are errors naming the line."""
    path = Path(path)
    regions = [r for n, line in enumerate(read_utf8(path).splitlines(), start=1) if (r := parse_line(path, n, line))]
    key, others = _keys(path.stem, prefixes)
    return Annotation(path=path, regions=tuple(regions), key=key, other_keys=others)


def read_annotations(folder: str | Path, prefixes: Sequence[str] = DEFAULT_PREFIXES) -> list[Annotation]:
    """Every ``*.txt`` annotation directly in ``folder``, sorted by file name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: annotation folder not found")
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".txt"
                   and not p.name.startswith("."))
    if not paths:
        below = sum(1 for _ in folder.rglob("*.txt"))
        hint = f" ({below} in its sub-folders: pass the folder that holds them)" if below else ""
        raise DatasetError(f"{folder}: no .txt annotation files{hint}")
    return [parse_annotation(p, prefixes) for p in paths]


def is_class_only(annotations: Sequence[Annotation]) -> bool:
    """Whether the legible regions carry a class name (``Text``) instead of their words, in every file."""
    texts = {r.text for a in annotations for r in a.regions if r.text is not None}
    return bool(texts) and texts <= CLASS_PLACEHOLDERS


# --------------------------------------------------------------------------- matching


@dataclass
class Matcher:
    """Finds the annotation of an image name (see the module docstring for the rules)."""

    annotations: Sequence[Annotation]
    by_scene: bool = False
    _primary: dict[str, list[Annotation]] = field(default_factory=dict, init=False)
    _other: dict[str, list[Annotation]] = field(default_factory=dict, init=False)
    _scenes: dict[str, list[Annotation]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for ann in self.annotations:
            self._primary.setdefault(ann.key, []).append(ann)
            for key in ann.other_keys:
                self._other.setdefault(key, []).append(ann)
            scene = _SID_SCENE_OF_KEY.match(ann.key)
            if scene:
                self._scenes.setdefault(scene.group(1), []).append(ann)

    def find(self, name: str, *aliases: str) -> Annotation | None:
        """The annotation of the image ``name`` (also tried under its ``aliases``), or None."""
        names = list(dict.fromkeys([name, *(a for a in aliases if a)]))
        for rule in (self._by_name, self._by_prefix, self._by_scene):
            for candidate in names:
                found = rule(name, candidate)
                if found is not None:
                    return found
        return None

    def _by_name(self, image: str, candidate: str) -> Annotation | None:
        for table in (self._primary, self._other):
            found = _unique(image, table.get(candidate, []), "named")
            if found is not None:
                return found
        return None

    def _by_prefix(self, image: str, candidate: str) -> Annotation | None:
        keys = [key for key in self._primary if candidate.startswith(key + "_")]
        return _unique(image, self._primary[max(keys, key=len)], "named") if keys else None

    def _by_scene(self, image: str, candidate: str) -> Annotation | None:
        scene = _SID_SCENE_OF_NAME.match(candidate) if self.by_scene else None
        return _unique(image, self._scenes.get(scene.group(1), []), f"of scene {scene.group(1)}") if scene else None


def _unique(image: str, found: Sequence[Annotation], what: str) -> Annotation | None:
    if len(found) > 1:
        raise DatasetError(f"{found[1].path}: {len(found)} annotation files {what} for the image {image!r} "
                           f"({found[0].path.name} too); keep one per image")
    return found[0] if found else None


# --------------------------------------------------------------------------- merging


@dataclass(frozen=True)
class MergeResult:
    """What merging annotations into a dataset did."""

    dataset: Path
    images: int
    labelled: int  # images whose text was set from an annotation
    boxed: int  # images with a line in boxes.jsonl
    transcribed: bool  # False: class-only annotations, labels.csv texts left unchanged
    unused: tuple[str, ...]  # annotation files that matched no image

    def summary(self) -> str:
        parts = [f"{self.boxed} of {self.images} images of {self.dataset} annotated",
                 f"text set for {self.labelled}" if self.transcribed else
                 "annotations hold region classes (Text/###), not words: labels.csv texts unchanged, boxes exported"]
        if self.unused:
            parts.append(f"{len(self.unused)} annotation file(s) matched no image (e.g. {self.unused[0]})")
        return "; ".join(parts)


def merge_annotations(dataset: str | Path, annotations: str | Path, *, prefixes: Sequence[str] = DEFAULT_PREFIXES,
                      aliases: Mapping[str, str] | None = None, by_scene: bool = False,
                      transcriptions: str = "auto") -> MergeResult:
    """Set labels.csv's text from the annotations of a standard-layout dataset and write boxes.jsonl.

    ``aliases`` maps a dataset name to the name its image had in the source
    dataset (converters prefix colliding names). Other labels.csv columns and
    rows are kept. boxes.jsonl gets one JSON object per annotated image:
    ``{"name", "annotation", "words": [{"text", "box"}] (reading order; text
    null for class-only annotations), "illegible": [box, ...]}``.
    """
    if transcriptions not in TRANSCRIPTIONS:
        raise ValueError(f"transcriptions must be one of {TRANSCRIPTIONS}, not {transcriptions!r}")
    root = Path(dataset)
    items = LowLightDataset(root)
    anns = read_annotations(annotations, prefixes)
    transcribed = transcriptions == "yes" or (transcriptions == "auto" and not is_class_only(anns))
    labels_path = root / LABELS_FILE
    existing = read_labels(labels_path) if labels_path.exists() else {}
    matcher = Matcher(anns, by_scene=by_scene)
    aliases = aliases or {}
    rows, boxes, used = [], [], set()
    for item in items:
        row: dict[str, Any] = dict(existing.get(item.name, {"name": item.name, "text": ""}))
        ann = matcher.find(item.name, aliases.get(item.name, ""))
        if ann is not None:
            used.add(ann.path)
            if transcribed:
                row["text"] = ann.text
            boxes.append(json.dumps(_boxes_record(item.name, ann, transcribed), ensure_ascii=False))
        rows.append(row)
    write_labels(labels_path, rows)  # name, text, then the other columns in labels.csv's order
    atomic_write_text(root / BOXES_FILE, "".join(line + "\n" for line in boxes))
    return MergeResult(dataset=root, images=len(items), labelled=len(boxes) if transcribed else 0, boxed=len(boxes),
                       transcribed=transcribed, unused=tuple(a.path.name for a in anns if a.path not in used))


def merge_annotations_into(out: Path, annotations: str | os.PathLike[str] | None, pairs: Sequence[Pair],
                           by_scene: bool = False) -> str:
    """Merge ICDAR-style annotations into a converted dataset; returns a summary ('' without annotations).

    Annotation files are matched against each pair's source name as well as
    its output name, so prefixing on name collisions does not lose labels.
    """
    if not annotations:
        return ""
    aliases = {p.name: p.source_name for p in pairs if p.source_name and p.source_name != p.name}
    return merge_annotations(out, annotations, aliases=aliases, by_scene=by_scene).summary()


def _boxes_record(name: str, ann: Annotation, transcribed: bool) -> dict[str, Any]:
    return {"name": name, "annotation": ann.path.name,
            "words": [{"text": w.text if transcribed else None, "box": w.box} for w in ann.ordered_words()],
            "illegible": [r.box for r in ann.regions if r.text is None]}


# --------------------------------------------------------------------------- command line


def main(args: argparse.Namespace) -> str:
    result = merge_annotations(args.dataset, args.annotations, prefixes=args.prefix or DEFAULT_PREFIXES,
                               by_scene=args.by_scene, transcriptions=args.transcriptions)
    return result.summary()


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("icdar", __doc__, (("dataset", "a standard-layout dataset (low/, labels.csv)"),
                                           ("annotations", "folder of ICDAR-style .txt files")))
    parser.add_argument("--prefix", action="append", metavar="P",
                        help="file-name prefix to strip before matching (repeatable; default gt_img_ and gt_)")
    parser.add_argument("--by-scene", action="store_true",
                        help="also match SID images by their 5-digit scene id (one annotation per scene)")
    parser.add_argument("--transcriptions", choices=TRANSCRIPTIONS, default="auto",
                        help="whether the annotation texts are the words (yes), region classes (no), or detect (auto)")
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
