"""Throughput of ``did-ocr read`` in one process and with Ray actors, and what a cluster would do on paper.

Three runs, each a separate process timed with ``/usr/bin/time -f %M`` (its
peak resident memory), over ``--copies`` copies of the bundled examples
(examples/*.png) read with one ``--enhancer`` (default did):

1. ``single``: ``did-ocr read FOLDER --json`` in one process;
2. ``ray-1``: ``read --ray`` with 1 actor;
3. ``ray-2``: ``read --ray`` with 2 actors (``--actors-list`` to change).

The Ray runs are this script in ``--child`` mode: it starts a local Ray
(timed: ``ray_init_s``) with ``actors x --actor-threads`` CPUs and calls
:func:`did_ocr.reading.distributed.read_with_ray`, the function behind
``did-ocr read --ray``, noting when each row reaches the driver. Each row
says which actor read it and that actor's peak memory so far
(``timings.worker_pid``, ``timings.worker_peak_mb``), so per actor: the time
to its first row (its start-up: process, imports, models, first photo) and
its peak memory. ``/usr/bin/time`` gives the driver's peak (GNU time reports
the largest of the process and the children it waited for, not the Ray
daemons, which are not its children once started).

Rates: ``images_per_s`` is images over the whole process (start-up
included); ``steady_images_per_s`` leaves the start-up out: images over the
time from the first actor's beginning its first photo to the last row
(single process: over the sum of the photos' read times);
``per_actor_images_per_s`` is, averaged over the actors, each one's rows
over the time from its first photo's start to its last row (single
process: the same as steady). Rows may reach the driver in bursts, so each
of these times is taken as at least the sum of the photos' read times. ``read_s_per_image`` is the time inside the
pipeline per photo (``timings.total_s``).

On paper, a cluster of N machines with C cores each runs
``floor(C / actor_threads)`` actors per machine (fewer if memory runs out:
``floor(memory / worker_peak_mb)``), so

    images/hour = N * floor(C / actor_threads) * per-actor rate * 3600

with the per-actor rate measured by ``ray-1``. What limits it: each actor
loads its models once (time to first row, and its memory on every node); the
driver alone writes and fsyncs every row (measured here: ``driver_rows_per_s``
of fsynced appends, its ceiling); and the object store carries only the paths
and the result rows (KB each), not the photos, which each actor reads from
shared storage.

Aggregates go to ``--out`` (CSV, one row per run) and ``--out`` with
``.json`` (machine, load average, command, the on-paper estimates); no text
or per-image rows are written. Run it on a quiet machine; on a loaded one
the numbers say little (the load average is recorded).

    python benchmarks/ray_throughput.py [--copies 20] [--enhancer did] [--actor-threads 1]
        [--machines 1,4,16] [--cores 16] [--memory-gb 64]
    python benchmarks/ray_throughput.py --copies 2 --enhancer gain      # a quick check that it works
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "results" / "ray_throughput.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20, help="copies of each bundled example (3 photos each)")
    parser.add_argument("--enhancer", default="did")
    parser.add_argument("--ocr", default="rapidocr")
    parser.add_argument("--device", default="cpu", help="for every run (actors ask Ray for CPUs only)")
    parser.add_argument("--actor-threads", type=int, default=1,
                        help="CPUs per actor; also OMP_NUM_THREADS of the single process")
    parser.add_argument("--actors-list", default="1,2", help="the Ray runs: actors in each")
    parser.add_argument("--machines", default="1,4,16", help="on paper: cluster sizes N")
    parser.add_argument("--cores", type=int, default=16, help="on paper: cores C per machine")
    parser.add_argument("--memory-gb", type=float, default=None, help="on paper: memory per machine (caps actors)")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--actors", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--jsonl", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
    else:
        measure(args)


# ---- the measuring parent ---------------------------------------------------------------------
def measure(args: argparse.Namespace) -> None:
    if not Path("/usr/bin/time").exists():
        sys.exit("needs GNU time at /usr/bin/time (apt-get install time)")
    env = {**os.environ, "OMP_NUM_THREADS": str(args.actor_threads)}
    rows = []
    with tempfile.TemporaryDirectory(prefix="did-ocr-ray-bench-") as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        examples = sorted((ROOT / "examples").glob("*.png"))
        for k in range(args.copies):
            for png in examples:
                shutil.copy(png, folder / f"c{k:04d}_{png.name}")
        n = args.copies * len(examples)
        print(f"{n} photos, enhancer {args.enhancer}, ocr {args.ocr}", flush=True)

        did_ocr = Path(sys.executable).parent / "did-ocr"
        single, texts = _single(did_ocr if did_ocr.exists() else Path(shutil.which("did-ocr") or "did-ocr"),
                                folder, args, env, Path(tmp), n)
        rows.append(single)
        print(json.dumps(single), flush=True)
        for actors in (int(a) for a in args.actors_list.split(",")):
            rows.append(_ray(folder, actors, args, env, Path(tmp), n, texts))
            print(json.dumps(rows[-1]), flush=True)
        driver_rate = _driver_rows_per_s(Path(tmp))
    for row in rows:
        row["driver_rows_per_s"] = driver_rate
    estimates = on_paper(rows, args, driver_rate)
    for line in estimates["lines"]:
        print(line)
    _write(Path(args.out), rows, {"estimates": estimates})


def _timed(command: list[str], env: dict[str, str], tmp: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``command`` under /usr/bin/time: the result, wall seconds, peak RSS in MiB."""
    peak_file = tmp / "peak.txt"
    t0 = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(peak_file), *command], capture_output=True,
                          text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 2):
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak_kb = int(peak_file.read_text().strip().splitlines()[-1])
    return done, wall, peak_kb / 1024


def _single(did_ocr: Path, folder: Path, args: argparse.Namespace, env: dict[str, str], tmp: Path,
            n: int) -> tuple[dict, dict[str, str]]:
    load = os.getloadavg()[0]
    done, wall, peak = _timed([str(did_ocr), "read", str(folder), "--json", "-e", args.enhancer, "--ocr", args.ocr,
                               "--device", args.device],
                              env, tmp)
    records = json.loads(done.stdout)
    read_s = [r["timings"]["total_s"] for r in records if "timings" in r]
    busy = sum(read_s)
    row = _row("single", 0, args, n, wall, peak, load)
    row.update(steady_images_per_s=_round(len(read_s) / busy if busy else None),
               per_actor_images_per_s=_round(len(read_s) / busy if busy else None),
               read_s_per_image=_round(busy / len(read_s) if read_s else None),
               first_row_s=_round(wall - busy + (read_s[0] if read_s else 0)),  # start-up + the first photo
               worker_peak_mb=round(peak), errors=sum(1 for r in records if "error" in r))
    texts = {r["file"]: r.get("text", "") for r in records if "error" not in r}
    return row, texts


def _ray(folder: Path, actors: int, args: argparse.Namespace, env: dict[str, str], tmp: Path, n: int,
         texts: dict[str, str]) -> dict:
    load = os.getloadavg()[0]
    jsonl = tmp / f"ray{actors}.jsonl"
    done, wall, peak = _timed([sys.executable, __file__, "--child", "--folder", str(folder), "--actors", str(actors),
                               "--actor-threads", str(args.actor_threads), "--enhancer", args.enhancer,
                               "--ocr", args.ocr, "--device", args.device, "--jsonl", str(jsonl)], env, tmp)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    arrivals = probe["arrivals"]  # [seconds after ray.init, worker pid, worker peak MiB, read seconds]
    row = _row(f"ray-{actors}", actors, args, n, wall, peak, load)
    first, last, start, count, busy, worker_peak = {}, {}, {}, {}, {}, {}
    for t, pid, mb, read_s in sorted(arrivals):
        if pid not in first:  # the actor began its first photo about read_s before that row arrived
            first[pid], start[pid] = t, t - read_s
        last[pid], count[pid] = t, count.get(pid, 0) + 1
        busy[pid] = busy.get(pid, 0) + read_s
        worker_peak[pid] = max(worker_peak.get(pid, 0), mb or 0)
    # rows may reach the driver in bursts: an actor worked at least the sum of its photos' read times
    spans = {p: max(last[p] - start[p], busy[p]) for p in first}
    rates = [count[p] / spans[p] for p in first if spans[p] > 0]
    span = max(max(last.values()) - min(start.values()), *spans.values()) if first else 0
    rows = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    same = all(r["text"] == texts.get(r["path"]) for r in rows if not r["error"])
    row.update(steady_images_per_s=_round(len(arrivals) / span if span > 0 else None),
               per_actor_images_per_s=_round(sum(rates) / len(rates) if rates else None),
               read_s_per_image=_round(sum(a[3] for a in arrivals) / len(arrivals) if arrivals else None),
               ray_init_s=_round(probe["ray_init_s"]), first_row_s=";".join(f"{t:.2f}" for t in first.values()),
               actors_seen=len(first), worker_peak_mb=";".join(str(round(v)) for v in worker_peak.values()),
               errors=sum(1 for r in rows if r["error"]), texts_equal_single=same)
    return row


def _row(config: str, actors: int, args: argparse.Namespace, n: int, wall: float, peak: float, load: float) -> dict:
    return {"config": config, "actors": actors, "actor_threads": args.actor_threads, "enhancer": args.enhancer,
            "ocr": args.ocr, "images": n, "wall_s": _round(wall), "images_per_s": _round(n / wall),
            "steady_images_per_s": None, "per_actor_images_per_s": None, "read_s_per_image": None,
            "ray_init_s": None, "first_row_s": None, "actors_seen": None, "driver_peak_mb": round(peak),
            "worker_peak_mb": None, "errors": None, "texts_equal_single": None, "driver_rows_per_s": None,
            "load_1min_before": round(load, 2), "load_1min_after": round(os.getloadavg()[0], 2)}


def _driver_rows_per_s(tmp: Path, rows: int = 200) -> float:
    """How many result rows per second the driver can append and fsync (its ceiling as the single writer)."""
    from did_ocr.reading.distributed import _Sink

    row = {"path": "x" * 60, "text": "WORDS " * 8, "lines": json.dumps([{"text": "WORD", "confidence": 0.9,
                                                                        "box": [[0, 0]] * 4}] * 4),
           "timings": "{}", "error": ""}
    sink = _Sink.open(tmp / "driver_probe.jsonl")
    t0 = time.perf_counter()
    for _ in range(rows):
        sink.write(row)
    seconds = time.perf_counter() - t0
    sink.close(order=[])
    return round(rows / seconds, 1)


def on_paper(rows: list[dict], args: argparse.Namespace, driver_rate: float) -> dict:
    """images/hour = N * floor(C / actor_threads) * per-actor rate * 3600, per cluster size N; and its limits."""
    by = {r["config"]: r for r in rows}
    source = next((c for c in ("ray-1", "single") if c in by and by[c]["per_actor_images_per_s"]), None)
    rate = by[source]["per_actor_images_per_s"] if source else None
    per_machine = args.cores // args.actor_threads
    peaks = [float(v) for r in rows if r["config"].startswith("ray") and r["worker_peak_mb"]
             for v in str(r["worker_peak_mb"]).split(";") if v]
    worker_mb = max(peaks) if peaks else None
    if args.memory_gb and worker_mb:
        per_machine = min(per_machine, int(args.memory_gb * 1024 // worker_mb))
    lines = [f"on paper: images/hour = N machines x floor({args.cores} cores / {args.actor_threads} actor threads)"
             f" x per-actor rate x 3600 ({per_machine} actors per machine"
             f"{f', capped by {args.memory_gb} GB at {worker_mb:.0f} MiB per actor' if args.memory_gb and worker_mb else ''})"]
    clusters = []
    for n in (int(v) for v in args.machines.split(",")):
        per_hour = n * per_machine * rate * 3600 if rate else None
        clusters.append({"machines": n, "cores": args.cores, "actors": n * per_machine,
                         "images_per_hour": round(per_hour) if per_hour else None})
        capped = per_hour and driver_rate * 3600 < per_hour
        lines.append(f"  N={n}: {n * per_machine} actors, "
                     + (f"{per_hour:,.0f} images/hour" if per_hour else "no per-actor rate measured")
                     + (f" (above the driver's {driver_rate * 3600:,.0f} rows/hour: the single writer limits it)"
                        if capped else ""))
    first = [float(t) for r in rows if r["config"].startswith("ray") and r["first_row_s"]
             for t in str(r["first_row_s"]).split(";") if t]
    lines.append(f"  per-actor rate {rate} images/s from {source}; each actor's start-up (time to first row) "
                 f"{max(first):.1f} s and {worker_mb or 0:.0f} MiB on its node; the driver fsyncs "
                 f"{driver_rate:.0f} rows/s; the object store carries paths and result rows only"
                 if first else f"  per-actor rate {rate} images/s from {source}")
    return {"formula": "images/hour = N * floor(C / actor_threads) * per_actor_images_per_s * 3600",
            "per_actor_images_per_s": rate, "rate_from": source, "actors_per_machine": per_machine,
            "worker_peak_mb": worker_mb, "driver_rows_per_s": driver_rate, "clusters": clusters, "lines": lines}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, digits)


def _write(out: Path, rows: list[dict], meta: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    info = {**meta, "machine": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
            "load_1_5_15min": os.getloadavg(), "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])}
    out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {out} and {out.with_suffix('.json').name}")


# ---- the Ray driver being measured ------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    """One ``read --ray`` job: ray.init timed, then read_with_ray, noting when each row reaches the driver."""
    import logging

    t0 = time.perf_counter()
    import ray

    ray.init(num_cpus=args.actors * args.actor_threads, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR)
    started = time.perf_counter()
    ray_init_s = started - t0

    from did_ocr.reading import distributed as d

    arrivals = []
    write = d._Sink.write

    def noted(sink, row):  # the driver's write of each row: when it arrived, from which actor
        timings = json.loads(row["timings"] or "{}")
        arrivals.append([round(time.perf_counter() - started, 3), timings.get("worker_pid"),
                         timings.get("worker_peak_mb"), timings.get("total_s", 0)])
        write(sink, row)

    d._Sink.write = noted
    inputs = sorted(str(p) for p in Path(args.folder).iterdir())
    from did_ocr.reading.settings import ReadSettings

    settings = ReadSettings(enhancer=args.enhancer, ocr=args.ocr, device=args.device)
    try:
        d.read_with_ray(inputs, args.jsonl, settings, actors=args.actors, threads_per_actor=args.actor_threads,
                        progress=False)
    finally:
        ray.shutdown()
    print(json.dumps({"ray_init_s": ray_init_s, "arrivals": arrivals}))


if __name__ == "__main__":
    main()
