"""Phone-size photos: word accuracy against the detector's resolution, and the time and memory of `did-ocr read`.

Two measurements (issue 16), each written as a CSV under benchmarks/results/:

``accuracy``: large dark photos with text of several sizes, read by the
pipeline (``Pipeline.read_sample``, what ``did-ocr read`` does after
enhancing) with each ``--sides`` value as the longer side of the copy the text
detector sees, with and without ``--refine`` (small words read again from
full-resolution enhancements of their regions when the enhancer worked on a
reduced copy, as DiD does above ``--max-side``). Two sources:

* synthetic: 4000x3000 scenes composed of panels rendered by the project's
  own renderer (did_ocr/data/synth) at three text sizes (panels 90, 220 and
  560 px tall: ``small``, ``medium``, ``large``), darkened by the capture
  simulation (``dim`` and ``dark`` alternately);
* svt: photos of ../shared/data/svt_train upscaled to a 4000-pixel longer
  side (bicubic) and darkened the same way (the upscaling adds no detail:
  these test large text, not fine print);
* iiit: real word crops of ../shared/data/iiit5k_words pasted at their own
  resolution onto those upscaled street scenes (16 per photo), darkened the
  same way: real small print in a 12-megapixel photo.

Only aggregates are written (no pixels, no per-image rows with their words).

Word accuracy is per text size (synthetic: the panel's; svt: the height
of the word's box at full resolution, under 50 px small, under 130 px
medium, else large) and overall; the enhancer is applied once per image and
its output read at every setting.

``speed``: seconds and peak memory (max RSS) of the `did-ocr read` command,
default settings (or ``--read-args``, e.g. ``--ocr=easyocr``), one process
per measurement, at each ``--sizes``, with the machine's load average
recorded beside each row; the start-up is split by a second process per
row that times importing the pipeline, importing and building the OCR
engine, and loading DiD. Rows are appended to ``--out`` (so that runs with
other settings add up).

    python benchmarks/large_photos.py accuracy --enhancers did,gain --sides 1280 --refine on,off
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
    clean: np.ndarray | None = None  # the well-lit photo (sRGB uint8) the capture was simulated from


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
    return LargePhoto("synthetic", _darken(canvas, rng, level), words, canvas)


def _upscaled_scene(folder: Path, index: int, long_side: int) -> tuple[str, np.ndarray, float]:
    """Photo ``index`` (by name) of a folder's high/, upscaled (bicubic) to ``long_side``: (name, pixels, scale)."""
    import cv2
    from PIL import Image

    path = sorted((folder / "high").iterdir())[index]
    image = np.asarray(Image.open(path).convert("RGB"))
    scale = long_side / max(image.shape[:2])
    big = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
    return path.stem, big, scale


def svt_photo(folder: Path, index: int, long_side: int = 4000) -> LargePhoto:
    """Photo ``index`` (by name) of an SVT folder, upscaled and darkened; its tagged words."""
    from did_ocr.data.dataset import WORDS_FILE, read_word_boxes
    from did_ocr.data.synth.generator import sample_rng

    name, big, scale = _upscaled_scene(folder, index, long_side)
    rng = sample_rng(1601, index)
    words = [(box.text, _bucket((box.y1 - box.y0) * scale))
             for box in read_word_boxes(folder / WORDS_FILE) if box.image == name]
    return LargePhoto("svt", _darken(big, rng, ("dim", "dark")[index % 2]), words, big)


def iiit_photo(crops: Path, scenes: Path, index: int, per_photo: int = 16, long_side: int = 4000) -> LargePhoto:
    """Real word crops at their own resolution on a real street scene: a 4000-px photo of small real print.

    Photo ``index`` is SVT photo ``index`` (by name) upscaled to ``long_side``
    as the scene, with the next ``per_photo`` IIIT 5K crops (by name) pasted
    at their own size, one per cell of a 4x4 grid at a random place in it (a
    crop larger than its cell is shrunk to fit), then darkened. Upscaling
    gives the scene no detail, but the crops keep all of theirs: 20-100 px
    tall (median 35), as print is in a 12-megapixel photo, and 5-25 px in a
    1024-px copy.
    """
    import cv2
    from PIL import Image

    from did_ocr.data.dataset import index_images, read_labels
    from did_ocr.data.synth.generator import sample_rng

    labels, images = read_labels(crops / "labels.csv"), index_images(crops / "high")
    names = [name for name in sorted(labels) if name in images][index * per_photo:(index + 1) * per_photo]
    _, canvas, _ = _upscaled_scene(scenes, index, long_side)
    rng = sample_rng(1602, index)
    cell_h, cell_w = canvas.shape[0] // 4, canvas.shape[1] // 4
    words = []
    for k, name in enumerate(names):
        crop = np.asarray(Image.open(images[name]).convert("RGB"))
        f = min(1.0, (cell_w - 2) / crop.shape[1], (cell_h - 2) / crop.shape[0])
        if f < 1.0:
            crop = cv2.resize(crop, (int(crop.shape[1] * f), int(crop.shape[0] * f)), interpolation=cv2.INTER_AREA)
        y = (k // 4) * cell_h + int(rng.integers(0, cell_h - crop.shape[0]))
        x = (k % 4) * cell_w + int(rng.integers(0, cell_w - crop.shape[1]))
        canvas[y:y + crop.shape[0], x:x + crop.shape[1]] = crop
        words += [(word, _bucket(crop.shape[0])) for word in labels[name]["text"].split()]
    return LargePhoto("iiit", _darken(canvas, rng, ("dim", "dark")[index % 2]), words, canvas)


def accuracy(args: argparse.Namespace) -> None:
    import torch
    from tqdm import tqdm

    from did_ocr.enhancers import build_enhancer
    from did_ocr.ocr import get_ocr
    from did_ocr.reading.pipeline import Pipeline

    torch.set_num_threads(args.threads)
    sources = [lambda i=i: synthetic_photo(i) for i in range(args.n_synth)]
    if args.svt and Path(args.svt).is_dir():
        sources += [lambda i=i: svt_photo(Path(args.svt), i) for i in range(args.n_svt)]
        if args.iiit and Path(args.iiit).is_dir():
            sources += [lambda i=i: iiit_photo(Path(args.iiit), Path(args.svt), i) for i in range(args.n_iiit)]
    sides = [int(s) for s in args.sides.split(",")]
    names = args.enhancers.split(",")
    refines = [{"on": True, "off": False}[r] for r in args.refine.split(",")]
    reader = get_ocr(args.ocr, "cpu")
    pipelines = {(name, side, refine): Pipeline(enhancer, reader, side, refine)
                 for name, enhancer in ((n, build_enhancer(n, device="cpu")) for n in names)
                 for side in sides for refine in refines}
    tally: dict[tuple, list[float]] = {}
    bar = tqdm(total=len(sources) * len(pipelines), desc="large photos", unit="read")
    for make in sources:  # photos made one at a time: each is read with every enhancer and setting, then dropped
        photo = make()
        for side in sides if args.well_lit else ():  # the ceiling: OCR on the well-lit photo, no enhancer
            t0 = time.perf_counter()
            predicted = " ".join(w.text for w in reader.read_words(photo.clean, side))
            _add(tally, photo, ("well-lit", side, False), predicted, time.perf_counter() - t0)
        for name in names:
            enhanced = pipelines[(name, sides[0], refines[0])].enhancer.enhance(photo.capture, seed=0)
            read: dict[tuple[int, bool], tuple[str, float]] = {}
            for (_, side, refine), pipeline in ((k, p) for k, p in pipelines.items() if k[0] == name):
                # the pipeline's own reading of the enhanced image: detection at `side`, then (with refine)
                # the small words read again from full-resolution enhancements of their regions; where the
                # enhancer worked at full resolution refine changes nothing, so that reading is shared
                key = (side, refine and pipeline.enhancer.working_scale(photo.capture.shape) < 1.0)
                if key not in read:
                    t0 = time.perf_counter()
                    words = pipeline.read_sample(photo.capture, enhanced, seed=0)
                    read[key] = (" ".join(w.text for w in words), time.perf_counter() - t0)
                _add(tally, photo, (name, side, refine), *read[key])
                bar.update(1)
        _write_tally(Path(args.out), tally, args.threads, args.ocr)  # after every photo: a stopped run keeps what it measured
    bar.close()


def _add(tally: dict[tuple, list[float]], photo: LargePhoto, setting: tuple, predicted: str, seconds: float) -> None:
    """Count the words of ``photo`` found in ``predicted``, per text size and overall, under ``setting``."""
    from did_ocr.bench.metrics import word_score

    for bucket in [*(b for b, _, _ in BUCKETS), "all"]:
        truth = " ".join(w for w, size in photo.words if bucket in ("all", size))
        score = word_score(truth, predicted)
        entry = tally.setdefault((photo.source, *setting, bucket), [0, 0, 0.0, 0])
        entry[0] += score.found
        entry[1] += score.total
        if bucket == "all":
            entry[2] += seconds
            entry[3] += 1


def _write_tally(out: Path, tally: dict[tuple, list[float]], threads: int, ocr: str) -> None:
    """Aggregates only (per source, enhancer, setting, text size): no per-image rows, no words."""
    counts = {key[:4]: n for key, (_, _, _, n) in tally.items() if key[4] == "all"}
    rows = [{"source": src, "enhancer": enh, "ocr": ocr, "detect_side": side, "refine": "on" if refine else "off",
             "text_size": bucket, "images": counts[(src, enh, side, refine)], "words": total, "found": found,
             "word_accuracy": round(100 * found / total, 1) if total else "",
             "read_seconds_mean": round(secs / n, 2) if n else ""}
            for (src, enh, side, refine, bucket), (found, total, secs, n) in tally.items()]
    _write(out, rows, {"threads": threads, "load_1_5_15min": os.getloadavg()})


def speed(args: argparse.Namespace) -> None:
    from PIL import Image

    from did_ocr.bench.metrics import word_score
    from did_ocr.capture.colorspace import linear_to_srgb8
    from did_ocr.ocr.registry import DEFAULT_OCR

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
                ocr = _option_of(args.read_args.split(), "--ocr") or DEFAULT_OCR
                backend = _option_of(args.read_args.split(), "--backend") or "auto"
                rows.append({"size": size, "enhancer": enhancer, "ocr": ocr, "backend": backend,
                             "read_args": args.read_args, "seconds": round(seconds, 2),
                             "read_s": round(answer["timings"].get("enhance_s", 0) + answer["timings"].get("ocr_s", 0), 2),
                             **{k: round(answer["timings"].get(k, 0), 2) for k in ("load_s", "enhance_s", "ocr_s")},
                             "startup_s": round(seconds - answer["timings"].get("total_s", 0), 2),
                             "peak_rss_mb": round(peak_mb), "words_found": score.found, "words": score.total,
                             "load_1min_before": round(load_before, 2), "load_1min_after": round(os.getloadavg()[0], 2),
                             "omp_threads": os.environ.get("OMP_NUM_THREADS", "default")})
                rows[-1].update(_startup(ocr, enhancer, backend))
                print(json.dumps(rows[-1]), flush=True)
    _write(Path(args.out), rows, {}, append=True)


def _option_of(read_args: list[str], option: str) -> str | None:
    """The value of ``option`` in ``did-ocr read`` arguments (``--ocr X`` or ``--ocr=X``; None when not given)."""
    for i, arg in enumerate(read_args):
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
        if arg == option and i + 1 < len(read_args):
            return read_args[i + 1]
    return None


_STARTUP_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from did_ocr.reading import pipeline
from did_ocr.reading.settings import ReadSettings
t1 = time.perf_counter()
from did_ocr.ocr import get_ocr
get_ocr(sys.argv[1], "cpu")
t2 = time.perf_counter()
ReadSettings(enhancer=sys.argv[2], device="cpu", backend=sys.argv[3] if sys.argv[2].startswith("did") else None
             ).build_enhancer()
t3 = time.perf_counter()
print(json.dumps({"import_pipeline_s": t1 - t0, "ocr_import_build_s": t2 - t1, "enhancer_load_s": t3 - t2}))
"""


def _startup(ocr: str, enhancer: str, backend: str) -> dict[str, float]:
    """Start-up split in a fresh process: import the pipeline, import and build the OCR engine, load the enhancer."""
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", _STARTUP_PROBE, ocr, enhancer, backend],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return {k: round(v, 2) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


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
    acc.add_argument("--iiit", default=str(ROOT.parent / "shared" / "data" / "iiit5k_words"))
    acc.add_argument("--n-iiit", type=int, default=6)
    acc.add_argument("--well-lit", action="store_true", help="also read the well-lit photos (the ceiling)")
    acc.add_argument("--refine", default="on,off",
                     help="read with and/or without the pipeline's full-resolution re-reading of small words")
    acc.add_argument("--threads", type=int, default=1)
    acc.add_argument("--ocr", default="rapidocr", help="the OCR engine (rapidocr, easyocr)")
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
