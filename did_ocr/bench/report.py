"""The report of a benchmark run: summary tables, the accuracy plot and the picture grid, from the rows.

Why apart from the running: a report is made from ``per_image.csv`` alone
(or the merged shard files), so it can be remade after a merge, a resume or
a change of summary without running any enhancer again.
"""

from __future__ import annotations

from pathlib import Path

from did_ocr.bench.grid import save_bench_grid
from did_ocr.bench.protocol import merge_protocols
from did_ocr.bench.results import load_rows, summarize, to_markdown
from did_ocr.data.levels import order_levels
from did_ocr.errors import DidOcrError


def finalize(out: str | Path, grid_images: int = 6, lpips_note: str = "") -> None:
    """From per_image.csv (or merged shards): summary.csv, summary.md, accuracy.png, grid.png."""
    from did_ocr.bench.plots import accuracy_plot
    from did_ocr.fileio import atomic_path, atomic_write_text

    out = Path(out)
    shards = sorted((out / "shards").glob("per_image.*.csv")) if (out / "shards").is_dir() else []
    df = load_rows([out / "per_image.csv", *shards])
    if df.empty:
        raise DidOcrError(f"{out}: no benchmark rows to summarize")
    if shards:
        with atomic_path(out / "per_image.csv") as tmp:
            df.to_csv(tmp, index=False)
        merge_protocols(out)
    summary = summarize(df)
    with atomic_path(out / "summary.csv") as tmp:
        summary.to_csv(tmp, index=False, float_format="%.6g")
    levels = order_levels(set(df["level"]) - {""})
    md = to_markdown(summary, levels)
    if lpips_note:
        md += f"\n{lpips_note}.\n"
    atomic_write_text(out / "summary.md", md)
    accuracy_plot(summary, levels or [""], out / "accuracy.png")
    save_bench_grid(out, df, grid_images)
