"""Does PP-OCR's detector find more words in DiD's reconstruction of a dark photo when it sees another copy?

At ``night`` many of DiD's reconstructions of the SVT photos come back with
no word at all, and looser detector thresholds did not change that for
``gain`` (benchmarks/detector_thresholds.py). This asks the same of the
reconstructions themselves, with the detector shown a different copy of each:
contrast-stretched (1st to 99.5th luminance percentile), CLAHE on its
lightness, or enlarged further (shorter side 1024 instead of 736, up to 3x);
the lines it finds are always read from the reconstruction itself. Each
variant also as a fallback (``fb:``): used only where the default detection
found no line. It reads the enhanced PNGs a bench run kept
(``did-ocr bench ... --grid-images N`` -> OUT/images/ENH/NAME.png), so DiD is
not run again; rows go to OUT.csv, totals are printed. Chosen on the SVT
development photos (31-70), never on the validation photos:

    did-ocr bench --dataset ../runs/val/svt_dev --levels dark,night --enhancers did --grid-images 400 \\
        --out ../runs/val/did_svt_dev
    OMP_NUM_THREADS=1 python benchmarks/detection_copies.py ../runs/val/did_svt_dev ../runs/val/svt_dev \\
        --out benchmarks/results/detection_copies_svt_dev.csv
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import Callable

import numpy as np


def stretched(bgr: np.ndarray) -> np.ndarray:
    """All channels scaled so that the 1st..99.5th luminance percentiles span 0..255."""
    from did_ocr.enhancers.classical import stretch_luminance

    return np.ascontiguousarray(stretch_luminance(bgr[..., ::-1])[..., ::-1])


def clahe(bgr: np.ndarray) -> np.ndarray:
    """CLAHE (clip 2, 8x8 tiles) on the L channel of Lab."""
    from did_ocr.enhancers.classical import clahe_lightness

    return np.ascontiguousarray(clahe_lightness(bgr[..., ::-1])[..., ::-1])


#: name -> (the copy the detector sees, its shorter side, the most it may be enlarged)
VARIANTS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], int, float]] = {
    "default": (lambda bgr: bgr, 736, 2.0), "larger": (lambda bgr: bgr, 1024, 3.0),
    "stretched": (stretched, 736, 2.0), "clahe": (clahe, 736, 2.0)}


def main() -> None:
    from did_ocr.bench.metrics import word_score
    from did_ocr.bench.results import kept_images
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr, rapid
    from did_ocr.ocr.ppocr import crop_line

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bench_out", help="a bench run's folder whose images/ENH/ kept the enhanced photos")
    parser.add_argument("dataset", help="the darkened dataset it ran on (labels.csv with the words)")
    parser.add_argument("--enhancer", default="did")
    parser.add_argument("--out", required=True, help="rows, one per image and variant")
    args = parser.parse_args()

    engine = get_ocr("rapidocr", "cpu")
    rows = []
    for item, bgr in kept_images(args.bench_out, args.enhancer, LowLightDataset(args.dataset)):
        read = {}
        for name, (copy, short_side, upscale) in VARIANTS.items():
            rapid.DETECT_SHORT_SIDE, rapid.MAX_UPSCALE = short_side, upscale
            try:
                quads = engine.detect(copy(bgr), 1 << 20)
            finally:
                rapid.DETECT_SHORT_SIDE, rapid.MAX_UPSCALE = VARIANTS["default"][1:]
            read[name] = (len(quads), engine._words([crop_line(bgr, quad) for quad in quads]))
        for name in list(VARIANTS)[1:]:
            read[f"fb:{name}"] = read[name] if read["default"][0] == 0 else read["default"]
        for name, (lines, words) in read.items():
            text = " ".join(word.text for word in words)
            score = word_score(item.text, text)
            rows.append({"image": item.name, "level": item.level, "variant": name, "lines": lines,
                         "found": score.found, "total": score.total, "prediction": text})
    atomic_write_csv(args.out, rows)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        counts = totals[row["variant"], row["level"]]
        counts[0] += row["found"]
        counts[1] += row["total"]
        counts[2] += row["lines"] == 0
    levels = sorted({row["level"] for row in rows})
    print("| variant | " + " | ".join(f"{lv}: words found | photos with no line" for lv in levels) + " |")
    for name in dict.fromkeys(row["variant"] for row in rows):
        cells = [f"{totals[name, lv][0]} of {totals[name, lv][1]} | {totals[name, lv][2]}" for lv in levels]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
