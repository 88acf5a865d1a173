"""Does PP-OCR's recognizer read more of a dark reconstruction when each detected line is cut out taller?

The detector's quadrilaterals (grown by DB's unclip ratio) can be tight on
DiD's reconstructions of dark photos. This reads every line of the stored
reconstructions (``did-ocr bench ... --grid-images N`` -> BENCH_OUT/images/ENH/)
with the quadrilateral grown above and below by a fraction of its height
(0 = what did-ocr reads today), and ``best``: per line the most confident of
those readings. Rows (one per photo and variant) go to OUT.csv, totals are
printed. A lead, not adopted (docs/ocr-engines.md): chosen on the SVT
development photos, the validation photos did not confirm it.

    OMP_NUM_THREADS=1 python benchmarks/line_crop_margin.py ../runs/val/svt_dev --bench-out ../runs/val/did_svt_dev \\
        --out benchmarks/results/line_crop_margin_svt_dev.csv
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

GROWTH = (0.0, 0.1, 0.2)


def grown(quad: np.ndarray, fraction: float, height: int, width: int) -> np.ndarray:
    """The quadrilateral (top-left, top-right, bottom-right, bottom-left) grown up and down by ``fraction`` of its
    height, inside the image."""
    out = quad.astype(np.float32).copy()
    span = out[[3, 2]] - out[[0, 1]]
    out[[0, 1]] -= fraction * span
    out[[3, 2]] += fraction * span
    out[:, 0] = out[:, 0].clip(0, width)
    out[:, 1] = out[:, 1].clip(0, height)
    return out


def main() -> None:
    from did_ocr.bench.metrics import word_score
    from did_ocr.bench.results import kept_images
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr, rapid
    from did_ocr.ocr.ppocr import crop_line

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="the darkened dataset the bench ran on (labels.csv has the words)")
    parser.add_argument("--bench-out", required=True, help="a bench run's folder that kept images/ENH/")
    parser.add_argument("--enhancer", default="did")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    engine = get_ocr("rapidocr", "cpu")
    rows = []
    for item, bgr in kept_images(args.bench_out, args.enhancer, LowLightDataset(args.dataset)):
        quads = engine.detect(bgr)
        read = {f"grow {f}": engine._rec([crop_line(bgr, grown(q, f, *bgr.shape[:2])).pixels for q in quads])
                for f in GROWTH}
        read["best"] = [max(lines, key=lambda line: line.confidence) for lines in zip(*read.values())]
        for name, lines in read.items():
            text = " ".join(line.text for line in lines if line.text.strip() and line.confidence >= rapid.MIN_CONFIDENCE)
            score = word_score(item.text, text)
            rows.append({"image": item.name, "level": item.level, "variant": name, "found": score.found,
                         "total": score.total, "prediction": text})
    atomic_write_csv(args.out, rows)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        totals[row["variant"], row["level"]] += row["found"]
    for (variant, level), found in totals.items():
        print(f"{variant} {level}: {found}")


if __name__ == "__main__":
    main()
