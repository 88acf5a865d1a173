"""False words: does an enhancer make OCR read text where there is none?

A loss that pleases a text recognizer could teach DiD to draw letters on a
blank wall. This counts the words read on scenes without text, per enhancer
(and per DiD model file):

* textless synthetic scenes: the generator's own backgrounds (flat and
  gradient fills, procedural textures, the photographs shipped inside
  scikit-image) with no text drawn, darkened by the capture simulation;
* real low-light pairs (e.g. LOL, held out from training): LOL shows indoor
  objects and a few of them carry printed words, so there a false word is a
  word read on the enhanced capture that OCR does not read on the well-lit
  image (multiset difference of normalized words).

    .venv/bin/python benchmarks/false_words.py --pairs ../runs/data/lol_val --n-synthetic 40 \\
        --enhancers gain,none --models did_ocr/weights/did_s.safetensors,../runs/x/model.safetensors \\
        --out benchmarks/results/false_words.csv
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from did_ocr.fileio import atomic_write_csv

import numpy as np
from tqdm import tqdm

RESULTS = Path(__file__).parent / "results"
LEVELS = ("dark", "night")


def textless_scenes(n: int, seed: int, size: tuple[int, int] = (384, 512)) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(name, dark linear capture, None) for ``n`` synthetic backgrounds without text."""
    from did_ocr.data.synth.generator import sample_rng
    from did_ocr.data.synth.render import render_background
    from did_ocr.data.synth.simulate import sample_params, simulate_capture

    out = []
    for i in range(n):
        rng = sample_rng(seed, i)
        clean = render_background(rng, *size)
        level = LEVELS[i % len(LEVELS)]
        dark = simulate_capture(clean, sample_params(rng, level), rng)
        out.append((f"background{i:03d}_{level}", dark, None))
    return out


def real_pairs(root: Path) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    from did_ocr.data.dataset import LowLightDataset

    ds = LowLightDataset(root, require_high=True)
    return [(item.name, *ds.load_pair(item)) for item in ds]


def words_of(reading_text: str) -> Counter:
    from did_ocr.bench.metrics import normalize_words

    return Counter(normalize_words(reading_text))


def main() -> None:
    from did_ocr.reading.pipeline import Pipeline
    from did_ocr.reading.settings import ReadSettings

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default=None, help="a dataset of real low/high pairs (e.g. LOL held out)")
    parser.add_argument("--n-synthetic", type=int, default=40)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--enhancers", default="gain,none")
    parser.add_argument("--models", default="", help="DiD model files, comma-separated (each is one 'did' row)")
    parser.add_argument("--ocr", default="rapidocr,easyocr", help="OCR engines, comma-separated (one row set each)")
    parser.add_argument("--out", default=str(RESULTS / "false_words.csv"))
    args = parser.parse_args()

    sets = {"textless_synthetic": textless_scenes(args.n_synthetic, args.seed)}
    if args.pairs:
        sets["real_pairs"] = real_pairs(Path(args.pairs))
    rows = []
    for ocr in args.ocr.split(","):
        def build(name: str, model: str | None = None) -> Pipeline:
            return Pipeline.build(ReadSettings(enhancer=name, model=model, device="cpu", ocr=ocr))

        pipelines = [(name, "", build(name)) for name in args.enhancers.split(",") if name]
        pipelines += [("did", m, build("did", m)) for m in args.models.split(",") if m]
        rows += count_false_words(sets, pipelines, build("none"), ocr)
    atomic_write_csv(args.out, rows)


def count_false_words(sets: dict, pipelines: list, reference, ocr: str) -> list[dict]:
    """Per set and pipeline: words read on the enhanced capture that OCR does not read on the well-lit image."""
    rows = []
    for set_name, items in sets.items():
        allowed = {}
        for name, _, high in items:  # words really in the scene: what OCR reads on the well-lit image
            allowed[name] = words_of(reference.read(high).text) if high is not None else Counter()
        for enhancer, model, pipeline in pipelines:
            false = images_with = 0
            for name, dark, _ in tqdm(items, desc=f"{set_name} {enhancer} {Path(model).parent.name}", unit="img"):
                found = words_of(pipeline.read(dark, seed=0).text) - allowed[name]
                false += sum(found.values())
                images_with += bool(found)
            row = {"set": set_name, "ocr": ocr, "enhancer": enhancer, "model": model, "images": len(items),
                   "false_words": false, "false_words_per_image": round(false / len(items), 3),
                   "images_with_false_words": images_with}
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


if __name__ == "__main__":
    main()
