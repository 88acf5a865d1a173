"""DiD reconstructing whole photos at a smaller working size: words found against a base run of the same images.

Why: at ``dark`` and ``night`` a pixel of a 1024-px street photo carries more
noise than letter, and a reduced copy averages several pixels into one. This
runs ``did-ocr bench``'s DiD rows with ``max_side`` set to SIDE and the
large-photo refinement off (with it on, every word under 48 px at SIDE would be
read again from a full-resolution reconstruction, which is what is being
compared against), then counts, per level, the words found against the DiD
rows of a base bench of the same dataset, seeds and engine (each image keeps
its seed, so the rows pair up). What it measured chose
:mod:`did_ocr.imaging.noise` (docs/ocr-engines.md, "Noisy captures
reconstructed smaller").

    python benchmarks/working_side.py ../runs/val/svt_dev ../runs/side640_dev --side 640 --levels dark,night \\
        --base BASE/per_image.csv --csv benchmarks/results/working_side_svt_dev.csv

``--shard i/n`` runs a share of the images (one process per shard; then
``--count`` alone counts every shard's rows); a rerun resumes. ``--base-enhancer
did-fullsize`` takes the base rows of a bench run that had that ablation.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

from did_ocr.bench.runner import Bench, BenchConfig, parse_shard
from did_ocr.reading.settings import ReadSettings


def did_words(paths: list[Path], ocr: str, enhancer: str = "did") -> dict[str, tuple[str, int]]:
    """Image name -> (level, words found) of ``enhancer``'s rows read by ``ocr`` in bench CSVs."""
    found = {}
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if row["enhancer"] == enhancer and row["ocr"] == ocr and not row["error"]:
                    found[row["image"]] = (row["level"], int(row["words_found"]))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("out", help="bench folder of the reduced-size run")
    ap.add_argument("--side", type=int, default=None,
                    help="DiD's working side (max_side) for every photo; with --count alone, OUT may be a default "
                         "run (recorded as side 'default')")
    ap.add_argument("--levels", default="dark,night")
    ap.add_argument("--limit", type=int, default=None, help="the first N images of those levels")
    ap.add_argument("--ocr", default="rapidocr")
    ap.add_argument("--shard", default=None, help="only run this shard (i/n), do not count")
    ap.add_argument("--count", action="store_true", help="only count the rows already in OUT (every shard's)")
    ap.add_argument("--base", required=True, help="per_image.csv of the base run (default DiD) of the same dataset")
    ap.add_argument("--base-enhancer", default="did", help="the base rows' enhancer (did-fullsize: the ablation)")
    ap.add_argument("--csv", default=None, help="append the per-level counts here")
    args = ap.parse_args()

    if not args.count:
        if args.side is None:
            ap.error("--side is needed to run (only --count takes a run made otherwise)")
        cfg = BenchConfig(dataset=args.dataset, out=args.out, enhancers=["did"], ocr=[args.ocr],
                          levels=args.levels.split(","), limit=args.limit, seed=0,
                          shard=parse_shard(args.shard or "0/1"),
                          settings=ReadSettings(max_side=args.side, refine=False), grid_images=0).check()
        Bench(cfg).run()
        if args.shard:
            return
    out = Path(args.out)
    new = did_words(sorted(out.glob("shards/*.csv")) + [p for p in [out / "per_image.csv"] if p.is_file()], args.ocr)
    base = did_words([Path(args.base)], args.ocr, args.base_enhancer)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for name, (level, words) in new.items():
        if name in base:
            t, b = tally[level], base[name][1]
            t[0] += 1
            t[1] += b
            t[2] += words
            t[3] += words > b
            t[4] += words < b
    rows = [{"dataset": args.dataset, "level": level, "side": args.side or "default", "ocr": args.ocr, "images": t[0],
             "base_words": t[1], "words": t[2], "images_better": t[3], "images_worse": t[4]}
            for level, t in sorted(tally.items())]
    for row in rows:
        print(row)
    if args.csv:
        path = Path(args.csv)
        new_file = not path.exists()
        with open(path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            if new_file:
                w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
