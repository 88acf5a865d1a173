"""``did-ocr bench``, the running: every enhancer on every image, read, scored, one row each.

For each image of a dataset (or the built-in synthetic benchmark) and each
enhancer: load the dark capture, enhance it once and read it with each OCR
engine of the run (``--ocr rapidocr,easyocr``) through the same pipeline as
``did-ocr read`` (:mod:`did_ocr.reading.pipeline`; the enhancer
sees only the dark image: no ground truth reaches it), score it against the
labels and the well-lit image. OCR on the well-lit image itself is recorded
as the ``well-lit`` row, the ceiling any enhancer can reach.

Rows go to ``per_image.csv`` as they are made (an interrupted run resumes);
:mod:`did_ocr.bench.protocol` writes ``protocol.json`` and
:mod:`did_ocr.bench.report` the summaries, plot and grid. ``--shard i/n``
processes every n-th image into ``shards/``; ``--merge`` combines the shards.
``--ray`` (:mod:`did_ocr.bench.distributed`) computes each image's rows
(:meth:`Bench.rows_for`) in Ray actors and logs them here in the driver.
"""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from did_ocr.bench.metrics import LpipsMetric, cer, exact_match, psnr, ssim, word_score
from did_ocr.bench.protocol import build_protocol, write_protocol
from did_ocr.bench.report import finalize
from did_ocr.bench.results import REFERENCE, RowLog, kept_image
from did_ocr.errors import DidOcrError
from did_ocr.reading.pipeline import Pipeline, Reading
from did_ocr.reading.settings import ReadSettings


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
    #: how every pipeline of the run reads (device, enhancer options, detect side, refine); its enhancer and
    #: engine are replaced by each of the run's, its options go to the enhancers that take them
    settings: ReadSettings = field(default_factory=ReadSettings)
    samples: int = 1  # K > 1: also score "NAME-kK", K samples of each stochastic enhancer read by consensus
    grid_images: int = 6
    lpips_backbone: str | None = None
    ocr: list[str] = field(default_factory=lambda: [ReadSettings.ocr])  # every engine reads every enhanced image

    def check(self) -> "BenchConfig":
        """One clear line for enhancers, engines or options that cannot work (before anything is loaded)."""
        if not self.enhancers:
            raise DidOcrError("--enhancers is empty; name at least one enhancer")
        if not self.ocr:
            raise DidOcrError("--ocr is empty; name at least one OCR engine (rapidocr, easyocr)")
        self.settings.check(enhancers=self.enhancers, engines=self.ocr)
        return self


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n) with 0 <= i < n."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise DidOcrError(f"--shard {text!r}: expected i/n, e.g. 0/4") from None
    if n < 1 or not 0 <= i < n:
        raise DidOcrError(f"--shard {text!r}: need 0 <= i < n")
    return i, n


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
        #: each image's seed offset: its place in the whole dataset, so that --levels and --limit never change
        #: which noise an image's stochastic enhancers draw (a filtered run repeats the full run's rows)
        self.positions = {it.name: pos for pos, it in enumerate(items)}
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
        self._pipelines: dict[tuple[str, str], Pipeline] = {}
        self._enhancers: dict[str, Any] = {}
        self.errors: list[str] = []

    # ---- parts ----------------------------------------------------------------------------
    def pipeline(self, name: str, ocr: str | None = None) -> Pipeline:
        """The read pipeline of enhancer ``name`` and engine ``ocr`` (the run's first by default); built once.

        Pipelines of one enhancer share one built enhancer; all share the process's OCR engines.
        """
        ocr = ocr or self.cfg.ocr[0]
        if (name, ocr) not in self._pipelines:
            self._pipelines[name, ocr] = Pipeline.build(self.cfg.settings.with_run(name, ocr), self.enhancer(name))
        return self._pipelines[name, ocr]

    def enhancer(self, name: str):
        """Enhancer ``name`` with the run's options that it takes, built once."""
        if name not in self._enhancers:
            self._enhancers[name] = self.cfg.settings.build_enhancer(name)
        return self._enhancers[name]

    def shard_csv(self) -> Path:
        i, n = self.cfg.shard
        return self.out / "per_image.csv" if n == 1 else self.out / "shards" / f"per_image.{i}of{n}.csv"

    # ---- run ------------------------------------------------------------------------------
    def run(self) -> Path:
        from tqdm import tqdm

        log = RowLog(self.shard_csv())
        todo = [(idx, it) for idx, it in self.mine if self.missing(it, log.done)]
        total = sum(self.runs(it) for _, it in self.mine)
        bar = tqdm(total=total, initial=total - sum(self.runs(it, log.done) for _, it in todo),
                   desc="bench", unit="run", dynamic_ncols=True)
        try:
            for idx, item in todo:
                for rows in self.groups_for(idx, item, log.done):
                    self.record(item, rows, log, bar)
        finally:
            bar.close()
            log.close()
        self.finish()
        return self.shard_csv()

    def finish(self) -> None:
        """After the rows: protocol.json (a shard's own), and for a whole run the summaries and plots."""
        self._write_protocol()
        if self.cfg.shard[1] == 1:
            finalize(self.out, self.cfg.grid_images, self.lpips.reason)

    # ---- one image --------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """The rows' enhancer names of the run: well-lit, the enhancers, their consensus variants."""
        return [REFERENCE, *self.cfg.enhancers, *self.consensus]

    def missing(self, item, done: set[tuple[str, str, str]]) -> dict[str, list[str]]:
        """Name -> the engines whose row for ``item`` is not in ``done`` (no well-lit rows without a well-lit image)."""
        out = {}
        for name in self.names:
            if name == REFERENCE and item.high_path is None:
                continue
            ocrs = [o for o in self.cfg.ocr if (item.name, name, o) not in done]
            if ocrs:
                out[name] = ocrs
        return out

    def runs(self, item, done: set[tuple[str, str, str]] = frozenset()) -> int:
        """How many rows ``item`` gives (those not in ``done``)."""
        return sum(len(ocrs) for ocrs in self.missing(item, done).values())

    def rows_for(self, idx: int, item, log_done: set[tuple[str, str, str]]) -> list[dict]:
        """The rows of image ``idx`` (``item``) not in ``log_done``: every enhancer read by every engine, scored."""
        return [row for rows in self.groups_for(idx, item, log_done) for row in rows]

    def groups_for(self, idx: int, item, done: set[tuple[str, str, str]]) -> Iterator[list[dict]]:
        """:meth:`rows_for`, one list per enhancer as it is done (one row per engine; error rows if it failed)."""
        from did_ocr.capture import load_capture

        low = high = None
        for name, ocrs in self.missing(item, done).items():
            try:
                if name == REFERENCE:
                    high = high if high is not None else self._load_high(item)
                    rows = self._score_reference(item, high, ocrs)
                else:
                    low = low if low is not None else load_capture(item.low_path, linear=self.dataset.low_linear)
                    high = high if high is not None or item.high_path is None else self._load_high(item)
                    rows = self._enhance_and_score(idx, item, name, low, high, ocrs)
            except DidOcrError as exc:
                rows = [self._row(item, name, ocr, error=str(exc)) for ocr in ocrs]
            yield rows

    def record(self, item, rows: list[dict], log: RowLog, bar: Any) -> None:
        """Append the rows of one image and enhancer to the log (their error, if any, as one line on stderr)."""
        line = self.error_line(item, rows)
        if line:
            bar.write(line, file=sys.stderr)
        for row in rows:
            log.add(row)
            bar.update(1)

    def error_line(self, item, rows: list[dict]) -> str:
        """For the rows of one image and enhancer that failed: the error, counted in ``errors``, as one line."""
        message = str(rows[0].get("error") or "") if rows else ""
        if not message:
            return ""
        self.errors.append(message)
        where = "" if str(item.low_path) in message or str(item.high_path) in message else f"{item.name}: "
        return f"error: {where}{message} [{rows[0]['enhancer']}]"

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

    def _enhance_and_score(self, idx: int, item, name: str, low: np.ndarray, high: np.ndarray | None,
                           ocrs: list[str]) -> list[dict]:
        """Enhance once, read the same images with each engine in ``ocrs``: one row per engine."""
        seed = self.cfg.seed + self.positions[item.name]
        enhancer, samples = (self.consensus[name], self.cfg.samples) if name in self.consensus else (name, 1)
        images, enhance_s = self.pipeline(enhancer).enhance(low, seed=seed, samples=samples)
        rows = [self._score(item, name, self.pipeline(enhancer, ocr).read_images(low, images, seed, enhance_s), high)
                for ocr in ocrs]
        if name not in self.consensus:
            self._keep_for_grid(idx, item.name, name, images[0])
        return rows

    def _load_high(self, item) -> np.ndarray:
        from did_ocr.capture import load_capture

        return load_capture(item.high_path, linear=self.dataset.high_linear)

    def _score_reference(self, item, high_linear: np.ndarray, ocrs: list[str]) -> list[dict]:
        """The ``well-lit`` rows: the well-lit image as it is (the ``none`` enhancer: sRGB-encoded), read by each engine."""
        return [self._score(item, REFERENCE, self.pipeline("none", ocr).read(high_linear), high_linear) for ocr in ocrs]

    def _row(self, item, enhancer: str, ocr: str, **values) -> dict:
        return {"dataset": self.root.name, "image": item.name, "level": item.level or "", "enhancer": enhancer,
                "ocr": ocr, "truth": item.text, **values}

    def _score(self, item, enhancer: str, reading: Reading, high_linear: np.ndarray | None) -> dict:
        """Score one reading: its text against the labels, its (first) image against the well-lit one."""
        from did_ocr.capture.colorspace import linear_to_srgb

        srgb = reading.enhanced
        enhance_s, ocr_s = reading.timings["enhance_s"], reading.timings["ocr_s"]
        prediction = " ".join(line.text for line in reading.lines)
        words = word_score(item.text, prediction)
        row = self._row(item, enhancer, reading.ocr, prediction=prediction, words_found=words.found, words_total=words.total,
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

            save_srgb_png(kept_image(self.out, enhancer, image), srgb)

    def _write_protocol(self) -> None:
        described = {}
        for name in self.cfg.enhancers:
            try:
                described[name] = self.enhancer(name).describe()
            except DidOcrError as exc:
                described[name] = {"error": str(exc)}
        protocol = build_protocol(
            config={**asdict(self.cfg), "shard": list(self.cfg.shard)}, root=self.root, images=len(self.items),
            levels=sorted({it.level or "" for it in self.items}), enhancers=described,
            reading={"detect_side": self.cfg.settings.detect_side, "refine": self.cfg.settings.refine},  # every pipeline's
            ocr=self._describe_ocr(),
            lpips="computed" if self.lpips.available else self.lpips.reason)
        write_protocol(self.out, self.cfg.shard, protocol)

    def _describe_ocr(self) -> dict[str, Any]:
        """Each engine of the run as it describes itself: library version, model files and their SHA-256."""
        from did_ocr.ocr.registry import describe_engine

        return {name: describe_engine(name) for name in self.cfg.ocr}  # nothing loaded only to describe it
