"""``did-ocr read``: the words in dark photos.

Every input goes through the read pipeline (:mod:`did_ocr.reading.pipeline`:
load, enhance, read, consensus), built once per invocation. Plain output is
the recognized lines per file (for people and shell pipes); ``--json`` is for
programs: per file the lines with confidences and boxes, the reading-order
text, the seconds spent loading, enhancing and reading, or the error that
stopped that file. ``--annotate`` writes what was read as pictures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from did_ocr.cli.common import (DEFAULTS, Processed, Stopwatch, detect_side_option, enhancer_options, exit_if_failed,
                                expand_inputs, for_each_input, input_bytes, ocr_option, output_names, ray_options,
                                recursive_option, refine_option, say, settings_from)
from did_ocr.errors import DidOcrError
from did_ocr.reading.settings import ReadSettings


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@enhancer_options
@recursive_option
@click.option("--samples", "-k", type=click.IntRange(min=1), default=DEFAULTS.samples, show_default=True,
              help="Read K reconstructions (seeds seed..seed+K-1) and combine their text by confidence-weighted "
                   "vote (stochastic enhancers only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: per file, the lines with confidence and box, and timings.")
@click.option("--save-enhanced", type=click.Path(file_okay=False), default=None,
              help="Also write each enhanced image as a PNG into this folder.")
@ocr_option
@detect_side_option
@refine_option
@click.option("--annotate", type=click.Path(file_okay=False), default=None,
              help="Also write, per input, the dark capture and the reconstruction side by side with each "
                   "recognized box, its words and confidence drawn (PNG) into this folder.")
@click.option("--ray", "use_ray", is_flag=True,
              help="Read with a pool of Ray actors (pip install 'did-ocr[ray]'); rows go to --output as they "
                   "are read, and a rerun skips the files already there. @LIST.txt arguments list paths.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="With --ray: the results file, OUT.jsonl (one JSON row per file, appended) or OUT.parquet.")
@ray_options("reader")
def read(images: tuple[str, ...], recursive: bool, as_json: bool, save_enhanced: str | None, annotate: str | None,
         use_ray: bool = False, output: str | None = None, ray_address: str | None = None, actors: int = 1,
         actor_threads: int = 1, **options: Any) -> None:
    """Read the text in dark photos IMAGES (PNG, JPEG, TIFF, BMP, WebP, HEIC, AVIF or camera RAW).

    A folder reads every supported image in it (sorted; -r: subfolders too);
    - reads one image from standard input. Prints the recognized lines in
    reading order (with the file name as a header when there are several
    files). Exit code 2 if any file failed; the others are still read.

    --ray reads with Ray actors into -o OUT.jsonl or OUT.parquet (columns
    path, text, lines, timings, error) and prints a one-line summary; an
    argument @LIST.txt stands for the paths in that file, one per line.
    """
    from did_ocr.capture.save import save_srgb_png
    from did_ocr.reading.pipeline import Pipeline

    settings = settings_from(options)
    if use_ray:
        _read_with_ray(images, recursive, output, ray_address, actors, actor_threads, settings,
                       ignored={"--json": as_json, "--save-enhanced": save_enhanced, "--annotate": annotate})
        return
    if output or ray_address:
        raise DidOcrError(f"{'--output' if output else '--ray-address'} applies only with --ray")

    inputs = expand_inputs(images, recursive)
    pipeline = Pipeline.build(settings)
    saved = output_names(inputs, save_enhanced) if save_enhanced else {}
    drawn = output_names(inputs, annotate) if annotate else {}

    def work(path: str) -> dict[str, Any]:
        clock = Stopwatch()
        reading = pipeline.read_file(path, linear=settings.linear, seed=settings.seed, samples=settings.samples,
                                     data=input_bytes(path))
        clock.add(reading.timings)
        record = reading.record(path, pipeline.name)
        if save_enhanced:
            save_srgb_png(saved[path], reading.enhanced)
            record["enhanced"] = str(saved[path])
        if annotate:
            from did_ocr.reading.annotate import annotate as draw

            save_srgb_png(drawn[path], draw(reading.capture, reading.enhanced, reading.lines))
            record["annotated"] = str(drawn[path])
        if save_enhanced or annotate:
            clock.lap("save")
        if not as_json:
            _print_text(path, [line.text for line in reading.lines], header=len(inputs) > 1)
        record["timings"] = clock.timings()
        return record

    outcomes = for_each_input(inputs, work, progress=as_json)
    if as_json:
        click.echo(json.dumps([_json_record(o, pipeline.name, pipeline.ocr.name) for o in outcomes], indent=2, ensure_ascii=False))
    exit_if_failed(outcomes)


def _read_with_ray(images: tuple[str, ...], recursive: bool, output: str | None, address: str | None, actors: int,
                   threads: int, settings: ReadSettings, ignored: dict[str, Any]) -> None:
    """``read --ray``: the inputs (with @LIST.txt files) through :func:`did_ocr.reading.distributed.read_with_ray`."""
    from did_ocr.reading.distributed import read_with_ray

    if not output:
        raise DidOcrError("--ray needs -o/--output OUT.jsonl or OUT.parquet")
    if settings.threads:
        raise DidOcrError("--threads applies to one process; with --ray give each actor's CPUs with --actor-threads")
    unused = [flag for flag, value in ignored.items() if value]
    if unused:
        raise DidOcrError(f"{', '.join(unused)} cannot be used with --ray (the results go to --output)")
    summary = read_with_ray(expand_inputs(_expand_lists(images), recursive), output, settings, address=address,
                            actors=actors, threads_per_actor=threads)
    click.echo(summary.line())
    if summary.errors:
        sys.exit(2)


def _expand_lists(args: tuple[str, ...]) -> list[str]:
    """``@LIST.txt`` arguments as the paths they list (one per line; blank lines and ``#`` comments skipped)."""
    out: list[str] = []
    for arg in args:
        if not arg.startswith("@") or len(arg) == 1:
            out.append(arg)
            continue
        listing = Path(arg[1:])
        try:
            text = listing.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DidOcrError(f"{arg}: cannot read the list of paths {listing} ({exc})") from exc
        out.extend(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    return out


def _json_record(outcome: Processed[dict[str, Any]], enhancer: str, ocr: str) -> dict[str, Any]:
    """A file's JSON entry: its reading, or (without ``lines``) the error that stopped it."""
    if outcome.ok and outcome.result is not None:
        return outcome.result
    return {"file": outcome.path, "enhancer": enhancer, "ocr": ocr, "error": outcome.error}


def _print_text(path: str, lines: list[str], header: bool) -> None:
    if header:
        say(f"==> {path} <==")
    for line in lines:
        say(line)
    if not lines:
        say(f"(no text found in {'standard input' if path == '-' else Path(path).name})", err=True)
    if header:
        say()
