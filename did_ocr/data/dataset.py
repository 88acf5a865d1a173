"""Reading and writing datasets in the standard layout.

    DATASET/
      low/NAME.ext      dark captures (PNG, JPEG, TIFF, BMP, WebP, 16-bit allowed; RAW via rawpy)
      high/NAME.ext     well-lit references, same NAME stem (optional for bench, required for train)
      labels.csv        name,text[,level,...]  (optional; text = the words, space separated)
      dataset.json      optional {"low_encoding": "srgb"|"linear", "high_encoding": ..., "source": ...}

Why so strict: ``train`` and ``bench`` run for hours on what this module
returns, so every layout problem is found up front and reported as a one-line
:class:`did_ocr.errors.DatasetError` naming the file (and the line of
labels.csv) and what to do, instead of a crash or a silently wrong pairing
halfway through a run.

Rules:

* Files are matched by stem (``low/a.png`` pairs with ``high/a.jpg``); two
  files with one stem in the same folder are an error, since either could be
  "the" capture. Hidden files and unsupported extensions are ignored.
* A dark capture without a well-lit partner is fine for ``bench`` (it reads
  text only) and an error with ``require_high=True`` (``train`` needs pairs).
* A well-lit image without a dark partner is not an error (there is nothing
  to enhance, nothing is lost by skipping it), but it usually means a
  renamed or deleted capture, so it is listed in
  :attr:`LowLightDataset.unpaired_high` and announced by a
  :class:`DatasetWarning`.
* labels.csv is optional. When present it must be UTF-8, have a header with
  at least ``name`` and ``text``, one row per line with as many fields as the
  header (quote texts that contain commas), no repeated names, and only names
  that have a capture in low/. Images without a row get an empty text.
  ``level`` becomes :attr:`DatasetItem.level`; other columns are kept as
  strings in :attr:`DatasetItem.extra`.
* dataset.json is optional; ``low_encoding``/``high_encoding`` ``"linear"``
  says the files already hold linear light (16-bit linear PNGs from RAW
  converters). RAW files are always linear, whatever it says.
"""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, overload

import numpy as np

from did_ocr.capture.load import IMAGE_EXTENSIONS, RAW_EXTENSIONS, load_capture
from did_ocr.data.levels import order_levels
from did_ocr.errors import DatasetError
from did_ocr.fileio import atomic_write_text

SUPPORTED = IMAGE_EXTENSIONS | RAW_EXTENSIONS
ENCODINGS = ("srgb", "linear")
LABELS_FILE = "labels.csv"
META_FILE = "dataset.json"
REQUIRED_COLUMNS = ("name", "text")
#: columns with a meaning of their own; every other column ends up in DatasetItem.extra
KNOWN_COLUMNS = ("name", "text", "level")
_SHOWN = 5  # how many offending names an error message lists


class DatasetWarning(UserWarning):
    """A dataset problem that does not stop a run (for example a well-lit image without a dark capture)."""


@dataclass(frozen=True)
class DatasetItem:
    """One dark capture with its optional well-lit reference and labels."""

    name: str
    low_path: Path
    high_path: Path | None
    text: str = ""
    level: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def index_images(folder: Path) -> dict[str, Path]:
    """Stem -> file for the supported images directly in ``folder``, sorted by stem.

    Two files with one stem (``a.png`` and ``a.jpg``, or ``a.PNG`` and
    ``a.png`` on a case-sensitive disk) are an error: pairing would be a guess.
    """
    found: dict[str, Path] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise DatasetError(f"{folder}: cannot be listed ({exc.strerror or exc}); check its permissions") from None
    for path in entries:
        if path.name.startswith(".") or path.suffix.lower() not in SUPPORTED or not path.is_file():
            continue
        if path.stem in found:
            raise DatasetError(f"{path}: two files named {path.stem!r} in {folder} ({found[path.stem].name} too); "
                               "keep one per name")
        found[path.stem] = path
    return dict(sorted(found.items()))


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """The rows of a labels.csv by name (each row a column -> value dict, values stripped).

    Errors name the file and the line: not UTF-8, no or incomplete header,
    a row with the wrong number of fields, broken quoting, an empty or
    repeated name.
    """
    reader = csv.reader(io.StringIO(read_utf8(path), newline=""), strict=True)
    header = _read_header(path, reader)
    rows: dict[str, dict[str, str]] = {}
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue  # blank lines (often the last one) carry nothing
            record = _check_row(path, reader.line_num, header, row, rows)
            rows[record["name"]] = record
    except csv.Error as exc:
        raise DatasetError(f"{path}: line {reader.line_num} is malformed CSV ({exc}); "
                           "quote texts that contain commas or quotes") from None
    return rows


#: per-word boxes of whole photos (svt_train has them beside labels.csv)
WORDS_FILE = "words.csv"
WORD_COLUMNS = ("name", "x0", "y0", "x1", "y1", "text")


@dataclass(frozen=True)
class WordBox:
    """One tagged word of a photo: its pixel box (x1, y1 exclusive) and its text."""

    image: str
    x0: int
    y0: int
    x1: int
    y1: int
    text: str


def read_word_boxes(path: Path) -> list[WordBox]:
    """The rows of a words.csv (``name,x0,y0,x1,y1,text``, pixels, x1/y1 exclusive); errors name the file and line."""
    reader = csv.reader(io.StringIO(read_utf8(path), newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        if header != list(WORD_COLUMNS):
            raise DatasetError(f"{path}: line 1 must be the header {','.join(WORD_COLUMNS)}, got {','.join(header)!r}")
        boxes = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) != len(WORD_COLUMNS):
                raise DatasetError(f"{path}: line {line} has {len(row)} fields, expected {len(WORD_COLUMNS)}; "
                                   "quote texts that contain commas")
            try:
                x0, y0, x1, y1 = (int(float(v)) for v in row[1:5])
            except ValueError:
                raise DatasetError(f"{path}: line {line}: the box {','.join(row[1:5])!r} is not four numbers") from None
            if x1 <= x0 or y1 <= y0:
                raise DatasetError(f"{path}: line {line}: the box has no area (x1 <= x0 or y1 <= y0)")
            boxes.append(WordBox(row[0].strip(), x0, y0, x1, y1, row[5].strip()))
    except csv.Error as exc:
        raise DatasetError(f"{path}: line {reader.line_num} is malformed CSV ({exc})") from None
    return boxes


def read_utf8(path: Path) -> str:
    """The text of a UTF-8 file (a BOM is tolerated); unreadable or non-UTF-8 files are errors naming the line."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from None
    try:
        return data.decode("utf-8-sig")  # a BOM (Excel writes one) is tolerated
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DatasetError(f"{path}: line {line} is not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None


def _read_header(path: Path, reader: Any) -> list[str]:
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise DatasetError(f"{path}: empty; it needs a header line 'name,text'") from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: line 1 is malformed CSV ({exc})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DatasetError(f"{path}: line 1 must be a header with the columns name and text "
                           f"(missing {', '.join(missing)}), got {','.join(header)!r}")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated or "" in header:
        what = f"repeats the column {repeated[0]!r}" if repeated else "has an empty column name"
        raise DatasetError(f"{path}: line 1 (the header) {what}; give every column one distinct name")
    return header


def _check_row(path: Path, line: int, header: list[str], row: list[str],
               seen: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    if len(row) != len(header):
        raise DatasetError(f"{path}: line {line} has {len(row)} fields, the header has {len(header)}; "
                           "quote texts that contain commas")
    record = {key: value.strip() for key, value in zip(header, row)}
    name = record["name"]
    if not name:
        raise DatasetError(f"{path}: line {line} has an empty name")
    if name in seen:
        raise DatasetError(f"{path}: line {line} repeats the name {name!r}; keep one row per image")
    return record


def read_meta(root: Path) -> dict[str, Any]:
    """dataset.json as a dict ({} when absent), with the encodings checked."""
    path = root / META_FILE
    if not path.exists():
        return {}
    try:
        meta = json.loads(read_utf8(path))
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: invalid JSON at line {exc.lineno} ({exc.msg})") from None
    if not isinstance(meta, dict):
        raise DatasetError(f"{path}: must hold a JSON object such as {{\"low_encoding\": \"linear\"}}")
    _check_encodings(path, meta)
    return meta


def _check_encodings(path: Path, meta: Mapping[str, Any]) -> None:
    for key in ("low_encoding", "high_encoding"):
        if meta.get(key, "srgb") not in ENCODINGS:
            raise DatasetError(f"{path}: {key} must be 'srgb' or 'linear', not {meta.get(key)!r}")


class LowLightDataset(Sequence[DatasetItem]):
    """The items of a standard-layout dataset, sorted by name; everything is checked on construction.

    ``require_high=True`` (training) makes a dark capture without a
    well-lit partner an error instead of an item with ``high_path=None``.
    """

    def __init__(self, root: str | os.PathLike[str], *, require_high: bool = False) -> None:
        self.root = Path(root)
        self.require_high = require_high
        low_dir, high_dir = self._folders()
        self.meta: dict[str, Any] = read_meta(self.root)
        #: whether the files of low/ (high/) hold linear light already (dataset.json)
        self.low_linear: bool = self.meta.get("low_encoding", "srgb") == "linear"
        self.high_linear: bool = self.meta.get("high_encoding", "srgb") == "linear"
        lows = index_images(low_dir)
        if not lows:
            raise DatasetError(f"{low_dir}: no images (supported: {', '.join(sorted(SUPPORTED))})")
        highs = index_images(high_dir) if high_dir.is_dir() else {}
        labels = self._labels(lows)
        #: well-lit images without a dark capture: skipped (see the module docstring)
        self.unpaired_high: list[Path] = [path for stem, path in highs.items() if stem not in lows]
        if self.unpaired_high:
            warnings.warn(DatasetWarning(_unpaired_message(self.unpaired_high)), stacklevel=2)
        self.items: list[DatasetItem] = [self._item(name, low, highs.get(name), labels.get(name, {}))
                                         for name, low in lows.items()]

    def _folders(self) -> tuple[Path, Path]:
        if not self.root.is_dir():
            what = "is a file, not a folder" if self.root.exists() else "not found"
            raise DatasetError(f"{self.root}: dataset folder {what}; pass the folder holding low/")
        low_dir = self.root / "low"
        if not low_dir.is_dir():
            raise DatasetError(f"{self.root}: no low/ folder; a dataset holds low/ (dark captures), "
                               "optional high/ (well-lit references) and labels.csv")
        return low_dir, self.root / "high"

    def _labels(self, lows: Mapping[str, Path]) -> dict[str, dict[str, str]]:
        path = self.root / LABELS_FILE
        if not path.exists():
            return {}
        labels = read_labels(path)
        orphans = [name for name in labels if name not in lows]
        if orphans:
            raise DatasetError(f"{path}: {len(orphans)} name(s) without an image in low/: {_shown(orphans)}; "
                               "names are file stems without the extension")
        return labels

    def _item(self, name: str, low: Path, high: Path | None, record: Mapping[str, str]) -> DatasetItem:
        if self.require_high and high is None:
            raise DatasetError(f"{low}: no well-lit partner high/{name}.* (training needs pairs); "
                               "add it or remove the capture")
        extra = {key: value for key, value in record.items() if key not in KNOWN_COLUMNS}
        return DatasetItem(name=name, low_path=low, high_path=high, text=record.get("text", ""),
                           level=record.get("level") or None, extra=extra)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> DatasetItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[DatasetItem]: ...

    def __getitem__(self, index: int | slice) -> DatasetItem | list[DatasetItem]:
        return self.items[index]

    def __iter__(self) -> Iterator[DatasetItem]:
        return iter(self.items)

    def __repr__(self) -> str:
        paired = sum(it.high_path is not None for it in self.items)
        return f"LowLightDataset({str(self.root)!r}, {len(self.items)} items, {paired} with high)"

    def levels(self) -> list[str]:
        """The light levels present, brightest first for the known names (dusk ... extreme), then the others A-Z."""
        return order_levels(it.level for it in self.items if it.level)

    def load_low(self, item: DatasetItem) -> np.ndarray:
        """The dark capture as linear float32 RGB (H, W, 3) in [0, 1], decoded per dataset.json."""
        return load_capture(item.low_path, linear=self.low_linear)

    def load_high(self, item: DatasetItem) -> np.ndarray:
        """The well-lit reference as linear float32 RGB; an item without one is a DatasetError."""
        if item.high_path is None:
            raise DatasetError(f"{item.low_path}: no well-lit partner high/{item.name}.* in {self.root}")
        return load_capture(item.high_path, linear=self.high_linear)

    def load_pair(self, item: DatasetItem) -> tuple[np.ndarray, np.ndarray]:
        """(dark, well-lit) as linear float32 (H, W, 3); sizes are not checked here (the caller decides)."""
        return self.load_low(item), self.load_high(item)


def _unpaired_message(paths: Sequence[Path]) -> str:
    return (f"{paths[0].parent}: {len(paths)} well-lit image(s) without a dark capture in low/ are skipped: "
            f"{_shown([p.name for p in paths])}")


def _shown(names: Sequence[str]) -> str:
    """The first few of ``names`` for an error message, with how many more there are."""
    more = f" (+{len(names) - _SHOWN} more)" if len(names) > _SHOWN else ""
    return ", ".join(names[:_SHOWN]) + more


# --------------------------------------------------------------------------- writing


def write_labels(path: str | os.PathLike[str], rows: Iterable[Mapping[str, Any]],
                 columns: Sequence[str] = REQUIRED_COLUMNS) -> None:
    """Write a labels.csv atomically.

    ``columns`` come first (``name`` and ``text`` are always included);
    other keys found in the rows are appended in the order they first
    appear. Values are written as strings (None as empty). A row without a
    name or a repeated name is a DatasetError, so a converter can never write
    a file the reader refuses.
    """
    rows = list(rows)
    cols = list(dict.fromkeys([*REQUIRED_COLUMNS, *columns, *(key for row in rows for key in row)]))
    seen: set[str] = set()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for number, row in enumerate(rows, start=2):
        name = str(row.get("name") or "").strip()
        if not name or name in seen:
            raise DatasetError(f"{path}: row {number} has {'a repeated' if name else 'an empty'} name {name!r}")
        seen.add(name)
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in cols])
    atomic_write_text(path, buf.getvalue())


def write_dataset_meta(root: str | os.PathLike[str], **meta: Any) -> dict[str, Any]:
    """Create or update ``ROOT/dataset.json`` with ``meta`` (keys given here win); returns the result.

    The encodings are checked like the reader does, so a converter cannot
    write a dataset that fails to open.
    """
    root = Path(root)
    merged = {**read_meta(root), **meta}
    _check_encodings(root / META_FILE, merged)
    atomic_write_text(root / META_FILE, json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    return merged
