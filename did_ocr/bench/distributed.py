"""``did-ocr bench --ray``: the benchmark's images spread over a pool of Ray actors, one report as a local run.

Why: a benchmark is images x enhancers x OCR engines, each enhancement
seconds (DiD) to minutes (large photos); one process does them one after
the other. Here Ray Data hands image indices to ``actors`` long-lived
:class:`BenchActor` processes. Each builds :class:`did_ocr.bench.runner.Bench`
for the run's configuration once (its enhancers and OCR engines are then
loaded once per actor, not per image) and computes the rows of one image at a
time with :meth:`Bench.rows_for`, the very code a local run uses, so the rows
are the same. The driver appends each image's rows to ``OUT/per_image.csv``
through :class:`did_ocr.bench.results.RowLog` as they arrive (crash-safe;
a rerun skips the images whose rows are all there), writes the enhanced
pictures of the grid that the actors send back, then ``protocol.json`` and
the summaries and plots (:meth:`Bench.finish`), exactly as a local run.

Ray is imported only when a job runs (it is the optional ``ray`` extra).
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from did_ocr.bench.results import RowLog, csv_row
from did_ocr.bench.runner import Bench, BenchConfig
from did_ocr.errors import DidOcrError
from did_ocr.reading.distributed import _import_ray, _start_ray, map_with_actors
from did_ocr.reading.settings import limit_threads


class BenchActor:
    """A Ray Data callable class: builds the run's :class:`Bench` once, then makes the rows of one image per call.

    Input rows: ``idx`` (the image's index in the run), ``image`` (its name,
    to check that this node sees the same dataset) and ``done`` (JSON list of
    the ``[enhancer, ocr]`` rows of that image already written). Output rows:
    ``idx``, ``rows`` (JSON list of the per_image.csv rows, formatted as the
    CSV writes them), ``images`` (JSON list of ``[path under OUT, base64
    PNG]``: the enhanced pictures kept for the grid) and ``fatal`` (why this
    actor cannot work at all, else empty).
    """

    def __init__(self, cfg: BenchConfig, threads: int = 1) -> None:
        limit_threads(threads)
        self.fatal = ""
        self.bench: Bench | None = None
        try:
            self.bench = Bench(cfg)
        except DidOcrError as exc:  # raising here would only make Ray restart the actor and bury the message
            self.fatal = str(exc)
            return
        # the grid's pictures are written under bench.out: here a scratch folder, sent back to the driver,
        # which may run on another machine
        self.scratch = tempfile.TemporaryDirectory(prefix="did-ocr-bench-")
        self.bench.out = Path(self.scratch.name)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"idx": [], "rows": [], "images": [], "fatal": []}
        for idx, image, done in zip(batch["idx"], batch["image"], batch["done"]):
            idx = int(idx)
            rows: list[dict[str, str]] = []
            images: list[list[str]] = []
            fatal = self.fatal or self._check(idx, str(image))
            if not fatal:
                assert self.bench is not None
                item = self.bench.items[idx]
                have = {(item.name, enhancer, ocr) for enhancer, ocr in json.loads(str(done))}
                rows = [csv_row(row) for row in self.bench.rows_for(idx, item, have)]
                images = self._pictures()
            out["idx"].append(idx)
            out["rows"].append(json.dumps(rows, ensure_ascii=False))
            out["images"].append(json.dumps(images))
            out["fatal"].append(fatal)
        return out

    def _check(self, idx: int, image: str) -> str:
        assert self.bench is not None
        items = self.bench.items
        if idx >= len(items) or items[idx].name != image:
            return (f"the dataset {self.bench.root} differs on this Ray node (image {idx} is not {image}); "
                    "every node must see the same dataset at the same path")
        return ""

    def _pictures(self) -> list[list[str]]:
        """The pictures written to the scratch folder since the last call, as [path under OUT, base64 PNG]; removed."""
        root = Path(self.scratch.name)
        found = [[path.relative_to(root).as_posix(), base64.b64encode(path.read_bytes()).decode("ascii")]
                 for path in sorted(root.rglob("*.png"))]
        for child in root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        return found


def bench_with_ray(cfg: BenchConfig, address: str | None = None, actors: int = 1, threads_per_actor: int = 1,
                   num_cpus: int | None = None, progress: bool = True) -> Bench:
    """Run the benchmark ``cfg`` with ``actors`` Ray actors of ``threads_per_actor`` CPUs; the driver writes OUT.

    Writes what :meth:`Bench.run` writes (per_image.csv, protocol.json,
    summary.csv, summary.md, accuracy.png, grid.png, images/). ``address``
    (or ``RAY_ADDRESS``) joins a running cluster; else a local Ray with
    ``num_cpus`` CPUs (default: all) is started and shut down at the end; an
    already initialized Ray is used as is. Returns the driver's :class:`Bench`
    (its ``errors`` list the image/enhancer runs that failed).
    """
    if cfg.shard != (0, 1):
        raise DidOcrError("--ray runs the whole benchmark; leave out --shard (shards are for runs without Ray)")
    if actors < 1 or threads_per_actor < 1:
        raise DidOcrError("--actors and --actor-threads must be at least 1")
    ray = _import_ray()  # before any work: without Ray, one clear line
    bench = Bench(cfg)  # the driver's: the dataset (a synthetic one is written here, once), the items, the names
    log = RowLog(bench.shard_csv())
    try:
        todo = [(idx, it) for idx, it in bench.mine if bench.missing(it, log.done)]
        if todo:
            _run(ray, bench, log, todo, address, actors, threads_per_actor, num_cpus, progress)
    finally:
        log.close()
    bench.finish()
    return bench


def _run(ray: Any, bench: Bench, log: RowLog, todo: list[tuple[int, Any]], address: str | None, actors: int,
         threads: int, num_cpus: int | None, progress: bool) -> None:
    """Send ``todo`` to the actors; log each image's rows and keep its pictures as they come back."""
    from tqdm import tqdm

    from did_ocr.fileio import atomic_write_bytes

    cfg = _absolute(bench.cfg)  # actors may run in another folder
    items = [{"idx": idx, "image": it.name,
              "done": json.dumps(sorted([e, o] for name, e, o in log.done if name == it.name))}
             for idx, it in todo]
    total = sum(bench.runs(it) for _, it in bench.mine)
    bar = tqdm(total=total, initial=total - sum(bench.runs(it, log.done) for _, it in todo), desc="bench",
               unit="run", dynamic_ncols=True, disable=None if progress else True)
    started = _start_ray(ray, address, num_cpus)
    try:
        for result in map_with_actors(ray, items, BenchActor, {"cfg": cfg, "threads": threads}, actors,
                                      threads):
            if result["fatal"]:
                raise DidOcrError(str(result["fatal"]))
            item = bench.items[int(result["idx"])]
            for path, data in json.loads(str(result["images"])):
                atomic_write_bytes(bench.out / path, base64.b64decode(data))
            rows = json.loads(str(result["rows"]))
            for _, group in itertools.groupby(rows, key=lambda row: row["enhancer"]):
                bench.record(item, list(group), log, bar)
    finally:
        bar.close()
        if started:
            ray.shutdown()


def _absolute(cfg: BenchConfig) -> BenchConfig:
    """``cfg`` with its existing relative paths made absolute (the protocol keeps them as given)."""
    from dataclasses import replace

    def resolve(value: str | None) -> str | None:
        return str(Path(value).resolve()) if value and Path(value).exists() else value

    return replace(cfg, dataset=cfg.dataset if cfg.dataset == "synthetic" else resolve(cfg.dataset),
                   out=str(Path(cfg.out).resolve()), settings=replace(cfg.settings, model=resolve(cfg.settings.model)),
                   lpips_backbone=resolve(cfg.lpips_backbone))
