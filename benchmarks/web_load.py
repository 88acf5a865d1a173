"""Load test of `did-ocr serve` on loopback: many requests at once, good photos and bad files mixed.

Starts the real server (``did-ocr serve``, default enhancer unless
``--enhancer``) in its own process, sends ``--requests`` uploads with
``--concurrency`` in flight: the bundled examples (their words are in
examples/labels.csv), broken files (truncated PNG, text, empty, random
bytes, a JPEG cut in half) and one upload over the size limit. Records
every answer, then checks that the server still answers and reads its peak
memory (VmHWM). Writes benchmarks/results/web_load.csv (one row per
request) and web_load.json (the summary).

    python benchmarks/web_load.py --requests 50 --concurrency 8
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.webserver import get_json, post_file  # noqa: E402  (the tests' own client: one way to talk to the server)

RESULTS = ROOT / "benchmarks" / "results"
LIMIT_MB = 8


def uploads(n: int) -> list[tuple[str, str, bytes, str]]:
    """(kind, file name, bytes, expected words) for n requests: 3 good for every 2 broken, one oversized."""
    with open(ROOT / "examples" / "labels.csv", encoding="utf-8") as f:
        labels = {row["name"]: row["text"] for row in csv.DictReader(f)}
    good = [(p.name, p.read_bytes(), labels[p.name]) for p in sorted((ROOT / "examples").glob("*.png"))]
    png = good[0][1]
    broken = [("cut.png", png[: len(png) // 3]), ("notes.png", b"this is a text file, not a photo\n"), ("empty.jpg", b""),
              ("noise.heic", os.urandom(50_000)), ("half.jpg", _jpeg_half())]
    out = [("oversized", "huge.png", b"\x89PNG\r\n\x1a\n" + os.urandom(LIMIT_MB * 1024 * 1024 + 100_000), "")]
    for i in range(n - 1):
        if i % 5 < 3:
            name, data, words = good[i % len(good)]
            out.append(("good", name, data, words))
        else:
            name, data = broken[i % len(broken)]
            out.append(("broken", name, data, ""))
    return out


def _jpeg_half() -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((np.random.default_rng(0).random((240, 320, 3)) * 255).astype(np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()[: len(buf.getvalue()) // 2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--enhancer", default=None, help="default: the server's default (did)")
    parser.add_argument("--out", default=str(RESULTS / "web_load.csv"))
    args = parser.parse_args()
    from did_ocr.bench.metrics import word_score

    port = _free_port()
    command = [str(ROOT / ".venv" / "bin" / "did-ocr"), "serve", "--port", str(port), "--max-upload-mb", str(LIMIT_MB)]
    if args.enhancer:
        command += ["--enhancer", args.enhancer]
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    t_start = time.perf_counter()
    try:
        while True:
            try:
                if get_json(f"{url}/health", timeout=2)[0] == 200:
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"the server exited: {server.stderr.read()}")
                time.sleep(0.5)
        startup_s = time.perf_counter() - t_start
        requests = uploads(args.requests)

        def send(job: tuple[str, str, bytes, str]) -> dict:
            kind, name, data, words = job
            t0 = time.perf_counter()
            try:
                status, answer = post_file(f"{url}/read", name, data, timeout=600)
            except OSError as exc:  # the connection itself failed
                status, answer = -1, {"error": f"{type(exc).__name__}: {exc}"}
            score = word_score(words, answer.get("text", "")) if kind == "good" else None
            return {"kind": kind, "file": name, "bytes": len(data), "status": status,
                    "seconds": round(time.perf_counter() - t0, 2),
                    "words_found": score.found if score else "", "words": score.total if score else "",
                    "text": answer.get("text", "").replace("\n", " / "), "error": answer.get("error", "")}

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            rows = list(pool.map(send, requests))
        wall = time.perf_counter() - t0
        alive_status, health = get_json(f"{url}/health")
        peak = _peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = Path(args.out)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    good = [r for r in rows if r["kind"] == "good"]
    bad = [r for r in rows if r["kind"] != "good"]
    summary = {
        "requests": len(rows), "concurrency": args.concurrency, "enhancer": args.enhancer or "did (default)",
        "good": len(good), "good_answered_200": sum(r["status"] == 200 for r in good),
        "good_words_found": sum(r["words_found"] for r in good if r["status"] == 200),
        "good_words": sum(r["words"] for r in good),
        "bad": len(bad), "bad_4xx": sum(400 <= r["status"] < 500 for r in bad),
        "status_counts": {str(s): sum(r["status"] == s for r in rows) for s in sorted({r["status"] for r in rows})},
        "busy_503": sum(r["status"] == 503 for r in rows), "connection_failures": sum(r["status"] == -1 for r in rows),
        "wall_seconds": round(wall, 1), "startup_seconds": round(startup_s, 1),
        "good_seconds_median": sorted(r["seconds"] for r in good)[len(good) // 2] if good else None,
        "server_alive_after": alive_status == 200 and health.get("ok") is True, "served": health.get("served"),
        "server_peak_rss_mb": round(peak), "upload_limit_mb": LIMIT_MB,
        "load_1min_after": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
