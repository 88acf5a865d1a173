"""Cut the tagged words of whole photos into word crops at their own size.

In a whole street photo the recognizer reads each word from a box of the
photo at the photo's own resolution: words 20-60 pixels tall, with a little
of the scene around them. Word-crop datasets such as IIIT 5K are cropped
tight and are often much larger. This turns a dataset of whole photos with
per-word boxes (``words.csv``: ``name,x0,y0,x1,y1,text``, as ``svt_train``
has) into a word-crop dataset in the standard layout (``high/`` and/or
``low/``, ``labels.csv``), each crop the box widened by ``--margin`` times
its height on every side and never rescaled, so the recognition loss
(``did-ocr train --recognition-data``) or a bench can work on words at the
size whole photos show them.

    python -m data_prep.word_crops ../runs/data/svt_late ../runs/data/svt_late_words
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from data_prep.common import images_by_stem, new_parser, run_cli, start_output
from did_ocr.data.dataset import LABELS_FILE, WORDS_FILE, read_word_boxes, write_labels
from did_ocr.errors import DatasetError
from did_ocr.fileio import atomic_path
from did_ocr.reading.refine import context_rect

def _read_image(path: Path) -> np.ndarray:
    """A photo as stored (bit depth and channels kept), so that crops are lossless."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DatasetError(f"{path}: cannot be decoded as an image; replace or remove it")
    return image


def _save_png(image: np.ndarray, dst: Path) -> None:
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image))
    if not ok:
        raise DatasetError(f"{dst}: could not encode the crop as PNG")
    with atomic_path(dst) as tmp:
        tmp.write_bytes(buf.tobytes())


def cut_word_crops(src: str | Path, out: str | Path, margin: float = 0.25, overwrite: bool = False,
                   ) -> tuple[int, int]:
    """Write one crop per tagged word of every photo in ``src``; returns (crops written, boxes skipped).

    Crop ``k`` (0-based, in words.csv order) of photo ``NAME`` is ``NAME_k``,
    cut from each of low/ and high/ that the source has. Boxes outside their
    photo or naming a photo that is not there are skipped and counted.
    """
    src, out = Path(src), Path(out)
    if margin < 0:
        raise DatasetError(f"--margin {margin}: must be >= 0")
    if not (src / WORDS_FILE).is_file():
        raise DatasetError(f"{src}: no {WORDS_FILE} (name,x0,y0,x1,y1,text); word boxes are needed to cut crops")
    folders = {side: images_by_stem(src / side) for side in ("low", "high") if (src / side).is_dir()}
    if not folders:
        raise DatasetError(f"{src}: neither low/ nor high/; point at a dataset folder")
    boxes = read_word_boxes(src / WORDS_FILE)
    start_output(out, src, overwrite)
    rows, skipped, counts = [], 0, {}
    loaded: dict[Path, np.ndarray] = {}  # the current photo's sides (words.csv lists a photo's words together)
    for box in boxes:
        k = counts[box.image] = counts.get(box.image, -1) + 1
        files = {side: found[box.image] for side, found in folders.items() if box.image in found}
        if not files:
            skipped += 1
            continue
        if set(loaded) != set(files.values()):
            loaded = {path: _read_image(path) for path in files.values()}
        shape = loaded[next(iter(files.values()))].shape
        x0, y0, x1, y1 = context_rect((box.x0, box.y0, box.x1, box.y1), shape, margin, min_pad=0)
        if x1 <= x0 or y1 <= y0:
            skipped += 1
            continue
        name = f"{box.image}_{k}"
        for side, path in files.items():
            _save_png(loaded[path][y0:y1, x0:x1], out / side / f"{name}.png")
        rows.append({"name": name, "text": box.text})
    write_labels(out / LABELS_FILE, rows)
    return len(rows), skipped


def main(args: argparse.Namespace) -> str:
    written, skipped = cut_word_crops(args.src, args.out, args.margin, args.overwrite)
    return f"wrote {written} word crops to {args.out}" + (f" ({skipped} boxes skipped: outside or no photo)"
                                                          if skipped else "")


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("word_crops", __doc__, (("src", "a dataset of whole photos with words.csv"),
                                                ("out", "output folder of the word crops")))
    parser.add_argument("--margin", type=float, default=0.25,
                        help="context kept around each box, as a fraction of its height on every side")
    parser.add_argument("--overwrite", action="store_true", help="replace the contents of a non-empty OUT")
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
