"""``did-ocr synth``: write a synthetic low-light text dataset in the standard layout."""

from __future__ import annotations

import click


@click.command()
@click.argument("out", type=click.Path(file_okay=False))
@click.option("-n", "--count", type=click.IntRange(min=1), default=200, show_default=True, help="Number of images.")
@click.option("--levels", default="dim,dark,night,extreme", show_default=True,
              help="Comma-separated light levels (dusk, dim, dark, night, extreme), cycled over the images.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--encoding", type=click.Choice(["srgb8", "linear16"]), default="srgb8", show_default=True,
              help="How dark captures are stored: 8-bit sRGB (a phone) or 16-bit linear (RAW-like).")
@click.option("--size", default=None, help="HxW of every image (default: a mix of sign-like sizes).")
@click.option("--contact-sheet", type=click.Path(dir_okay=False), default=None,
              help="Also write a PNG of clean/dark pairs at each level.")
def synth(out: str, count: int, levels: str, seed: int, encoding: str, size: str | None, contact_sheet: str | None) -> None:
    """Render COUNT text scenes, simulate dark captures, write OUT/{low,high}/, labels.csv, dataset.json."""
    from did_ocr.data.synth.generator import write_dataset
    from did_ocr.data.levels import LEVELS
    from did_ocr.errors import DidOcrError

    names = [lv.strip() for lv in levels.split(",") if lv.strip()]
    bad = [lv for lv in names if lv not in LEVELS]
    if bad or not names:
        raise DidOcrError(f"--levels: unknown level(s) {', '.join(bad) or '(none given)'}; choose from {', '.join(LEVELS)}")
    hw = None
    if size:
        try:
            h, w = (int(v) for v in size.lower().split("x"))
        except ValueError:
            raise DidOcrError(f"--size {size!r}: expected HxW, e.g. 128x256") from None
        if h < 32 or w < 32:
            raise DidOcrError(f"--size {size!r}: both sides must be at least 32 pixels")
        hw = (h, w)
    root = write_dataset(out, count, levels=names, seed=seed, encoding=encoding, size=hw)
    click.echo(f"wrote {count} images to {root}")
    if contact_sheet:
        from did_ocr.data.synth.sheet import contact_sheet as make_sheet

        make_sheet(contact_sheet, seed=seed)
        click.echo(f"contact sheet: {contact_sheet}")
