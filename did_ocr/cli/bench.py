"""``did-ocr bench``: word accuracy of enhancers on a dataset, as CSVs and plots."""

from __future__ import annotations

import click

from did_ocr.device import DEVICE_CHOICES
from did_ocr.enhancers.catalog import QUALITY_NAMES

DEFAULT_ENHANCERS = "did,nlm,clahe,gain,gamma,he,none"


@click.command()
@click.option("--dataset", default="synthetic", show_default=True,
              help="A dataset folder (low/, labels.csv, optional high/) or 'synthetic' (generated into OUT/dataset).")
@click.option("--levels", default=None, help="Comma-separated light levels to include (default: all; synthetic: dim,dark,night,extreme).")
@click.option("--enhancers", default=DEFAULT_ENHANCERS, show_default=True, help="Comma-separated enhancer names.")
@click.option("--out", "out", default="bench_out", show_default=True, type=click.Path(file_okay=False))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N images (synthetic: generate N).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic data and of the samplers.")
@click.option("--shard", default="0/1", show_default=True, help="Process every n-th image starting at i (i/n); merge with --merge.")
@click.option("--merge", is_flag=True, help="Only combine the shard files in OUT into per_image.csv, summaries and plots.")
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True)
@click.option("--model", type=click.Path(dir_okay=False), default=None, help="DiD model (default: the shipped one).")
@click.option("--quality", type=click.Choice(QUALITY_NAMES), default=None, help="DiD sampling quality.")
@click.option("--samples", "-k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Also score DiD read by consensus of K samples (rows named did-kK).")
@click.option("--grid-images", type=click.IntRange(min=0), default=6, show_default=True,
              help="Images shown in grid.png (their enhanced PNGs are kept in OUT/images).")
@click.option("--lpips-backbone", type=click.Path(dir_okay=False), default=None,
              help="AlexNet weights for LPIPS (default: the torch hub cache); without them LPIPS is left empty.")
def bench(dataset: str, levels: str | None, enhancers: str, out: str, limit: int | None, seed: int, shard: str,
          merge: bool, device: str, model: str | None, quality: str | None, samples: int, grid_images: int,
          lpips_backbone: str | None) -> None:
    """Run every enhancer on every image, read it with OCR and score it.

    Writes OUT/per_image.csv, summary.csv, summary.md, accuracy.png, grid.png
    and protocol.json. An interrupted run resumes where it stopped (rerun the
    same command). OCR on the well-lit images is reported as 'well-lit'.
    """
    from did_ocr.bench.runner import BenchConfig, Bench, finalize, parse_shard
    from did_ocr.errors import DidOcrError

    if merge:
        from did_ocr.bench.metrics import LpipsMetric

        finalize(out, grid_images, LpipsMetric(lpips_backbone).reason)
        click.echo(f"merged: {out}/per_image.csv, summary.csv, accuracy.png")
        return
    names = [e.strip() for e in enhancers.split(",") if e.strip()]
    if not names:
        raise DidOcrError("--enhancers is empty; name at least one enhancer")
    from did_ocr.enhancers import available_enhancers

    unknown = [e for e in names if e not in available_enhancers()]
    if unknown:
        raise DidOcrError(f"unknown enhancer(s) {', '.join(unknown)}; choose from {', '.join(available_enhancers())}")
    cfg = BenchConfig(dataset=dataset, out=out, enhancers=names,
                      levels=[lv.strip() for lv in levels.split(",")] if levels else None, limit=limit, seed=seed,
                      shard=parse_shard(shard), device=device, model=model, quality=quality, samples=samples,
                      grid_images=grid_images,
                      lpips_backbone=lpips_backbone)
    runner = Bench(cfg)
    path = runner.run()
    click.echo(f"rows: {path}")
    if cfg.shard[1] == 1:
        click.echo((open(f"{out}/summary.md").read()))
    if runner.errors:
        click.echo(f"{len(runner.errors)} image/enhancer runs failed (see the error lines above and the error "
                   "column of per_image.csv)", err=True)
        raise SystemExit(2)
