"""Speed of the DiD cascade: the published way vs. our batched float32 cascade vs. the fast modes.

Same trained model, same images, same machine, same run. Each (mode, size)
runs in its own process so that its peak memory (max RSS) is its own.

    (a) reference: one 32x32 window at a time, in float64 (as the published code)
    (b) batched:   all windows of a scale per network call (chunks of 256), float32
    (c) fast:      batched, upper scales start from the previous estimate (``--quality fast``)
    (d) onestep:   batched, one denoiser evaluation per window (``--quality onestep``, the default)
    (e) onestep-onnx: (d) with the network on ONNX Runtime and the cascade on numpy, no torch (what
                   ``read`` runs on a CPU; needs the model's export beside it)

Writes benchmarks/results/speed.csv and prints a Markdown table with the
speed-ups as ratios measured in this run.

    python benchmarks/speed.py                       # 256x256, 640x480, 1024x768
    python benchmarks/speed.py --sizes 256x256 --modes batched,fast
    python benchmarks/speed.py --sizes 3000x4000 --modes fast --max-side 1024   # large photos
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from did_ocr.fileio import atomic_write_csv

ROOT = Path(__file__).resolve().parents[1]
MODES = ("reference", "batched", "fast", "onestep", "onestep-onnx")


def one(mode: str, size: str, model: str, threads: int, max_side: int, seed: int) -> dict:
    """Run one reconstruction in this process and return its measurements."""
    import numpy as np

    from did_ocr.data.synth.generator import make_sample
    from did_ocr.diffusion.cascade import reconstruct
    from did_ocr.enhancers.did import QUALITIES, _cap_side

    h, w = (int(v) for v in size.split("x"))
    sample = make_sample(seed, 0, "night", size=(h, w), kind="document")
    dark = np.ascontiguousarray((_cap_side(sample.dark_linear, max_side) if max_side else sample.dark_linear)
                                .transpose(2, 0, 1))
    config = {"reference": replace(QUALITIES["full"], chunk=1, dtype="float64"), "batched": QUALITIES["full"],
              "fast": QUALITIES["fast"], "onestep": QUALITIES["onestep"]}[mode.removesuffix("-onnx")]
    if mode.endswith("-onnx"):
        from did_ocr.model.onnx_model import load_onnx_model

        loaded = load_onnx_model(model, threads)
        if loaded is None:
            sys.exit(f"{model}: no up-to-date ONNX export beside it (python -m did_ocr.model.onnx_model {model})")
        net, image = loaded.model, dark
    else:
        import torch

        from did_ocr.model.checkpoint import load_model

        torch.set_num_threads(threads)
        loaded = load_model(model)
        net, image = loaded.model.double() if mode == "reference" else loaded.model, torch.from_numpy(dark)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    out, stats = reconstruct(net, loaded.norm, image, config, seed=seed)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "size": size, "work_size": f"{dark.shape[1]}x{dark.shape[2]}", "seconds": round(seconds, 2),
            "windows": stats.windows, "network_evaluations": stats.network_evaluations,
            "windows_per_s": round(stats.windows / seconds, 2),
            "evaluations_per_s": round(stats.network_evaluations / seconds, 1),
            "peak_rss_mb": round(peak, 1), "rss_before_mb": round(rss_before, 1), "threads": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "did_ocr" / "weights" / "did_s.safetensors"))
    parser.add_argument("--sizes", default="256x256,480x640,768x1024", help="HxW list")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-side", type=int, default=0, help="downscale the longer side first (0: never)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "speed.csv"))
    parser.add_argument("--one", nargs=2, metavar=("MODE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.model, args.threads, args.max_side, args.seed)))
        return
    rows = []
    for size in args.sizes.split(","):
        for mode in args.modes.split(","):
            cmd = [sys.executable, __file__, "--one", mode, size, "--model", args.model, "--threads", str(args.threads),
                   "--max-side", str(args.max_side), "--seed", str(args.seed)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
            if proc.returncode != 0:
                sys.exit(f"{mode} {size} failed:\n{proc.stderr[-2000:]}")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{size:>10} {mode:>9}: {row['seconds']:8.2f} s  {row['network_evaluations']:7d} evals  "
                  f"{row['peak_rss_mb']:7.0f} MB", flush=True)
    by = {(r["size"], r["mode"]): r for r in rows}
    for r in rows:
        ref = by.get((r["size"], "reference"))
        full = by.get((r["size"], "batched"))
        r["speedup_vs_reference"] = round(ref["seconds"] / r["seconds"], 2) if ref else ""
        r["speedup_vs_batched"] = round(full["seconds"] / r["seconds"], 2) if full else ""
        r["machine"] = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_csv(args.out, rows)
    print("\n| size | mode | seconds | network evals | windows/s | peak MB | x reference | x batched |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']} | {r['mode']} | {r['seconds']} | {r['network_evaluations']} | {r['windows_per_s']} | "
              f"{r['peak_rss_mb']:.0f} | {r['speedup_vs_reference']} | {r['speedup_vs_batched']} |")


if __name__ == "__main__":
    main()
