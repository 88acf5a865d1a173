"""Word accuracy reached per hour of CPU training: evaluate a run's snapshots on a fixed benchmark.

    .venv/bin/python benchmarks/accuracy_per_hour.py RUN_DIR [RUN_DIR...] --limit 48

For every ``RUN_DIR/snapshots/model_stepN.safetensors`` (or the ``--steps`` chosen)
runs ``did-ocr bench`` (DiD only, default quality) on the same synthetic images,
and records the word accuracy with the snapshot's training wall time (stored
in the checkpoint). Writes benchmarks/results/accuracy_per_hour.csv and .png.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from did_ocr.enhancers.catalog import DEFAULT_QUALITY

RESULTS = Path(__file__).parent / "results"


def evaluate(model: Path, out: Path, limit: int, seed: int, quality: str) -> float:
    from did_ocr.bench.results import load_rows, summarize
    from did_ocr.bench.runner import Bench, BenchConfig

    cfg = BenchConfig(dataset="synthetic", out=str(out), enhancers=["did"], limit=limit, seed=seed, model=str(model),
                      quality=quality, grid_images=0, device="cpu")
    Bench(cfg).run()
    summary = summarize(load_rows([out / "per_image.csv"]))
    return float(summary[(summary.enhancer == "did") & (summary.level == "all")]["word_accuracy"].iloc[0])


def main() -> None:
    from did_ocr.model.checkpoint import read_checkpoint

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--limit", type=int, default=48)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quality", default=DEFAULT_QUALITY, help="DiD quality (default: the tool's default)")
    parser.add_argument("--steps", default=None, help="only these snapshot steps, e.g. 1000,3000,5000")
    parser.add_argument("--work", default="bench_out/accuracy_per_hour")
    parser.add_argument("--out", default=str(RESULTS / "accuracy_per_hour.csv"))
    args = parser.parse_args()
    rows = []
    for run in map(Path, args.runs):
        models = sorted((run / "snapshots").glob("model_step*.safetensors"), key=lambda p: int(p.stem.split("step")[1]))
        if args.steps:
            wanted = {int(s) for s in args.steps.split(",")}
            models = [m for m in models if int(m.stem.split("step")[1]) in wanted]
        for model in models:
            _, meta = read_checkpoint(model)
            acc = evaluate(model, Path(args.work) / run.name / model.stem, args.limit, args.seed, args.quality)
            row = {"run": run.name, "size": meta["train"]["size"], "step": meta["step"],
                   "patches_seen": meta.get("patches_seen"), "cpu_hours": round(meta.get("wall_seconds", 0) / 3600, 3),
                   "word_accuracy": round(acc, 4), "images": args.limit, "quality": args.quality,
                   "perceptual": meta["train"].get("perceptual"), "tail_norm": meta["norm"].get("enabled", True)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, Path(args.out).with_suffix(".png"))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for run in dict.fromkeys(r["run"] for r in rows):
        pts = [r for r in rows if r["run"] == run]
        ax.plot([r["cpu_hours"] for r in pts], [100 * r["word_accuracy"] for r in pts], marker="o",
                label=f"{run} ({pts[0]['size']}, {pts[0]['perceptual']})")
    ax.set_xlabel("training wall time on this 2-core CPU (hours)")
    ax.set_ylabel("DiD word accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
