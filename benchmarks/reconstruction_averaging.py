"""Do averaged DiD reconstructions read more at night than one?

DiD's default draws one sample per window with one denoiser evaluation
(``onestep``): the denoiser's mean estimate given the capture, which still
depends a little on the seed and on the image's orientation. Averaging
estimates (test-time ensembling, common for denoisers) removes some of that
variation. This reconstructs each capture of a level three ways (seed 0 =
what did-ocr reads, seed 1, and the capture flipped left-right, seed 0,
flipped back), reads each and their averages with the rapidocr engine, and
prints the tagged words found per variant. Reconstructions are cached as
float16 in WORK (an interrupted run resumes); rows go to OUT:

    OMP_NUM_THREADS=1 python benchmarks/reconstruction_averaging.py ../runs/val/svt_dev --level night \\
        --work ../runs/scratch/tta_cache --out benchmarks/results/reconstruction_averaging_svt_dev.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: the reconstructions read: (seed, flipped left-right)
SINGLE = {"s0": (0, False), "s1": (1, False), "fx": (0, True)}
#: the averages read besides each reconstruction alone
AVERAGES = {"mean s0 s1": ("s0", "s1"), "mean s0 fx": ("s0", "fx"), "mean s0 s1 fx": ("s0", "s1", "fx")}


def reconstruction(did, linear: np.ndarray, seed: int, flipped: bool, path: Path) -> np.ndarray:
    """DiD's sRGB reconstruction (of the capture flipped left-right, flipped back), cached at ``path`` as float16
    (written atomically)."""
    from did_ocr.fileio import atomic_path

    if not path.is_file():
        srgb = did.enhance(np.ascontiguousarray(linear[:, ::-1]), seed=seed)[:, ::-1] if flipped \
            else did.enhance(linear, seed=seed)
        with atomic_path(path) as tmp:  # its name ends in .npy, so np.save adds nothing
            np.save(tmp, srgb.astype(np.float16))
    return np.load(path).astype(np.float32)


def main() -> None:
    from tqdm import tqdm

    from did_ocr.bench.metrics import word_score
    from did_ocr.bench.results import found_table
    from did_ocr.capture import load_capture
    from did_ocr.data.dataset import LowLightDataset
    from did_ocr.enhancers import build_enhancer
    from did_ocr.fileio import atomic_write_csv
    from did_ocr.ocr import get_ocr

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", help="a darkened dataset (labels.csv has the words)")
    parser.add_argument("--level", default="night")
    parser.add_argument("--work", required=True, help="folder for the cached reconstructions")
    parser.add_argument("--out", required=True, help="rows, one per capture and variant")
    args = parser.parse_args()

    did, engine = build_enhancer("did", device="cpu"), get_ocr("rapidocr", "cpu")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for item in tqdm([it for it in LowLightDataset(args.dataset) if it.level == args.level], desc="captures"):
        linear = load_capture(item.low_path)
        single = {key: reconstruction(did, linear, seed, flipped, work / f"{item.name}__{key}.npy")
                  for key, (seed, flipped) in SINGLE.items()}
        variants = {**single, **{name: np.mean([single[k] for k in keys], axis=0) for name, keys in AVERAGES.items()}}
        for name, srgb in variants.items():
            text = " ".join(word.text for word in engine.read_words(np.clip(srgb, 0.0, 1.0)))
            score = word_score(item.text, text)
            rows.append({"image": item.name, "level": item.level, "variant": name, "found": score.found,
                         "total": score.total, "prediction": text})
    atomic_write_csv(args.out, rows)
    print(found_table(rows, "variant"))

if __name__ == "__main__":
    main()
