"""Time to write a synthetic dataset (goal: 200 images across the light levels in under a minute).

    .venv/bin/python benchmarks/synth_speed.py [--n 200]

Appends a row to benchmarks/results/synth_speed.csv.
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

from did_ocr.data.dataset import LowLightDataset
from did_ocr.data.synth.generator import write_dataset

GOAL_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "synth_speed.csv"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_dataset(Path(tmp) / "ds", args.n, seed=0, progress=False)
        seconds = time.perf_counter() - t0
        loaded = len(LowLightDataset(Path(tmp) / "ds", require_high=True))
    row = {"images": args.n, "seconds": round(seconds, 2), "images_per_s": round(args.n / seconds, 1),
           "loaded_by_reader": loaded, "goal_s": GOAL_SECONDS, "meets_goal": seconds < GOAL_SECONDS,
           "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    new = not Path(args.out).exists()
    with open(args.out, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
    print(row)


if __name__ == "__main__":
    main()
