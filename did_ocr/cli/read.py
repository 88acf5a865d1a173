"""``did-ocr read``: the words in dark photos.

Load -> enhance -> OCR for every file, with the enhancer and the EasyOCR
reader built once per invocation. Plain output is the recognized lines per
file (for people and shell pipes); ``--json`` is for programs: per file the
lines with confidences and boxes, the reading-order text, the seconds spent
loading, enhancing and reading, or the error that stopped that file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from did_ocr.cli.common import (Processed, Stopwatch, build_from_options, enhancer_options, exit_if_failed,
                                for_each_input, output_names, say)


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@enhancer_options
@click.option("--samples", "-k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Read K reconstructions (seeds seed..seed+K-1) and combine their text by confidence-weighted "
                   "vote (stochastic enhancers only).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: per file, the lines with confidence and box, and timings.")
@click.option("--save-enhanced", type=click.Path(file_okay=False), default=None,
              help="Also write each enhanced image as a PNG into this folder.")
def read(images: tuple[str, ...], enhancer: str, device: str, seed: int, linear: bool, model: str | None,
         quality: str | None, max_side: int | None, samples: int, as_json: bool, save_enhanced: str | None) -> None:
    """Read the text in dark photos IMAGES (PNG, JPEG, TIFF, BMP, WebP or camera RAW).

    Prints the recognized lines in reading order (with the file name as a
    header when there are several files). Exit code 2 if any file failed;
    the others are still read.
    """
    from did_ocr.capture import load_capture
    from did_ocr.capture.save import save_srgb_png
    from did_ocr.ocr import get_reader
    from did_ocr.ocr.consensus import read_consensus

    enh = build_from_options(enhancer, device, model, quality, max_side)
    reader = get_reader(device)
    targets = output_names(images, save_enhanced) if save_enhanced else {}

    def work(path: str) -> dict[str, Any]:
        clock = Stopwatch()
        dark = load_capture(path, linear=linear)
        clock.lap("load")
        enhanced, lines, timing = read_consensus(enh, reader, dark, seed=seed, samples=samples)
        clock.add(timing)
        if save_enhanced:
            save_srgb_png(targets[path], enhanced[0])
            clock.lap("save")
        if not as_json:
            _print_text(path, [line.text for line in lines], header=len(images) > 1)
        record: dict[str, Any] = {"file": path, "enhancer": enh.name, "lines": [ln.to_dict() for ln in lines],
                                  "text": "\n".join(ln.text for ln in lines), "timings": clock.timings()}
        if samples > 1:
            record["samples"] = samples
        if save_enhanced:
            record["enhanced"] = str(targets[path])
        return record

    outcomes = for_each_input(images, work, progress=as_json)
    if as_json:
        click.echo(json.dumps([_json_record(o, enh.name) for o in outcomes], indent=2, ensure_ascii=False))
    exit_if_failed(outcomes)


def _json_record(outcome: Processed[dict[str, Any]], enhancer: str) -> dict[str, Any]:
    """A file's JSON entry: its reading, or (without ``lines``) the error that stopped it."""
    if outcome.ok and outcome.result is not None:
        return outcome.result
    return {"file": outcome.path, "enhancer": enhancer, "error": outcome.error}


def _print_text(path: str, lines: list[str], header: bool) -> None:
    if header:
        say(f"==> {path} <==")
    for line in lines:
        say(line)
    if not lines:
        say(f"(no text found in {Path(path).name})", err=True)
    if header:
        say()
