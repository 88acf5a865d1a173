"""Phone-size photos: word accuracy against the detector's resolution, and the time and memory of `did-ocr read`.

Two measurements (issue 16), each written as a CSV under benchmarks/results/:

``accuracy``: large dark photos with text of several sizes, read with each
``--sides`` value as the longer side of the copy the text detector sees (the
recognizer always reads the full-resolution image). Two sources:

* synthetic: 4000x3000 scenes composed of panels rendered by the project's
  own renderer (did_ocr/data/synth) at three text sizes (panels 90, 220 and
  560 px tall: ``small``, ``medium``, ``large``), darkened by the capture
  simulation (``dim`` and ``dark`` alternately);
* svt: photos of ../shared/data/svt_train upscaled to a 4000-pixel longer
  side (bicubic) and darkened the same way. Only aggregates are written
  (no pixels, no per-image rows with their words).

Word accuracy is per text size (synthetic: the panel's; svt: the height
of the word's box at full resolution, under 50 px small, under 130 px
medium, else large) and overall; the enhancer is applied once per image and
its output read at every setting.

``speed``: seconds and peak memory (max RSS) of the `did-ocr read` command,
default settings (or ``--read-args``), one process per measurement, at
each ``--sizes``, with the machine's load average recorded beside each row.
Rows are appended to ``--out`` (so that runs with other settings add up).

    python benchmarks/large_photos.py accuracy --enhancers gain,did --sides 2560,1600,1280,1024
    python benchmarks/large_photos.py speed --sizes 640x480,1920x1080,4000x3000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: panel heights (pixels) of the three text sizes of the synthetic scenes, and panels per size
PANELS = {"small": (90, 4), "medium": (220, 3), "large": (560, 2)}
BUCKETS = (("small", 0, 50), ("medium", 50, 130), ("large", 130, 10_000))  # letter-box height ranges, px


@dataclass
class LargePhoto:
    """A dark capture (linear RGB) with its words and each word's box height at full resolution."""

    source: str
    capture: np.ndarray
    words: list[tuple[str, str]]  # (word, text size: small, medium or large)


def _bucket(height: float) -> str:
    return next(name for name, lo, hi in BUCKETS if lo <= height < hi)


def _darken(clean_srgb8: np.ndarray, rng: np.random.Generator, level: str) -> np.ndarray:
    from did_ocr.data.synth.simulate import sample_params, simulate_capture

    return simulate_capture(clean_srgb8, sample_params(rng, level, "srgb8"), rng)


def synthetic_photo(index: int, size: tuple[int, int] = (3000, 4000)) -> LargePhoto:
    """Panels of rendered text at three sizes on a smooth dark-toned background, then darkened."""
    from did_ocr.data.synth.generator import sample_rng
    from did_ocr.data.synth.render import render_scene

    rng = sample_rng(1600, index)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    tone = rng.uniform(40, 120, 3)
    canvas = (tone + 30 * np.sin(xx[..., None] / rng.uniform(300, 900)) * np.cos(yy[..., None] / rng.uniform(300, 900)))
    canvas = np.clip(canvas, 0, 255).astype(np.uint8)
    words: list[tuple[str, str]] = []
    band = h // len(PANELS)  # one horizontal band of the photo per text size, panels spread across it
    for row, (size_name, (panel_h, count)) in enumerate(PANELS.items()):
        slot = w // count
        for k in range(count):
            panel_w = min(slot - 40, int(panel_h * rng.uniform(2.6, 3.4)))
            x = k * slot + int(rng.integers(20, slot - panel_w - 19))
            y = row * band + int(rng.integers(20, band - panel_h - 19))
            scene = render_scene(rng, panel_h, panel_w, kind=str(rng.choice(["sign", "plate", "label", "shopfront"])))
            canvas[y:y + panel_h, x:x + panel_w] = scene.image
            words += [(word, size_name) for word in scene.text.split()]
    level = ("dim", "dark")[index % 2]
    return LargePhoto("synthetic", _darken(canvas, rng, level), words)


def svt_photos(folder: Path, n: int, long_side: int = 4000) -> list[LargePhoto]:
    """The first ``n`` photos (by name) of an SVT folder, upscaled and darkened; their tagged words."""
    import cv2
    from PIL import Image

    from did_ocr.data.synth.generator import sample_rng

    boxes: dict[str, list[tuple[str, float]]] = {}
    with open(folder / "words.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            boxes.setdefault(row["name"], []).append((row["text"], float(row["y1"]) - float(row["y0"])))
    out = []
    for i, name in enumerate(sorted(boxes)[:n]):
        image = np.asarray(Image.open(folder / "high" / f"{name}.jpg").convert("RGB"))
        scale = long_side / max(image.shape[:2])
        big = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
        rng = sample_rng(1601, i)
        words = [(t, _bucket(hgt * scale)) for t, hgt in boxes[name]]
        out.append(LargePhoto("svt", _darken(big, rng, ("dim", "dark")[i % 2]), words))
    return out


def accuracy(args: argparse.Namespace) -> None:
    import torch
    from tqdm import tqdm

    from did_ocr.bench.metrics import word_score
    from did_ocr.enhancers import build_enhancer
    from did_ocr.ocr.reader import get_reader

    torch.set_num_threads(args.threads)
    sources = [lambda i=i: [synthetic_photo(i)] for i in range(args.n_synth)]
    if args.svt and Path(args.svt).is_dir():
        sources += [lambda i=i: svt_photos(Path(args.svt), i + 1)[i:] for i in range(args.n_svt)]
    sides = [int(s) for s in args.sides.split(",")]
    names = args.enhancers.split(",")
    enhancers = {name: build_enhancer(name, device="cpu") for name in names}
    reader = get_reader("cpu")
    tally: dict[tuple, list[float]] = {}
    bar = tqdm(total=len(sources) * len(sides) * len(names), desc="large photos", unit="read")
    for make in sources:  # photos made one at a time: each is read with every enhancer and setting, then dropped
        photo = make()[0]
        for name in names:
            enhanced = enhancers[name].enhance(photo.capture, seed=0)
            for side in sides:
                t0 = time.perf_counter()
                predicted = " ".join(w.text for w in reader.read_words(enhanced, side))
                seconds = time.perf_counter() - t0
                for bucket in [*(b for b, _, _ in BUCKETS), "all"]:
                    truth = " ".join(w for w, size in photo.words if bucket in ("all", size))
                    score = word_score(truth, predicted)
                    entry = tally.setdefault((photo.source, name, side, bucket), [0, 0, 0.0, 0])
                    entry[0] += score.found
                    entry[1] += score.total
                    if bucket == "all":
                        entry[2] += seconds
                        entry[3] += 1
                bar.update(1)
        _write_tally(Path(args.out), tally, args.threads)  # after every photo: a stopped run keeps what it measured
    bar.close()


def _write_tally(out: Path, tally: dict[tuple, list[float]], threads: int) -> None:
    """Aggregates only (per source, enhancer, setting, text size): no per-image rows, no words."""
    counts = {key[:3]: n for key, (_, _, _, n) in tally.items() if key[3] == "all"}
    rows = [{"source": src, "enhancer": enh, "detect_side": side, "text_size": bucket,
             "images": counts[(src, enh, side)], "words": total, "found": found,
             "word_accuracy": round(100 * found / total, 1) if total else "",
             "ocr_seconds_mean": round(secs / n, 2) if n else ""}
            for (src, enh, side, bucket), (found, total, secs, n) in tally.items()]
    _write(out, rows, {"threads": threads, "load_1_5_15min": os.getloadavg()})


def speed(args: argparse.Namespace) -> None:
    from PIL import Image

    from did_ocr.bench.metrics import word_score
    from did_ocr.capture.colorspace import linear_to_srgb8

    rows = []
    with tempfile.TemporaryDirectory(prefix="did-ocr-large-") as tmp:
        for size in args.sizes.split(","):
            w, h = (int(v) for v in size.split("x"))
            photo = synthetic_photo(0, size=(h, w)) if min(h, w) >= 3000 else _small_photo(h, w)
            path = Path(tmp) / f"dark_{size}.png"
            Image.fromarray(linear_to_srgb8(photo.capture)).save(path)
            for enhancer in args.enhancers.split(","):
                command = [str(ROOT / ".venv" / "bin" / "did-ocr"), "read", str(path), "--json", "-e", enhancer,
                           *args.read_args.split()]
                load_before = os.getloadavg()[0]
                t0 = time.perf_counter()
                done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True)
                seconds = time.perf_counter() - t0
                peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
                answer = json.loads(done.stdout)[0]
                truth = " ".join(wd for wd, _ in photo.words)
                score = word_score(truth, answer.get("text", ""))
                rows.append({"size": size, "enhancer": enhancer, "read_args": args.read_args, "seconds": round(seconds, 2),
                             "read_s": round(answer["timings"].get("enhance_s", 0) + answer["timings"].get("ocr_s", 0), 2),
                             **{k: round(answer["timings"].get(k, 0), 2) for k in ("load_s", "enhance_s", "ocr_s")},
                             "startup_s": round(seconds - answer["timings"].get("total_s", 0), 2),
                             "peak_rss_mb": round(peak_mb), "words_found": score.found, "words": score.total,
                             "load_1min_before": round(load_before, 2), "load_1min_after": round(os.getloadavg()[0], 2),
                             "omp_threads": os.environ.get("OMP_NUM_THREADS", "default")})
                print(json.dumps(rows[-1]), flush=True)
    _write(Path(args.out), rows, {}, append=True)


def _small_photo(h: int, w: int) -> LargePhoto:
    from did_ocr.data.synth.generator import make_sample

    sample = make_sample(1602, 0, "dark", size=(h, w), kind="sign")
    return LargePhoto("synthetic", sample.dark_linear, [(wd, "") for wd in sample.scene.text.split()])


def _write(out: Path, rows: list[dict], meta: dict, append: bool = False) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    adding = append and out.exists()
    with open(out, "a" if adding else "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        if not adding:
            writer.writeheader()
        writer.writerows(rows)
    info = {**meta, "machine": platform.platform(), "cpus": os.cpu_count(), "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": " ".join(sys.argv)}
    out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    acc = sub.add_parser("accuracy")
    acc.add_argument("--enhancers", default="gain")
    acc.add_argument("--sides", default="2560,1920,1600,1280,1024")
    acc.add_argument("--n-synth", type=int, default=6)
    acc.add_argument("--n-svt", type=int, default=6)
    acc.add_argument("--svt", default=str(ROOT.parent / "shared" / "data" / "svt_train"))
    acc.add_argument("--threads", type=int, default=1)
    acc.add_argument("--out", default=str(RESULTS / "large_accuracy.csv"))
    spd = sub.add_parser("speed")
    spd.add_argument("--sizes", default="640x480,1920x1080,4000x3000")
    spd.add_argument("--enhancers", default="did")
    spd.add_argument("--read-args", default="", help="more options for did-ocr read, e.g. '--detect-side 2560'")
    spd.add_argument("--out", default=str(RESULTS / "large_read.csv"))
    args = parser.parse_args()
    if args.what == "accuracy":
        accuracy(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
