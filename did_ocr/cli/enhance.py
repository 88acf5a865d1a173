"""``did-ocr enhance``: write enhanced PNGs of dark photos.

For looking at what an enhancer does, or for feeding another OCR engine:
every input becomes ``OUT/<stem>.png`` (8-bit sRGB, written atomically so an
interrupted run never leaves a half-written PNG). The enhancer is built once
for all files; a bad file is one error line and the others are still written.
"""

from __future__ import annotations

from pathlib import Path

import click

from did_ocr.cli.common import build_from_options, enhancer_options, exit_if_failed, for_each_input, output_names, say


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the PNGs.")
@enhancer_options
def enhance(images: tuple[str, ...], out_dir: str, enhancer: str, device: str, seed: int, linear: bool,
            model: str | None, quality: str | None, max_side: int | None) -> None:
    """Enhance dark photos IMAGES and write them as 8-bit sRGB PNGs into --out.

    Output names are the input stems with .png (made unique, e.g. a-1.png, if
    two inputs share a stem or an output would overwrite an input). Prints
    each written path. Exit code 2 if any file failed; the others are still
    written.
    """
    from did_ocr.capture import load_capture
    from did_ocr.capture.save import save_srgb_png

    enh = build_from_options(enhancer, device, model, quality, max_side)
    targets = output_names(images, out_dir)

    def work(path: str) -> Path:
        save_srgb_png(targets[path], enh.enhance(load_capture(path, linear=linear), seed=seed))
        say(str(targets[path]))
        return targets[path]

    exit_if_failed(for_each_input(images, work))
