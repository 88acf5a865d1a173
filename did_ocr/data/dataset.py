"""Reading datasets in the standard layout.

    DATASET/
      low/NAME.ext      dark captures (PNG, JPEG, TIFF, BMP, WebP, 16-bit allowed; RAW via rawpy)
      high/NAME.ext     well-lit references, same NAME stem (optional for bench, required for train)
      labels.csv        name,text[,level,...]  (optional; text = the words, space separated)
      dataset.json      optional {"low_encoding": "srgb"|"linear", "high_encoding": ...}

Files are matched by stem. Problems are reported as one-line
:class:`did_ocr.errors.DatasetError` messages naming the file (and the line
of labels.csv) so the user knows exactly what to fix. A well-lit image
without a dark partner is ignored (there is nothing to enhance).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from did_ocr.capture.load import IMAGE_EXTENSIONS, RAW_EXTENSIONS
from did_ocr.errors import DatasetError

SUPPORTED = IMAGE_EXTENSIONS | RAW_EXTENSIONS


@dataclass(frozen=True)
class DatasetItem:
    """One dark capture with its optional well-lit reference and labels."""

    name: str
    low_path: Path
    high_path: Path | None
    text: str = ""
    level: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _index(folder: Path) -> dict[str, Path]:
    """Stem -> file for the supported images of a folder; two files with one stem are an error."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in SUPPORTED and not path.name.startswith("."):
            if path.stem in found:
                raise DatasetError(f"{path}: two files named {path.stem!r} in {folder} ({found[path.stem].name} too); "
                                   "keep one per name")
            found[path.stem] = path
    return found


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """labels.csv rows by name; errors name the line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise DatasetError(f"{path}: empty; it needs a header line 'name,text'") from None
    header = [h.strip() for h in header]
    if "name" not in header or "text" not in header:
        raise DatasetError(f"{path}: line 1 must be a header with the columns name and text, got {','.join(header)!r}")
    rows: dict[str, dict[str, str]] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise DatasetError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}; "
                                   "quote texts that contain commas")
            record = dict(zip(header, row))
            name = record["name"].strip()
            if not name:
                raise DatasetError(f"{path}: line {line} has an empty name")
            if name in rows:
                raise DatasetError(f"{path}: line {line} repeats the name {name!r}")
            rows[name] = record
    except csv.Error as exc:
        raise DatasetError(f"{path}: line {reader.line_num} is malformed CSV ({exc})") from None
    return rows


class LowLightDataset(Sequence[DatasetItem]):
    """The items of a standard-layout dataset, sorted by name."""

    def __init__(self, root: str | os.PathLike[str], *, require_high: bool = False) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"{self.root}: dataset folder not found")
        low_dir, high_dir = self.root / "low", self.root / "high"
        if not low_dir.is_dir():
            raise DatasetError(f"{self.root}: no low/ folder; a dataset holds low/ (dark captures), "
                               "optional high/ and labels.csv")
        meta = self._meta()
        self.low_linear = meta.get("low_encoding", "srgb") == "linear"
        self.high_linear = meta.get("high_encoding", "srgb") == "linear"
        self.meta = meta
        lows = _index(low_dir)
        if not lows:
            raise DatasetError(f"{low_dir}: no images (supported: {', '.join(sorted(SUPPORTED))})")
        highs = _index(high_dir) if high_dir.is_dir() else {}
        labels = read_labels(self.root / "labels.csv") if (self.root / "labels.csv").exists() else {}
        orphans = sorted(set(labels) - set(lows))
        if orphans:
            raise DatasetError(f"{self.root / 'labels.csv'}: names without an image in low/: {', '.join(orphans[:5])}")
        items = []
        for name, low in lows.items():
            high = highs.get(name)
            if require_high and high is None:
                raise DatasetError(f"{low}: no well-lit partner high/{name}.* (training needs pairs)")
            record = labels.get(name, {})
            extra = {k: v for k, v in record.items() if k not in ("name", "text", "level")}
            items.append(DatasetItem(name=name, low_path=low, high_path=high, text=record.get("text", "").strip(),
                                     level=(record.get("level") or "").strip() or None, extra=extra))
        self.items: list[DatasetItem] = items

    def _meta(self) -> dict:
        path = self.root / "dataset.json"
        if not path.exists():
            return {}
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DatasetError(f"{path}: invalid JSON ({exc})") from None
        for key in ("low_encoding", "high_encoding"):
            if meta.get(key, "srgb") not in ("srgb", "linear"):
                raise DatasetError(f"{path}: {key} must be 'srgb' or 'linear', not {meta.get(key)!r}")
        return meta

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):  # type: ignore[override]
        return self.items[index]

    def __iter__(self) -> Iterator[DatasetItem]:
        return iter(self.items)

    def levels(self) -> list[str]:
        return sorted({it.level for it in self.items if it.level})

    def load_pair(self, item: DatasetItem) -> tuple[np.ndarray, np.ndarray]:
        """(dark, well-lit) as linear float32 (H, W, 3)."""
        from did_ocr.capture import load_capture

        if item.high_path is None:
            raise DatasetError(f"{item.low_path}: no well-lit partner in high/")
        return load_capture(item.low_path, linear=self.low_linear), load_capture(item.high_path, linear=self.high_linear)


def write_labels(path: str | os.PathLike[str], rows: list[dict[str, str]], columns: Sequence[str] = ("name", "text")) -> None:
    """Write labels.csv atomically with the given columns (extra keys of rows are appended as columns)."""
    from did_ocr.fileio import atomic_write_text

    cols = list(columns) + sorted({k for r in rows for k in r} - set(columns))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: r.get(c, "") for c in cols})
    atomic_write_text(path, buf.getvalue())


def write_dataset_meta(root: str | os.PathLike[str], **meta) -> None:
    """Write (or update) dataset.json."""
    from did_ocr.fileio import atomic_write_text

    path = Path(root) / "dataset.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    atomic_write_text(path, json.dumps({**current, **meta}, indent=2) + "\n")
