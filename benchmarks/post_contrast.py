"""Does local contrast (CLAHE) after DiD help OCR? An ablation on a development set of whole photos.

DiD trails ``clahe`` at ``dim`` on the SVT validation photos, so the obvious
question is whether CLAHE applied to DiD's reconstruction (the ``clahe``
enhancer's own operator, ``clahe_lightness``: Lab lightness, clip 2, 8x8 tiles) reads
more. It is decided on photos that are neither validation nor training for
the shipped model (SVT photos 31-100, darkened with their own seed):

    python -m data_prep.split ../shared/data/svt_train ../runs/data/svt_fit ../runs/data/svt_val --first 30 --mode symlink
    python -m data_prep.darken ../runs/data/svt_fit ../runs/val/svt_dev --levels dim,dark,night --each-level --seed 13
    python benchmarks/post_contrast.py ../runs/val/svt_dev --photos 40 --work ../runs/dev \\
        --out benchmarks/results/ablations/post_contrast_svt_dev.csv

Enhanced images are cached in WORK (an interrupted run resumes); per-image
rows stay there, only the aggregates are written to OUT.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

LEVELS = ("dim", "dark", "night")
COLUMNS = ("variant", "name", "level", "found", "total", "pred")


def enhanced(variant: str, name: str, low: Path, cache: Path, enhancers: dict, model: str | None = None) -> np.ndarray:
    """The image OCR reads for ``variant`` (``ENHANCER`` or ``ENHANCER+clahe``), cached as PNG."""
    import cv2

    from did_ocr.capture import load_capture
    from did_ocr.capture.colorspace import to_uint8
    from did_ocr.enhancers import build_enhancer
    from did_ocr.enhancers.classical import clahe_lightness

    base = variant.split("+")[0]
    path = cache / f"{base}__{name}.png"
    if path.exists():
        u8 = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    else:
        options = {"model": model} if model and base.startswith("did") else {}
        enhancers.setdefault(base, build_enhancer(base, device="cpu", **options))
        u8 = to_uint8(enhancers[base].enhance(load_capture(low), seed=0))
        cv2.imwrite(str(path), cv2.cvtColor(u8, cv2.COLOR_RGB2BGR))
    return clahe_lightness(u8) if variant.endswith("+clahe") else u8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="darkened photos (--each-level), e.g. ../runs/val/svt_dev")
    parser.add_argument("--photos", type=int, default=40, help="the first N photos in name order")
    parser.add_argument("--variants", default="did,did+clahe,clahe,gain")
    parser.add_argument("--model", default=None, help="a DiD model file instead of the shipped one (for the did variants)")
    parser.add_argument("--work", default="bench_out/post_contrast")
    parser.add_argument("--ocr", default="rapidocr", help="the OCR engine (rapidocr, easyocr)")
    parser.add_argument("--out", default="benchmarks/results/ablations/post_contrast_svt_dev.csv")
    args = parser.parse_args()

    import torch
    from tqdm import tqdm

    from did_ocr.bench.metrics import word_score
    from did_ocr.data.dataset import index_images, read_labels
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr

    torch.set_num_threads(1)
    root, work = Path(args.dataset), Path(args.work)
    (work / "cache").mkdir(parents=True, exist_ok=True)
    labels, lows = read_labels(root / "labels.csv"), index_images(root / "low")
    photos = sorted({name.rsplit("_", 1)[0] for name in labels})[: args.photos]
    names = [f"{photo}_{level}" for photo in photos for level in LEVELS]
    variants = args.variants.split(",")
    rows_path = work / f"rows_{args.photos}.csv"
    done = {(r["variant"], r["name"]): r for r in csv.DictReader(rows_path.open())} if rows_path.exists() else {}
    reader, enhancers = get_ocr(args.ocr, "cpu"), {}
    with rows_path.open("a", newline="") as fh:
        writer = csv.writer(fh)
        if not done:
            writer.writerow(COLUMNS)
        for name in tqdm(names, desc="captures"):
            for variant in variants:
                if (variant, name) in done:
                    continue
                words = reader.read_words(enhanced(variant, name, lows[name], work / "cache", enhancers, args.model))
                pred = " ".join(w.text for w in words)
                score = word_score(labels[name]["text"], pred)
                row = [variant, name, labels[name]["level"], score.found, score.total, pred]
                writer.writerow(row)
                fh.flush()
                done[(variant, name)] = dict(zip(COLUMNS, map(str, row)))
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (variant, _), r in done.items():
        totals[(variant, r["level"])][0] += int(r["found"])
        totals[(variant, r["level"])][1] += int(r["total"])
    out = [{"variant": v, "level": lv, "photos": len(photos), "words_found": f, "words_total": t,
            "word_accuracy": round(100 * f / t, 1)} for (v, lv), (f, t) in sorted(totals.items())]
    atomic_write_csv(args.out, out)
    for r in out:
        print(r)


if __name__ == "__main__":
    main()
