"""Do more tagged words come out when PP-OCR's decoding recovers the spaces greedy CTC leaves out?

PP-OCR's recognizer often reads two neighbouring words as one ("BANGKOKINN",
"DAYSINN", "PGEPARK"): at the time steps between them blank wins, but the
space gets a small probability. did_ocr.ocr.ppocr.TextRecognizer reads such
a blank step as a space when the space's probability there reaches
``space_recovery``. This reads the same photos with each threshold (``none``
= greedy CTC, RapidOCR's own decoding) and prints the tagged words found per
threshold and light level; rows go to OUT.csv. The photos: the well-lit
originals of a darkened dataset, and the enhanced PNGs a bench run kept
(``did-ocr bench ... --grid-images N`` -> BENCH_OUT/images/ENH/NAME.png), so
DiD is not run again. Chosen on the SVT development photos (31-70), checked
on the validation photos (1-30):

    did-ocr bench --dataset ../runs/val/svt_dev --levels dark,night --enhancers did --grid-images 400 \\
        --out ../runs/val/did_svt_dev
    OMP_NUM_THREADS=1 python benchmarks/space_recovery.py ../runs/val/svt_dev --bench-out ../runs/val/did_svt_dev \\
        --out benchmarks/results/space_recovery_svt_dev.csv
"""

from __future__ import annotations

import argparse

import numpy as np

THRESHOLDS = (None, 0.1, 0.05, 0.03)


def main() -> None:
    from PIL import Image

    from did_ocr.bench.metrics import word_score
    from did_ocr.bench.results import found_table, kept_images
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a darkened dataset (high/ has the well-lit photos; labels.csv the words)")
    parser.add_argument("--bench-out", help="a bench run's folder whose images/ENH/ kept the enhanced photos")
    parser.add_argument("--enhancer", default="did")
    parser.add_argument("--limit", type=int, help="only the dataset's first N captures")
    parser.add_argument("--out", required=True, help="rows, one per photo and threshold")
    args = parser.parse_args()

    engine = get_ocr("rapidocr", "cpu")
    items = LowLightDataset(args.dataset)[:args.limit]
    # each well-lit original once: a dataset darkened --each-level holds a copy of it per level
    photos: list[tuple[str, str, np.ndarray, str]] = [  # (name, level, RGB, words)
        (item.name, "well-lit", np.asarray(Image.open(item.high_path).convert("RGB")), item.text) for item in items
        if item.high_path is not None and item.level == items[0].level]
    if args.bench_out:
        photos += [(item.name, item.level or "", np.ascontiguousarray(bgr[..., ::-1]), item.text)
                   for item, bgr in kept_images(args.bench_out, args.enhancer, items)]

    rows = []
    for name, level, rgb, words in photos:
        for threshold in THRESHOLDS:
            engine._rec.space_recovery = threshold
            text = " ".join(word.text for word in engine.read_words(rgb))
            score = word_score(words, text)
            rows.append({"image": name, "level": level, "space_recovery": threshold or "none",
                         "found": score.found, "total": score.total, "prediction": text})
    atomic_write_csv(args.out, rows)
    print(found_table(rows, "space_recovery"))


if __name__ == "__main__":
    main()
