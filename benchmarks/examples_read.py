"""The bundled examples (examples/*.png, their words in examples/labels.csv) read by every enhancer and OCR engine.

What a newcomer sees first: ``did-ocr read examples/night_plate.png``. Each
example is enhanced once per enhancer and read by each engine through the
read pipeline; the CSV gives, per enhancer and engine, the words found of
the examples' words and the text read from each (the examples are the
project's own synthetic renderings, so their words may be committed).

    python benchmarks/examples_read.py [--enhancers did,gain,none] [--ocr rapidocr,easyocr]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enhancers", default="did,gain,gamma,clahe,nlm,none")
    parser.add_argument("--ocr", default="rapidocr,easyocr")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "examples_read.csv"))
    args = parser.parse_args()

    from did_ocr.bench.metrics import word_score
    from did_ocr.capture import load_capture
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.reading.pipeline import Pipeline
    from did_ocr.reading.settings import ReadSettings

    with open(ROOT / "examples" / "labels.csv", newline="") as f:
        labels = {row["name"]: row["text"] for row in csv.DictReader(f)}
    captures = {name: load_capture(ROOT / "examples" / name) for name in labels}
    engines = args.ocr.split(",")
    rows = []
    for enhancer in args.enhancers.split(","):
        pipelines = {ocr: Pipeline.build(ReadSettings(enhancer=enhancer, device="cpu", ocr=ocr)) for ocr in engines}
        found = {ocr: [0, 0, []] for ocr in engines}
        for name, capture in captures.items():
            images, _ = pipelines[engines[0]].enhance(capture, seed=0)
            for ocr, pipeline in pipelines.items():
                text = pipeline.read_images(capture, images).text.replace("\n", " ")
                score = word_score(labels[name], text)
                found[ocr][0] += score.found
                found[ocr][1] += score.total
                found[ocr][2].append(f"{name}: {text}")
        for ocr, (hits, total, texts) in found.items():
            rows.append({"enhancer": enhancer, "ocr": ocr, "words_found": hits, "words": total,
                         "texts": " | ".join(texts)})
            print(rows[-1], flush=True)
    atomic_write_csv(args.out, rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
