"""``did-ocr bench``: word accuracy of enhancers on a dataset, as CSVs and plots."""

from __future__ import annotations

import click

from typing import Any

from did_ocr.cli.common import DEFAULTS, detect_side_option, did_options, ray_options, refine_option
from did_ocr.device import DEVICE_CHOICES

DEFAULT_ENHANCERS = "did,nlm,clahe,gain,gamma,he,none"


@click.command()
@click.option("--dataset", default="synthetic", show_default=True,
              help="A dataset folder (low/, labels.csv, optional high/) or 'synthetic' (generated into OUT/dataset).")
@click.option("--levels", default=None, help="Comma-separated light levels to include (default: all; synthetic: dim,dark,night,extreme). An image keeps its seed: a filtered run repeats the full run's rows.")
@click.option("--enhancers", default=DEFAULT_ENHANCERS, show_default=True, help="Comma-separated enhancer names.")
@click.option("--ocr", default=DEFAULTS.ocr, show_default=True,
              help="Comma-separated OCR engines (rapidocr, easyocr); each reads every enhanced image (rows per engine).")
@click.option("--out", "out", default="bench_out", show_default=True, type=click.Path(file_okay=False))
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N images (synthetic: generate N).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the synthetic data and of the samplers.")
@click.option("--shard", default="0/1", show_default=True, help="Process every n-th image starting at i (i/n); merge with --merge.")
@click.option("--merge", is_flag=True, help="Only combine the shard files in OUT into per_image.csv, summaries and plots.")
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default=DEFAULTS.device, show_default=True)
@did_options
@detect_side_option
@refine_option
@click.option("--samples", "-k", type=click.IntRange(min=1), default=1, show_default=True,
              help="Also score DiD read by consensus of K samples (rows named did-kK).")
@click.option("--grid-images", type=click.IntRange(min=0), default=6, show_default=True,
              help="Images shown in grid.png (their enhanced PNGs are kept in OUT/images).")
@click.option("--lpips-backbone", type=click.Path(dir_okay=False), default=None,
              help="AlexNet weights for LPIPS (default: the torch hub cache); without them LPIPS is left empty.")
@click.option("--ray", "use_ray", is_flag=True,
              help="Spread the images over a pool of Ray actors (pip install 'did-ocr[ray]'); writes the same files "
                   "as a local run, and a rerun resumes the same way.")
@ray_options("benchmark")
def bench(dataset: str, levels: str | None, enhancers: str, ocr: str, out: str, limit: int | None, seed: int, shard: str,
          merge: bool, samples: int, grid_images: int, lpips_backbone: str | None, use_ray: bool = False,
          ray_address: str | None = None, actors: int = 1, actor_threads: int = 1, **options: Any) -> None:
    """Run every enhancer on every image, read it with OCR and score it.

    Writes OUT/per_image.csv, summary.csv, summary.md, accuracy.png, grid.png
    and protocol.json. An interrupted run resumes where it stopped (rerun the
    same command). OCR on the well-lit images is reported as 'well-lit'.
    --ray computes the images' rows in Ray actors; this process writes them.
    """
    from did_ocr.bench.runner import BenchConfig, Bench, finalize, parse_shard
    from did_ocr.errors import DidOcrError

    if use_ray and (merge or shard != "0/1"):
        raise DidOcrError(f"{'--merge' if merge else '--shard'} cannot be used with --ray (shards are for runs "
                          "without Ray; --ray runs every image)")
    if not use_ray:
        stray = [flag for flag, given in (("--ray-address", ray_address), ("--actors", actors != 1),
                                          ("--actor-threads", actor_threads != 1)) if given]
        if stray:
            raise DidOcrError(f"{', '.join(stray)} {'applies' if len(stray) == 1 else 'apply'} only with --ray")
    if merge:
        from did_ocr.bench.metrics import LpipsMetric

        finalize(out, grid_images, LpipsMetric(lpips_backbone).reason)
        click.echo(f"merged: {out}/per_image.csv, summary.csv, accuracy.png")
        return
    from did_ocr.reading.settings import ReadSettings

    cfg = BenchConfig(dataset=dataset, out=out, enhancers=_names(enhancers), ocr=_names(ocr),
                      levels=_names(levels) if levels else None, limit=limit, seed=seed, shard=parse_shard(shard),
                      settings=ReadSettings.from_options(options), samples=samples, grid_images=grid_images,
                      lpips_backbone=lpips_backbone).check()
    if use_ray:
        from did_ocr.bench.distributed import bench_with_ray

        runner = bench_with_ray(cfg, address=ray_address, actors=actors, threads_per_actor=actor_threads)
        path = runner.shard_csv()
    else:
        runner = Bench(cfg)
        path = runner.run()
    click.echo(f"rows: {path}")
    if cfg.shard[1] == 1:
        click.echo((open(f"{out}/summary.md").read()))
    if runner.errors:
        click.echo(f"{len(runner.errors)} image/enhancer runs failed (see the error lines above and the error "
                   "column of per_image.csv)", err=True)
        raise SystemExit(2)


def _names(text: str) -> list[str]:
    """A comma-separated list, blanks and repeats dropped."""
    return list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
