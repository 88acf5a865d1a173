"""Compare two DiD models on the same bench captures, image by image.

Choosing a model by its total of words found hides how few images moved:
a gain of 4 words can be 4 images better and none worse, or 20 better and
16 worse. This reads the ``did`` rows of two ``did-ocr bench`` outputs
(per_image.csv, the same captures and seeds), pairs them by image and
engine, and prints per light level the words each model found, the images
where the new model read more or fewer words, and the two-sided sign test's
p-value on those images (exact binomial, ties dropped): a small p says the
direction of the change is unlikely to be the run-to-run noise of a few
words.

    .venv/bin/python benchmarks/compare_models.py ../runs/val/bench_iiit ../runs/eval/iiit_750 \\
        --out benchmarks/results/model_compare_iiit.csv

``--base-enhancer did-fullsize`` takes the base rows from that ablation instead
(base and new may be the same run), e.g. DiD's noise-driven working size
against the old full-size default, or a fixed ``--max-side`` run against it.
"""

from __future__ import annotations

import argparse
from math import comb
from pathlib import Path

import pandas as pd

from did_ocr.bench.results import load_rows
from did_ocr.data.levels import order_levels
from did_ocr.fileio import atomic_write_csv


def sign_test(better: int, worse: int) -> float:
    """Two-sided exact sign test of ``better`` against ``worse`` (ties already dropped)."""
    n = better + worse
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(max(better, worse), n + 1)) / 2**n
    return min(1.0, 2 * tail)


def did_rows(*benches: Path, enhancer: str = "did") -> pd.DataFrame:
    """The ``enhancer`` rows (default ``did``) of bench folders (or per_image.csv files), one per (image, engine)."""
    paths = [b / "per_image.csv" if b.is_dir() else b for b in benches]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"error: no bench rows at {', '.join(missing)}; give a did-ocr bench --out folder")
    rows = load_rows(paths)
    return rows[rows.enhancer == enhancer].set_index(["image", "ocr"])


def compare(base: pd.DataFrame, new: pd.DataFrame) -> list[dict]:
    """Per engine and level (and 'all'): words found by each model on the images both scored."""
    common = base.index.intersection(new.index)
    b, n = base.loc[common], new.loc[common]
    gain = n.words_found - b.words_found
    out = []
    for ocr in sorted(set(common.get_level_values("ocr"))):
        on_engine = b.index.get_level_values("ocr") == ocr
        for level in [*order_levels(set(b.level[on_engine])), "all"]:
            m = on_engine & ((b.level == level).to_numpy() | (level == "all"))
            better, worse = int((gain[m] > 0).sum()), int((gain[m] < 0).sum())
            out.append({"ocr": ocr, "level": level, "images": int(m.sum()),
                        "words_total": int(b.words_total[m].sum()),
                        "base_words": int(b.words_found[m].sum()), "new_words": int(n.words_found[m].sum()),
                        "images_better": better, "images_worse": worse,
                        "sign_test_p": round(sign_test(better, worse), 3)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", type=Path, help="bench output (folder or per_image.csv) of the current model")
    parser.add_argument("new", type=Path, nargs="+", help="bench output(s) of the candidate (concatenated)")
    parser.add_argument("--base-enhancer", default="did",
                        help="the base's rows are this enhancer's, e.g. did-fullsize to compare DiD with that "
                             "ablation of the same run (base and new may then be the same folder)")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as CSV")
    args = parser.parse_args()
    rows = compare(did_rows(args.base, enhancer=args.base_enhancer), did_rows(*args.new))
    print(pd.DataFrame(rows).to_string(index=False))
    if args.out:
        atomic_write_csv(args.out, rows)


if __name__ == "__main__":
    main()
