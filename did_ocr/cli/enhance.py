"""``did-ocr enhance``: write enhanced PNGs of dark photos."""

from __future__ import annotations

from pathlib import Path

import click

from did_ocr.cli.common import Outcome, build_from_options, enhancer_options, for_each_input
from did_ocr.cli.read import _unique_png_names


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the PNGs.")
@enhancer_options
def enhance(images: tuple[str, ...], out_dir: str, enhancer: str, device: str, seed: int, linear: bool,
            model: str | None, quality: str | None, max_side: int | None) -> None:
    """Enhance dark photos IMAGES and write them as 8-bit sRGB PNGs into --out.

    Output names are the input stems with .png (made unique if two inputs
    share a stem). Files are written atomically. Exit code 2 if any failed.
    """
    from did_ocr.capture import load_capture
    from did_ocr.capture.save import save_srgb_png

    enh = build_from_options(enhancer, device, model, quality, max_side)
    names = _unique_png_names(images)
    outcome = Outcome()

    def work(path: str) -> Path:
        target = Path(out_dir) / names[path]
        save_srgb_png(target, enh.enhance(load_capture(path, linear=linear), seed=seed))
        click.echo(str(target))
        return target

    for_each_input(images, work, outcome, progress=True)
    outcome.exit()
