"""Word accuracy reached per CPU hour of training: evaluate models on fixed benchmark sets.

    .venv/bin/python benchmarks/accuracy_per_hour.py RUN_DIR|MODEL.safetensors ... \\
        --dataset ../runs/val/iiit5k --dataset ../runs/val/svt --levels dark,night --limit 200,40 \\
        --out benchmarks/results/ablations_real.csv

A RUN_DIR stands for its ``snapshots/model_stepN.safetensors`` (``--steps`` picks
some) or, without snapshots, its ``model.safetensors``. Every model is run as
``did-ocr bench`` (DiD only, default quality) on the same images of every
``--dataset`` (``synthetic`` or a dataset folder; ``--limit`` per dataset,
comma-separated), and its word accuracy per level is recorded with the CPU time
its training used (``cpu_seconds`` in the checkpoint; older checkpoints only
know their wall time, recorded as such). Writes a CSV and a plot beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from did_ocr.fileio import atomic_write_csv

from did_ocr.enhancers.base import DEFAULT_QUALITY

RESULTS = Path(__file__).parent / "results"


def models_of(target: Path, steps: set[int] | None) -> list[Path]:
    if target.is_file():
        return [target]
    snaps = sorted((target / "snapshots").glob("model_step*.safetensors"), key=lambda p: int(p.stem.split("step")[1]))
    if steps:
        snaps = [m for m in snaps if int(m.stem.split("step")[1]) in steps]
    return snaps or [target / "model.safetensors"]


def evaluate(model: Path, dataset: str, out: Path, limit: int, levels: list[str] | None, seed: int,
             quality: str) -> dict[str, float]:
    """DiD word accuracy per level (and 'all') of one model on one dataset, through the bench itself."""
    from did_ocr.bench.results import load_rows, summarize
    from did_ocr.bench.runner import Bench, BenchConfig
    from did_ocr.reading.settings import ReadSettings

    cfg = BenchConfig(dataset=dataset, out=str(out), enhancers=["did"], limit=limit, levels=levels, seed=seed,
                      settings=ReadSettings(model=str(model), quality=quality, device="cpu"), grid_images=0)
    Bench(cfg).run()
    summary = summarize(load_rows([out / "per_image.csv"]))
    did = summary[summary.enhancer == "did"]
    return {str(r.level): float(r.word_accuracy) for r in did.itertuples()}


def main() -> None:
    from did_ocr.model.checkpoint import read_checkpoint

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="+", help="run folders or model files")
    parser.add_argument("--dataset", action="append", default=None, help="'synthetic' or a dataset folder (repeatable)")
    parser.add_argument("--limit", default="48", help="images per dataset, comma-separated in --dataset order")
    parser.add_argument("--levels", default=None, help="only these levels, e.g. dark,night")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quality", default=DEFAULT_QUALITY, help="DiD quality (default: the tool's default)")
    parser.add_argument("--steps", default=None, help="only these snapshot steps, e.g. 1000,3000,5000")
    parser.add_argument("--work", default="bench_out/accuracy_per_hour")
    parser.add_argument("--out", default=str(RESULTS / "accuracy_per_hour.csv"))
    args = parser.parse_args()
    datasets = args.dataset or ["synthetic"]
    limits = [int(v) for v in args.limit.split(",")]
    limits += [limits[-1]] * (len(datasets) - len(limits))
    levels = args.levels.split(",") if args.levels else None
    steps = {int(s) for s in args.steps.split(",")} if args.steps else None
    rows = []
    for target in map(Path, args.targets):
        for model in models_of(target, steps):
            _, meta = read_checkpoint(model)
            train = meta.get("train", {})
            cpu = meta.get("cpu_seconds")
            # a model file is named by its folder too: runs' files are all called model.safetensors
            run = f"{target.parent.name}_{target.stem}" if target.is_file() else target.name
            base = {"run": run, "model": model.name,
                    "size": train.get("size"), "step": meta.get("step"), "patches_seen": meta.get("patches_seen"),
                    "cpu_hours": round(cpu / 3600, 3) if cpu is not None else None,
                    "wall_hours": round(meta.get("wall_seconds", 0) / 3600, 3),
                    "tail_norm": meta["norm"].get("enabled", True), "onestep_fraction": train.get("onestep_fraction", 0.0),
                    "recognition_weight": train.get("recognition_weight", 0.0), "init": bool(train.get("init")),
                    "quality": args.quality}
            for dataset, limit in zip(datasets, limits):
                name = Path(dataset).name
                accuracy = evaluate(model, dataset, Path(args.work) / base["run"] / model.stem / name, limit, levels,
                                    args.seed, args.quality)
                for level, value in accuracy.items():
                    row = {**base, "dataset": name, "images": limit, "level": level, "word_accuracy": round(value, 4)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    atomic_write_csv(args.out, rows)
    plot(rows, Path(args.out).with_suffix(".png"))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4), dpi=120, squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        for run in dict.fromkeys(r["run"] for r in rows):
            pts = [r for r in rows if r["run"] == run and r["dataset"] == dataset and r["level"] == "all"]
            if not pts:
                continue
            x = [r["cpu_hours"] if r["cpu_hours"] is not None else r["wall_hours"] for r in pts]
            ax.plot(x, [100 * r["word_accuracy"] for r in pts], marker="o", label=f"{run} ({pts[0]['size']})")
        ax.set_title(dataset)
        ax.set_xlabel("training CPU hours")
        ax.set_ylabel("DiD word accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
