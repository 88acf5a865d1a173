"""``did-ocr read --ray``: read many photos with a pool of Ray actors, results streamed to one file.

Why: one process reads one photo at a time; a folder of thousands wants
several processes, or several machines. Ray Data hands the paths to
``actors`` long-lived :class:`ReaderActor` processes, each of which builds the
read pipeline (:class:`did_ocr.reading.pipeline.Pipeline`, the same one
``did-ocr read`` uses, so the words are the same) once and then reads one
path at a time. The driver writes each row as it arrives.

Output: ``OUT.jsonl`` gets one JSON object per photo, appended and synced
to disk row by row; ``OUT.parquet`` is written at the end (rows arriving
before that are kept in ``OUT.parquet.part.jsonl``, so an interrupted run
loses nothing). Columns: ``path``, ``text``, ``lines`` (JSON list of the
lines with confidence and box), ``timings`` (JSON object of seconds) and
``error`` (empty, or the one-line reason the photo could not be read: a bad
file never stops the job).

Resumable: a path already in the output is not read again; a torn last line
(the run was killed while writing it) is cut off first.

Ray is imported only when a job runs (it is the optional ``ray`` extra).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from did_ocr.errors import PER_FILE_FAILURES, DidOcrError, empty_folder, file_failure
from did_ocr.reading.settings import ReadSettings, limit_threads

#: the columns of every row, in order
COLUMNS = ("path", "text", "lines", "timings", "error")
RAY_MISSING = "--ray needs Ray; install it with `pip install 'did-ocr[ray]'`"
#: marks the error of a row that an actor could not read because it could not build its pipeline
FATAL = "\x00fatal: "


def _empty_row(path: str) -> dict[str, str]:
    return {"path": path, "text": "", "lines": "[]", "timings": "{}", "error": ""}


class ReaderActor:
    """A Ray Data callable class: builds the pipeline once, then reads the paths of each batch."""

    def __init__(self, settings: ReadSettings, threads: int = 1) -> None:
        limit_threads(threads)
        self.settings = settings
        self.pipeline: Any = None
        #: why the pipeline could not be built (a bad --model...): reported to the driver, which stops the job
        self.fatal = ""
        try:
            from did_ocr.reading.pipeline import Pipeline

            self.pipeline = Pipeline.build(settings)
        except DidOcrError as exc:  # raising here would only make Ray restart the actor and bury the message
            self.fatal = str(exc)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        if self.fatal:
            rows = [{**_empty_row(str(path)), "error": FATAL + self.fatal} for path in batch["path"]]
        else:
            rows = [self.read_one(str(path)) for path in batch["path"]]
        return {column: [row[column] for row in rows] for column in COLUMNS}

    def read_one(self, path: str) -> dict[str, str]:
        """One row: the reading of ``path``, or the one-line reason it failed."""
        s = self.settings
        try:
            if Path(path).is_dir():
                raise empty_folder(path)
            reading = self.pipeline.read_file(path, linear=s.linear, seed=s.seed, samples=s.samples)
        except (DidOcrError, *PER_FILE_FAILURES) as exc:
            return {**_empty_row(path), "error": file_failure(path, exc)}
        timings = {k: round(v, 3) for k, v in reading.timings.items()}
        timings.update(worker_peak_mb=peak_rss_mb(), worker_pid=os.getpid())  # which actor, and its memory so far
        return {"path": path, "text": reading.text,
                "lines": json.dumps([ln.to_dict() for ln in reading.lines], ensure_ascii=False),
                "timings": json.dumps(timings), "error": ""}


@dataclass
class RaySummary:
    """What a ``read_with_ray`` run did."""

    output: str
    #: inputs of this run (duplicates dropped)
    total: int
    #: rows read and written by this run
    written: int
    #: inputs already in the output, not read again
    skipped: int
    #: rows (written now or found in the output) for this run's inputs that hold an error
    errors: int

    def line(self) -> str:
        skipped = f" ({self.skipped} already there)" if self.skipped else ""
        return (f"ray: {self.written} row{'s' if self.written != 1 else ''} written to {self.output}{skipped}; "
                f"{self.errors} error{'s' if self.errors != 1 else ''}")


def read_with_ray(inputs: Iterable[str], out: str | os.PathLike[str], settings: ReadSettings | None = None,
                  address: str | None = None, actors: int = 1, threads_per_actor: int = 1,
                  num_cpus: int | None = None, progress: bool = True) -> RaySummary:
    """Read ``inputs`` with ``actors`` Ray actors of ``threads_per_actor`` CPUs each; rows go to ``out``.

    ``out`` ends in ``.jsonl`` or ``.parquet``. Paths already in ``out`` are
    skipped. ``address`` (or the ``RAY_ADDRESS`` environment variable) joins
    a running Ray cluster; without one a local Ray with ``num_cpus`` CPUs
    (default: all) is started and shut down at the end. An already
    initialized Ray (e.g. in a notebook) is used as is.
    """
    settings = settings or ReadSettings()
    sink = _Sink.open(Path(out))
    if actors < 1 or threads_per_actor < 1:
        raise DidOcrError("--actors and --actor-threads must be at least 1")
    paths = list(dict.fromkeys(str(p) for p in inputs))
    if "-" in paths:
        raise DidOcrError("--ray cannot read standard input (-); give files, folders or @list.txt")
    settings.check()

    done = sink.existing()
    todo = [p for p in paths if p not in done]
    errors = sum(1 for p in paths if done.get(p))
    written = 0
    if todo:
        ray = _import_ray()
        started = _start_ray(ray, address, num_cpus)
        try:
            for row in _run(ray, todo, settings, actors, threads_per_actor, progress):
                sink.write(row)
                written += 1
                errors += bool(row["error"])
        finally:
            sink.close(order=paths)
            if started:
                ray.shutdown()
    else:
        sink.close(order=paths)
    return RaySummary(str(out), len(paths), written, len(paths) - len(todo), errors)


def _run(ray: Any, todo: list[str], settings: ReadSettings, actors: int, threads: int,
         progress: bool) -> Iterable[dict[str, str]]:
    """The rows of ``todo`` as the actors finish them (any order)."""
    from tqdm import tqdm

    bar = tqdm(total=len(todo), desc="images", unit="img", file=sys.stderr, disable=None if progress else True)
    try:
        for row in map_with_actors(ray, [{"path": p} for p in todo], ReaderActor,
                                   {"settings": settings, "threads": threads}, actors, threads):
            out = {column: str(row[column]) for column in COLUMNS}
            if out["error"].startswith(FATAL):
                raise DidOcrError(out["error"][len(FATAL):])
            bar.update(1)
            yield out
    finally:
        bar.close()


def map_with_actors(ray: Any, items: list[dict[str, Any]], actor: type, kwargs: dict[str, Any], actors: int,
                    threads: int) -> Iterator[dict[str, Any]]:
    """The output rows of ``actors`` instances of the Ray Data callable class ``actor`` over ``items``.

    Each instance is built once (``actor(**kwargs)``) and asks Ray for
    ``threads`` CPUs; it gets one item per call, and each output row reaches
    the caller as soon as it is made (any order). A failure of the job that
    carries a :class:`DidOcrError` comes out as that error (one line).
    Used by ``did-ocr read --ray`` and ``did-ocr bench --ray``.
    """
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the callers count their own units
    # one block per item: each result reaches the driver (and its file) as soon as it is made
    ds = ray.data.from_items(items, override_num_blocks=len(items))
    ds = ds.map_batches(actor, fn_constructor_kwargs=kwargs, batch_size=1, num_cpus=threads, **_pool(ray, actors))
    try:
        yield from ds.iter_rows()
    except DidOcrError:
        raise
    except Exception as exc:  # a failure of the job itself (not of an item): show a user error as one line
        cause = _user_error(exc)
        if cause is not None:
            raise DidOcrError(cause) from exc
        raise


def peak_rss_mb() -> float | None:
    """This process's peak resident memory so far, in MiB (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _pool(ray: Any, actors: int) -> dict[str, Any]:
    """``actors`` reader processes: ``compute=ActorPoolStrategy`` (``concurrency`` is deprecated since Ray 2.51)."""
    strategy = getattr(ray.data, "ActorPoolStrategy", None)
    if strategy is not None:
        try:
            return {"compute": strategy(size=actors)}
        except TypeError:  # an older Ray without size=
            pass
    return {"concurrency": actors}


def _user_error(exc: BaseException) -> str | None:
    """The message of a DidOcrError behind a Ray failure, if any (Ray may carry it only as text)."""
    import re

    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, DidOcrError):
            return str(e)
        stack += [e.__cause__, e.__context__, getattr(e, "cause", None)]
    found = re.search(r"did_ocr\.errors\.\w+: (.+)", str(exc))
    return found.group(1).strip() if found else None


def _import_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise DidOcrError(RAY_MISSING) from exc
    return ray


def _start_ray(ray: Any, address: str | None, num_cpus: int | None) -> bool:
    """Join ``address`` (or RAY_ADDRESS), or start a local Ray; False when Ray was already initialized."""
    if ray.is_initialized():
        return False
    import logging

    address = address or os.environ.get("RAY_ADDRESS") or None
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
    if address:
        ray.init(address=address, **quiet)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, **quiet)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its plan/progress lines would bury ours
    return True


class _Sink:
    """The output file: the rows already there, and appending new ones so that none is lost."""

    def __init__(self, out: Path, journal: Path, parquet: bool) -> None:
        self.out, self.journal, self.parquet = out, journal, parquet
        self.handle: Any = None

    @classmethod
    def open(cls, out: Path) -> "_Sink":
        suffix = out.suffix.lower()
        if suffix == ".jsonl":
            return cls(out, out, parquet=False)
        if suffix == ".parquet":
            return cls(out, out.with_name(out.name + ".part.jsonl"), parquet=True)
        raise DidOcrError(f"{out}: the --output of --ray ends in .jsonl or .parquet")

    def existing(self) -> dict[str, str]:
        """path -> error ("" when it was read) of every row already in the output."""
        done: dict[str, str] = {}
        if self.parquet and self.out.exists():
            for row in _read_parquet(self.out):
                done[row["path"]] = row["error"]
        for row in _read_jsonl(self.journal):
            done[row["path"]] = row["error"]
        return done

    def write(self, row: dict[str, str]) -> None:
        if self.handle is None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.journal, "a", encoding="utf-8")
        self.handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self, order: list[str]) -> None:
        """Close the journal; for parquet, fold it into OUT.parquet (inputs' order first) and remove it."""
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if not self.parquet or not self.journal.exists():
            return
        rows: dict[str, dict[str, str]] = {}
        if self.out.exists():
            rows.update((r["path"], r) for r in _read_parquet(self.out))
        rows.update((r["path"], r) for r in _read_jsonl(self.journal))
        rank = {p: i for i, p in enumerate(order)}
        ordered = sorted(rows.values(), key=lambda r: rank.get(r["path"], -1))
        _write_parquet(self.out, ordered)
        self.journal.unlink()


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    """The rows of a jsonl output; a torn last line (an interrupted write) is cut from the file first."""
    from did_ocr.fileio import cut_torn_tail

    if not path.exists():
        return []
    cut_torn_tail(path)
    rows: list[dict[str, str]] = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except ValueError:
            row = None
        if not isinstance(row, dict) or "path" not in row:
            raise DidOcrError(f"{path}: line {number} is not a did-ocr row; give another --output or repair the file")
        rows.append(_row(row))
    return rows


def _row(row: dict[str, Any]) -> dict[str, str]:
    return {column: str(row.get(column) or ("[]" if column == "lines" else "{}" if column == "timings" else ""))
            for column in COLUMNS}


def _read_parquet(path: Path) -> list[dict[str, str]]:
    import pyarrow.parquet as pq

    try:
        return [_row(r) for r in pq.read_table(path).to_pylist()]
    except Exception as exc:  # pyarrow raises its own errors for a corrupt file
        raise DidOcrError(f"{path}: cannot be read as parquet ({exc}); give another --output") from exc


def _write_parquet(path: Path, rows: list[dict[str, str]]) -> None:
    """Write atomically: a crash leaves the previous file (and the journal) as they were."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({column: pa.array([r[column] for r in rows], type=pa.string()) for column in COLUMNS})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
