"""The benchmark's result files: an append-only per-image CSV that survives kills, and its summary.

Rows are appended and flushed (fsync) one at a time, so an interrupted run
loses at most the row being written; on resume a torn last line is cut off
and the (image, enhancer, OCR engine) rows already present are skipped, so nothing is
computed twice and no row is duplicated.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np
import pandas as pd

from did_ocr.fileio import cut_torn_tail

if TYPE_CHECKING:
    from did_ocr.data.dataset import DatasetItem

COLUMNS = ["dataset", "image", "level", "enhancer", "ocr", "truth", "prediction", "words_found", "words_total",
           "word_accuracy", "exact", "cer", "psnr", "ssim", "lpips", "seconds", "enhance_seconds", "ocr_seconds",
           "error"]
REFERENCE = "well-lit"  # OCR on the high/ image: the ceiling


def kept_image(out: str | Path, enhancer: str, image: str) -> Path:
    """Where a run keeps an enhanced image (``--grid-images N``, the first N): OUT/images/ENHANCER/IMAGE.png."""
    return Path(out) / "images" / enhancer / f"{image}.png"


def kept_images(out: str | Path, enhancer: str, items: Iterable[DatasetItem]) -> Iterator[tuple[DatasetItem, np.ndarray]]:
    """The items whose enhanced image a run kept, each with that image as BGR uint8: so OCR settings can be tried
    on DiD's reconstructions without running DiD again (benchmarks/space_recovery.py and its siblings)."""
    from PIL import Image

    for item in items:
        path = kept_image(out, enhancer, item.name)
        if path.is_file():
            yield item, np.ascontiguousarray(np.asarray(Image.open(path).convert("RGB"))[..., ::-1])


class RowLog:
    """Append-only CSV of per-image rows with crash-safe resume."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cut_torn_tail(self.path)
        self._check_header()
        self.done: set[tuple[str, str, str]] = {(r["image"], r["enhancer"], r["ocr"]) for r in self.rows()}
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._handle = open(self.path, "a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._handle, fieldnames=COLUMNS)
        if new:
            self._writer.writeheader()
            self._sync()

    def _check_header(self) -> None:
        """Rows of an older did-ocr (no ``ocr`` column) cannot be resumed: one clear error instead of mixed columns."""
        from did_ocr.errors import DidOcrError

        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f), [])
            if header != COLUMNS:
                raise DidOcrError(f"{self.path}: written by another version of did-ocr (columns differ); "
                                  "give a new --out folder to run this benchmark again")

    def rows(self) -> list[dict[str, str]]:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return []
        with open(self.path, newline="", encoding="utf-8") as f:
            return [r for r in csv.DictReader(f) if r.get("enhancer")]

    def add(self, row: dict) -> None:
        key = (str(row["image"]), str(row["enhancer"]), str(row["ocr"]))
        if key in self.done:
            return
        self._writer.writerow(csv_row(row))
        self._sync()
        self.done.add(key)

    def _sync(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def csv_row(row: dict) -> dict[str, str]:
    """A row as per_image.csv stores it: every column, as text (what an actor sends the driver, too)."""
    return {c: _fmt(row.get(c)) for c in COLUMNS}


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.6g}"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def load_rows(paths: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """Per-image rows from one or more CSVs (shards), de-duplicated on (image, enhancer, ocr)."""
    frames = [pd.read_csv(p, dtype={"image": str, "truth": str, "prediction": str, "level": str},
                          keep_default_na=False, na_values={"psnr": [""], "ssim": [""], "lpips": [""],
                                                            "cer": [""], "word_accuracy": [""], "exact": [""]})
              for p in paths if Path(p).exists() and Path(p).stat().st_size > 0]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(subset=["image", "enhancer", "ocr"], keep="last").reset_index(drop=True)


def label(enhancer: str, ocr: str, engines: int) -> str:
    """How a summary names a row: the enhancer, with its OCR engine when a run compared several."""
    return enhancer if engines <= 1 else f"{enhancer} ({ocr})"


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Per OCR engine, enhancer and light level (plus an 'all' level): word accuracy, CER, image metrics, speed, n.

    ``enhancer`` is the row's label: the enhancer's name, followed by its
    engine in brackets when the run compared several engines.
    """
    ok = df[df["error"].astype(str) == ""].copy()
    for col in ("words_found", "words_total", "cer", "psnr", "ssim", "lpips", "seconds", "enhance_seconds", "exact"):
        ok[col] = pd.to_numeric(ok[col], errors="coerce")
    ok["single_word"] = ok["words_total"] == 1
    rows = []
    levels = [lv for lv in ok["level"].unique()]
    engines = df["ocr"].nunique()
    for (ocr, name), group in ok.groupby(["ocr", "enhancer"], sort=False):
        enhancer = label(name, ocr, engines)
        mine = df[(df["enhancer"] == name) & (df["ocr"] == ocr)]
        for level in [*levels, "all"]:
            g = group if level == "all" else group[group["level"] == level]
            if g.empty:
                continue
            single = g[g["single_word"]]
            labelled = g[g["words_total"] > 0]  # CER against an empty label only says whether anything was read
            total = g["words_total"].sum()
            rows.append({
                "enhancer": enhancer, "ocr": ocr, "level": level, "n": len(g),
                "word_accuracy": g["words_found"].sum() / total if total else float("nan"),
                "exact_rate": single["exact"].mean() if len(single) else float("nan"),
                "cer": labelled["cer"].mean(), "psnr": g["psnr"].replace(float("inf"), float("nan")).mean(),
                "ssim": g["ssim"].mean(), "lpips": g["lpips"].mean(),
                "seconds_per_image": g["seconds"].mean(), "enhance_seconds": g["enhance_seconds"].mean(),
                "errors": int((mine[(mine["level"] == level) | (level == "all")]["error"].astype(str) != "").sum()),
            })
    return pd.DataFrame(rows)


def to_markdown(summary: pd.DataFrame, level_order: list[str]) -> str:
    """A word-accuracy table (enhancers x levels) and a full table, as Markdown."""
    levels = [lv for lv in level_order if lv in set(summary["level"])] + ["all"]
    pivot = summary.pivot(index="enhancer", columns="level", values="word_accuracy")
    pivot = pivot.reindex(columns=[lv for lv in levels if lv in pivot.columns])
    pivot = pivot.sort_values("all", ascending=False) if "all" in pivot.columns else pivot
    out = io.StringIO()
    if pivot.notna().any().any():  # a dataset without labels (e.g. LOL) has no word accuracy to tabulate
        out.write("| enhancer | " + " | ".join(pivot.columns) + " |\n")
        out.write("|---|" + "---:|" * len(pivot.columns) + "\n")
        for enhancer, row in pivot.iterrows():
            out.write(f"| {enhancer} | " + " | ".join("" if pd.isna(v) else f"{100 * v:.1f}" for v in row) + " |\n")
        out.write("\n")
    full = summary[summary["level"] == "all"].sort_values("word_accuracy", ascending=False)
    out.write("| enhancer | n | word acc. % | CER | PSNR dB | SSIM | LPIPS | s/image |\n")
    out.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
    for _, r in full.iterrows():
        def f(v, fmt):
            return "n/a" if pd.isna(v) else format(v, fmt)
        out.write(f"| {r['enhancer']} | {r['n']} | {f(100 * r['word_accuracy'], '.1f')} | {f(r['cer'], '.3f')} | "
                  f"{f(r['psnr'], '.2f')} | {f(r['ssim'], '.3f')} | {f(r['lpips'], '.3f')} | "
                  f"{f(r['seconds_per_image'], '.2f')} |\n")
    return out.getvalue()


def found_table(rows: Iterable[dict], variant: str) -> str:
    """Tagged words found per ``rows[variant]`` (rows) and ``rows["level"]`` (columns, in order of appearance),
    as Markdown cells "FOUND of TOTAL": the totals the OCR ablation scripts in benchmarks/ print."""
    totals: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        counts = totals.setdefault((str(row[variant]), str(row["level"])), [0, 0])
        counts[0] += int(row["found"])
        counts[1] += int(row["total"])
    names, levels = (list(dict.fromkeys(key[i] for key in totals)) for i in (0, 1))
    lines = [f"| {variant} | " + " | ".join(levels) + " |", "|---|" + "---:|" * len(levels)]
    lines += [f"| {name} | " + " | ".join(f"{totals[name, lv][0]} of {totals[name, lv][1]}" if (name, lv) in totals
                                          else "" for lv in levels) + " |" for name in names]
    return "\n".join(lines)
