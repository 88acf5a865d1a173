"""Benchmark pictures: word accuracy per enhancer across light levels."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from did_ocr.bench.results import REFERENCE


def accuracy_plot(summary: pd.DataFrame, level_order: list[str], path: str | os.PathLike[str],
                  title: str = "Word accuracy by light level") -> None:
    """Lines per enhancer over levels; the well-lit reference (OCR on high/) dashed as the ceiling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from did_ocr.fileio import atomic_path

    data = summary[summary["level"] != "all"]
    levels = [lv for lv in level_order if lv in set(data["level"])]
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    order = (summary[summary["level"] == "all"].sort_values("word_accuracy", ascending=False)["enhancer"].tolist())
    for enhancer in order:
        g = data[data["enhancer"] == enhancer].set_index("level").reindex(levels)
        if enhancer == REFERENCE:
            ax.plot(levels, 100 * g["word_accuracy"], "k--", linewidth=1.5, label="well-lit (ceiling)")
        else:
            bold = enhancer.startswith("did")
            ax.plot(levels, 100 * g["word_accuracy"], marker="o", linewidth=2.4 if bold else 1.3, label=enhancer)
    ax.set_ylabel("word accuracy (%)")
    ax.set_xlabel("light level (darker to the right)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    fig.tight_layout()
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
