"""Does PP-OCR read more of DiD's reconstructions when the lines or the image are prepared differently?

At ``night`` DiD's reconstructions read a third of what the well-lit photos
read, and the photos that read nothing mostly do have detected lines
(docs/ocr-engines.md). This reads the same images several ways, all with the
rapidocr engine's detector and recognizer, and counts the tagged words found
per variant and light level:

- ``as detected``: what did-ocr reads today (spaces recovered, confidence >= 0.5);
- ``grow F``: each detected line's quadrilateral grown above and below by F of its height;
- ``best of growths``: per line, the most confident of ``as detected`` / ``grow 0.1`` / ``grow 0.2``;
- ``crop stretch`` / ``crop CLAHE``: each line crop's contrast stretched (its 1st-99th luminance
  percentiles to 0-255) or equalized (CLAHE on lightness, 2x2 tiles) before it is recognized;
- ``image CLAHE`` / ``image gamma 0.6`` / ``image stretch``: the whole image so prepared (the stretch: its
  1st-99.5th luminance percentiles, as benchmarks/detection_copies.py), then read;
- ``detect on CLAHE``: lines found on the CLAHE image, read from the image itself.

The images: the well-lit originals of a darkened dataset, and the enhanced
PNGs a bench run kept (``did-ocr bench ... --grid-images N`` ->
BENCH_OUT/images/ENH/NAME.png), so DiD is not run again. Rows (one per image
and variant) go to OUT, a table of totals is printed:

    did-ocr bench --dataset ../runs/val/svt_dev --levels dark,night --enhancers did --ocr rapidocr \\
        --grid-images 400 --out ../runs/eval7/dev_keep
    OMP_NUM_THREADS=2 python benchmarks/recognition_variants.py ../runs/val/svt_dev --bench-out ../runs/eval7/dev_keep \\
        --out benchmarks/results/recognition_variants_svt_dev.csv
    (validation: ../runs/val/svt --limit 90, a bench run with the same --limit 90)
"""

from __future__ import annotations

import argparse
from typing import Callable

import numpy as np

Image = Callable[[np.ndarray], np.ndarray]  # RGB uint8 -> RGB uint8


def gamma(rgb: np.ndarray, exponent: float = 0.6) -> np.ndarray:
    """Dark tones lifted: (x / 255) ** exponent."""
    return (255.0 * (rgb / 255.0) ** exponent).astype(np.uint8)


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


def read_variants(engine, rgb: np.ndarray) -> dict[str, str]:
    """The text each variant reads in one image (words at the engine's confidence, in reading order)."""
    from did_ocr.enhancers.classical import clahe_lightness, stretch_luminance
    from did_ocr.ocr import rapid
    from did_ocr.ocr.ppocr import crop_line

    def kept(lines) -> str:
        return " ".join(line.text for line in lines if line.text.strip() and line.confidence >= rapid.MIN_CONFIDENCE)

    def detect(image: np.ndarray) -> np.ndarray:
        return engine.detect(np.ascontiguousarray(image[..., ::-1]))

    def lines(quads: np.ndarray, read_from: np.ndarray, growth: float = 0.0, crop: Image | None = None):
        bgr = np.ascontiguousarray(read_from[..., ::-1])
        crops = [crop_line(bgr, grown(quad, growth, *bgr.shape[:2])).pixels for quad in quads]
        if crop is not None:
            crops = [np.ascontiguousarray(crop(c[..., ::-1])[..., ::-1]) for c in crops]
        return engine._rec(crops)

    found, equalized = detect(rgb), clahe_lightness(rgb)
    read = {"as detected": lines(found, rgb), **{f"grow {g}": lines(found, rgb, g) for g in (0.1, 0.2)}}
    read["best of growths"] = [max(options, key=lambda line: line.confidence) for options in zip(*read.values())]
    read["crop stretch"] = lines(found, rgb, crop=lambda c: stretch_luminance(c, 1.0, 99.0))
    read["crop CLAHE"] = lines(found, rgb, crop=lambda c: clahe_lightness(c, tiles=2))
    for name, image in (("image CLAHE", equalized), ("image gamma 0.6", gamma(rgb)),
                        ("image stretch", stretch_luminance(rgb))):
        read[name] = lines(detect(image), image)
    read["detect on CLAHE"] = lines(detect(equalized), rgb)
    return {name: kept(readings) for name, readings in read.items()}


def main() -> None:
    from PIL import Image as PilImage

    from did_ocr.bench.metrics import word_score
    from did_ocr.bench.results import found_table, kept_images
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a darkened dataset (high/ has the well-lit photos; labels.csv the words)")
    parser.add_argument("--bench-out", required=True, help="a bench run's folder whose images/ENH/ kept the enhanced photos")
    parser.add_argument("--enhancer", default="did")
    parser.add_argument("--limit", type=int, help="only the dataset's first N captures (the bench run's --limit)")
    parser.add_argument("--no-well-lit", action="store_true", help="only the kept images, not the well-lit originals")
    parser.add_argument("--out", required=True, help="rows, one per image and variant")
    args = parser.parse_args()

    engine = get_ocr("rapidocr", "cpu")
    items = LowLightDataset(args.dataset)[:args.limit]
    photos: list[tuple[str, str, np.ndarray, str]] = []  # (name, level, RGB, words)
    if not args.no_well_lit:  # each original once: a dataset darkened --each-level holds a copy of it per level
        photos += [(item.name, "well-lit", np.asarray(PilImage.open(item.high_path).convert("RGB")), item.text)
                   for item in items if item.high_path is not None and item.level == items[0].level]
    photos += [(item.name, item.level or "", np.ascontiguousarray(bgr[..., ::-1]), item.text)
               for item, bgr in kept_images(args.bench_out, args.enhancer, items)]

    rows = []
    for name, level, rgb, words in photos:
        for variant, text in read_variants(engine, rgb).items():
            score = word_score(words, text)
            rows.append({"image": name, "level": level, "variant": variant, "found": score.found,
                         "total": score.total, "prediction": text})
    atomic_write_csv(args.out, rows)
    print(found_table(rows, "variant"))

if __name__ == "__main__":
    main()
