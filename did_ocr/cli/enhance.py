"""``did-ocr enhance``: write enhanced PNGs of dark photos.

For looking at what an enhancer does, or for feeding another OCR engine:
every input becomes ``OUT/<stem>.png`` (8-bit sRGB, written atomically so an
interrupted run never leaves a half-written PNG). The enhancer is built once
for all files; a bad file is one error line and the others are still written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from did_ocr.cli.common import (enhancer_options, exit_if_failed, expand_inputs, for_each_input, input_bytes,
                                output_names, recursive_option, say, settings_from)


@click.command()
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--out", "-o", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the PNGs.")
@enhancer_options
@recursive_option
def enhance(images: tuple[str, ...], out_dir: str, recursive: bool, **options: Any) -> None:
    """Enhance dark photos IMAGES and write them as 8-bit sRGB PNGs into --out.

    A folder enhances every supported image in it (sorted; -r: subfolders
    too); - reads one image from standard input (written as stdin.png).

    Output names are the input stems with .png (made unique, e.g. a-1.png, if
    two inputs share a stem or an output would overwrite an input). Prints
    each written path. Exit code 2 if any file failed; the others are still
    written.
    """
    from did_ocr.capture.load import load_capture, load_capture_bytes
    from did_ocr.capture.save import save_srgb_png

    from did_ocr.reading.settings import limit_threads

    settings = settings_from(options)
    inputs = expand_inputs(images, recursive)
    limit_threads(settings.threads)
    enh = settings.build_enhancer()
    targets = output_names(inputs, out_dir)

    def work(path: str) -> Path:
        data = input_bytes(path)
        linear = settings.linear
        capture = load_capture(path, linear=linear) if data is None else load_capture_bytes(data, path, linear=linear)
        save_srgb_png(targets[path], enh.enhance(capture, seed=settings.seed))
        say(str(targets[path]))
        return targets[path]

    exit_if_failed(for_each_input(inputs, work))
