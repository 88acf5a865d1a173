"""``did-ocr read``: the words in dark photos."""

from __future__ import annotations

import json
import time

import click

from did_ocr.cli.common import Outcome, build_from_options, enhancer_options, for_each_input


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@enhancer_options
@click.option("--samples", "-k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Read K reconstructions (seeds seed..seed+K-1) and combine their text by confidence-weighted vote.")
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
    from pathlib import Path

    from did_ocr.capture import load_capture
    from did_ocr.capture.save import save_srgb_png
    from did_ocr.ocr import get_reader
    from did_ocr.ocr.consensus import read_consensus

    enh = build_from_options(enhancer, device, model, quality, max_side)
    reader = get_reader(device)
    outcome = Outcome()
    results = []
    names = _unique_png_names(images) if save_enhanced else {}

    def work(path: str) -> dict:
        t0 = time.perf_counter()
        dark = load_capture(path, linear=linear)
        t1 = time.perf_counter()
        enhanced_images, lines, timing = read_consensus(enh, reader, dark, seed=seed, samples=samples)
        if save_enhanced:
            save_srgb_png(Path(save_enhanced) / names[path], enhanced_images[0])
        record = {"file": path, "enhancer": enhancer, "lines": [ln.to_dict() for ln in lines],
                  "text": "\n".join(ln.text for ln in lines),
                  "timings": {"load_s": round(t1 - t0, 3), **{k: round(v, 3) for k, v in timing.items()},
                              "total_s": round(time.perf_counter() - t0, 3)}}
        if samples > 1:
            record["samples"] = samples
        if not as_json:
            _print_text(path, lines, header=len(images) > 1)
        return record

    for path, record in for_each_input(images, work, outcome, progress=as_json):
        results.append(record)
    if as_json:
        failed = [{"file": p, "error": "see stderr"} for p in outcome.failures]
        click.echo(json.dumps(results + failed, indent=2))
    outcome.exit()


def _print_text(path: str, lines, header: bool) -> None:
    if header:
        click.echo(f"==> {path} <==")
    if lines:
        for line in lines:
            click.echo(line.text)
    else:
        click.echo("(no text found)", err=True)
    if header:
        click.echo()


def _unique_png_names(paths) -> dict[str, str]:
    """Output PNG names per input: the stem, made unique when two inputs share it."""
    from pathlib import Path

    names: dict[str, str] = {}
    used: set[str] = set()
    for p in paths:
        stem = Path(p).stem or "image"
        name, k = f"{stem}.png", 1
        while name in used:
            name, k = f"{stem}-{k}.png", k + 1
        used.add(name)
        names[p] = name
    return names
