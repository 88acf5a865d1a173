"""Training throughput (windows per second) for each model size on this machine.

    .venv/bin/python benchmarks/train_speed.py [--sizes S,M,L] [--steps 5] [--perceptual craft]

Times full training steps (data, augmentation, windows, forward, backward,
Adam, EMA) at batch 64 after two warm-up steps; writes
benchmarks/results/train_speed.csv.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from did_ocr.fileio import atomic_write_csv

import torch


def measure(size: str, steps: int, perceptual: str, threads: int) -> dict:
    from did_ocr.model.unet import count_parameters
    from did_ocr.training.trainer import TrainConfig, Trainer

    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(out=tmp, size=size, batch=64, perceptual=perceptual, norm_fit_pairs=32, pool=64,
                          device="cpu", preview_every=0)
        trainer = Trainer(cfg)
        for _ in range(2):
            trainer.train_step()
        t0 = time.perf_counter()
        for _ in range(steps):
            trainer.train_step()
        seconds = (time.perf_counter() - t0) / steps
    return {"size": size, "parameters": count_parameters(trainer.model.net), "perceptual": perceptual,
            "batch": 64, "seconds_per_step": round(seconds, 3), "windows_per_s": round(64 / seconds, 1),
            "threads": threads, "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="S,M,L")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--perceptual", default="craft")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "train_speed.csv"))
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        row = measure(size, args.steps, args.perceptual, args.threads)
        rows.append(row)
        print(row, flush=True)
    atomic_write_csv(args.out, rows)


if __name__ == "__main__":
    main()
