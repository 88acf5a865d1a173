"""Does our own PP-OCR runner read exactly what RapidOCR's pipeline read? Save the words once, compare later.

did_ocr.ocr.rapid used to run PP-OCR through the rapidocr package, whose
import costs about a second; it now runs the same ONNX models on ONNX Runtime
with its own pre- and post-processing (did_ocr.ocr.ppocr). This script reads
a fixed list of images with whichever implementation is in the tree and
either saves every word (text, confidence, box) to JSON (``--save``, run
before the port) or compares against such a file (``--compare``, after it):

    OMP_NUM_THREADS=1 python benchmarks/ppocr_port_check.py --save /tmp/ppocr_port/before.json
    OMP_NUM_THREADS=1 python benchmarks/ppocr_port_check.py --compare /tmp/ppocr_port/before.json

The images: the first 40 SVT street photos (whole-photo detection +
recognition, and recognition of their tagged word boxes), 100 IIIT 5K word
crops (``read_words``, which reads a tight crop whole, and ``recognize_boxes``
on the whole crop), each well lit, darkened (x 0.25 with Gaussian noise of
3 / 255, seeded by its name) and that dark copy brightened back x 4 (what
the OCR sees after a plain gain: amplified noise). Spaces are decoded
greedily here, as RapidOCR does (``space_recovery`` off).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VARIANTS = ("lit", "dark", "gained")
DARK_GAIN = 0.25
NOISE_SIGMA = 3.0  # in 8-bit levels


def load_rgb(path: Path) -> np.ndarray:
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"{path}: cannot read the image")
    return np.ascontiguousarray(bgr[..., ::-1])


def variant(rgb: np.ndarray, how: str, name: str) -> np.ndarray:
    """The image lit, darkened x 0.25 with seeded noise, or that dark copy brightened back x 4."""
    if how == "lit":
        return rgb
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    dark = rgb.astype(np.float64) * DARK_GAIN + rng.normal(0.0, NOISE_SIGMA, rgb.shape)
    if how == "gained":
        dark = dark / DARK_GAIN
    return np.clip(np.round(dark), 0, 255).astype(np.uint8)


def svt_boxes(folder: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """The tagged word boxes of each SVT photo, as (x0, x1, y0, y1)."""
    boxes: dict[str, list[tuple[int, int, int, int]]] = {}
    with open(folder / "words.csv", newline="") as f:
        for row in csv.DictReader(f):
            boxes.setdefault(row["name"], []).append((int(row["x0"]), int(row["x1"]), int(row["y0"]), int(row["y1"])))
    return boxes


def images(svt: int, iiit: int) -> list[tuple[str, Path, list[tuple[int, int, int, int]] | None]]:
    """(name, path, boxes to recognize or None for the whole image) of the images compared."""
    out: list[tuple[str, Path, list[tuple[int, int, int, int]] | None]] = []
    folder = DATA / "svt_train"
    boxes = svt_boxes(folder)
    for path in sorted((folder / "high").glob("*.jpg"))[:svt]:
        out.append((f"svt/{path.stem}", path, boxes.get(path.stem, [])))
    folder = DATA / "iiit5k_words"
    with open(folder / "labels.csv", newline="") as f:
        names = [row["name"] for row in csv.DictReader(f)][:iiit]
    out += [(f"iiit/{name}", folder / "high" / f"{name}.png", None) for name in names]
    return out


def as_dicts(words: list[Any]) -> list[dict[str, Any] | None]:
    return [None if w is None else {"text": w.text, "confidence": float(w.confidence),
                                    "box": [[float(x), float(y)] for x, y in w.box]} for w in words]


def read_all(svt: int, iiit: int) -> dict[str, Any]:
    """Every word read, per image and variant: ``read_words`` and ``recognize_boxes``."""
    from did_ocr.ocr.rapid import RapidOcr

    engine = RapidOcr("cpu")
    engine._rec.space_recovery = None  # RapidOCR's greedy decoding (ours recovers spaces since; docs/ocr-engines.md)
    results: dict[str, Any] = {}
    started = time.perf_counter()
    for name, path, boxes in images(svt, iiit):
        rgb = load_rgb(path)
        h, w = rgb.shape[:2]
        for how in VARIANTS:
            img = variant(rgb, how, name)
            given = boxes if boxes is not None else [(0, w, 0, h)]
            results[f"{name}/{how}"] = {"read": as_dicts(engine.read_words(img)),
                                        "boxes": as_dicts(engine.recognize_boxes(img, given))}
    print(f"read {len(results)} images in {time.perf_counter() - started:.0f} s")
    return results


def box_gap(a: list[list[float]], b: list[list[float]]) -> float:
    return float(np.abs(np.asarray(a, float) - np.asarray(b, float)).max())


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Per part (``read``: read_words, ``boxes``: recognize_boxes): images with identical word lists, words,
    the largest confidence and box differences of words read alike, and how many differ by more than a little."""
    stats: dict[str, Any] = {}
    for part in ("read", "boxes"):
        stats[part] = {"images": 0, "images_same_words": 0, "words": 0, "words_same_text": 0, "max_conf_diff": 0.0,
                       "conf_over_1e-4": 0, "max_box_diff": 0.0, "boxes_moved": 0, "boxes_over_1px": 0,
                       "boxes_over_3px": 0}
    stats["differences"] = []
    for key, old in before.items():
        for part in ("read", "boxes"):
            tally, a, b = stats[part], old[part], after[key][part]
            tally["images"] += 1
            texts_a, texts_b = [w and w["text"] for w in a], [w and w["text"] for w in b]
            if texts_a == texts_b:
                tally["images_same_words"] += 1
            else:
                stats["differences"].append({"image": key, "part": part, "before": texts_a, "after": texts_b})
            tally["words"] += sum(w is not None for w in a)
            for wa, wb in zip(a, b):
                if wa is None or wb is None or wa["text"] != wb["text"]:
                    continue
                conf, gap = abs(wa["confidence"] - wb["confidence"]), box_gap(wa["box"], wb["box"])
                tally["words_same_text"] += 1
                tally["max_conf_diff"] = max(tally["max_conf_diff"], conf)
                tally["conf_over_1e-4"] += conf > 1e-4
                tally["max_box_diff"] = max(tally["max_box_diff"], gap)
                tally["boxes_moved"] += gap > 0
                tally["boxes_over_1px"] += gap > 1
                tally["boxes_over_3px"] += gap > 3
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    todo = parser.add_mutually_exclusive_group(required=True)
    todo.add_argument("--save", type=Path, help="read the images and save every word to this JSON file")
    todo.add_argument("--compare", type=Path, help="read the images and compare with this saved JSON file")
    parser.add_argument("--svt", type=int, default=40, help="how many SVT photos (first in name order)")
    parser.add_argument("--iiit", type=int, default=100, help="how many IIIT 5K crops (first in labels.csv)")
    parser.add_argument("--out", type=Path, help="with --compare: also save this run's words here")
    args = parser.parse_args()

    words = read_all(args.svt, args.iiit)
    if args.save:
        args.save.parent.mkdir(parents=True, exist_ok=True)
        args.save.write_text(json.dumps(words))
        print(f"saved {sum(len(v['read']) for v in words.values())} words read to {args.save}")
        return
    if args.out:
        args.out.write_text(json.dumps(words))
    stats = compare(json.loads(args.compare.read_text()), words)
    for diff in stats.pop("differences"):
        print(f"DIFFERENT {diff['image']} ({diff['part']}): {diff['before']} -> {diff['after']}")
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
