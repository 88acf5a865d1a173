"""What the converters share: finding images by stem, placing files, starting and writing the layout, the CLI.

Every converter is ``find pairs -> (name, low file, high file, label columns)
-> write_pairs``; the differences between public datasets are only in how
the pairs are found, so that part is all a converter module contains.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from did_ocr.data.dataset import LABELS_FILE, META_FILE, REQUIRED_COLUMNS, SUPPORTED, index_images, write_labels
from did_ocr.errors import DatasetError, DidOcrError

#: how image files get into the output: a copy, a hard link (no extra space; copies across disks), a symlink
MODES = ("copy", "link", "symlink")
#: word boxes of the annotated images, one JSON object a line (written by data_prep.icdar)
BOXES_FILE = "boxes.jsonl"
#: files a conversion writes next to low/ and high/ (removed by --overwrite)
OUTPUT_FILES = (LABELS_FILE, META_FILE, BOXES_FILE)


@dataclass(frozen=True)
class Pair:
    """One converted item: its output name, source files, and its labels.csv columns (text, level, ...)."""

    name: str
    low: Path
    high: Path | None
    labels: dict[str, str] = field(default_factory=dict)
    #: the name annotation files use for this image when it differs from ``name`` (e.g. before prefixing)
    source_name: str | None = None


@dataclass(frozen=True)
class Converted:
    """What a conversion wrote: the summary line of the command."""

    source: str
    out: Path
    pairs: int
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        return "; ".join([f"wrote {self.pairs} {self.source} pairs to {self.out}", *(n for n in self.notes if n)])


def images_by_stem(folder: Path, extensions: Iterable[str] = SUPPORTED) -> dict[str, Path]:
    """Stem -> path of the images directly in ``folder`` (sorted); errors name the folder or the clashing file.

    The same rules as the dataset reader (two files with one stem are an
    error), so a converter never produces a dataset the reader refuses.
    """
    if not folder.is_dir():
        raise DatasetError(f"{folder}: folder not found; check the dataset path and its layout")
    exts = {e.lower() for e in extensions}
    return {stem: path for stem, path in index_images(folder).items() if path.suffix.lower() in exts}


def find_dir(parent: Path, name: str) -> Path | None:
    """The sub-folder of ``parent`` called ``name``, ignoring case (GT, Input, ...), or None."""
    exact = parent / name
    if exact.is_dir():
        return exact
    matches = [p for p in sorted(parent.iterdir()) if p.is_dir() and p.name.lower() == name.lower()] \
        if parent.is_dir() else []
    return matches[0] if matches else None


def partner(stem: str, partners: dict[str, Path], low: Path, where: Path) -> Path:
    """The well-lit partner of ``low`` or a one-line error naming both places."""
    if stem not in partners:
        raise DatasetError(f"{low}: no partner with the same name in {where}")
    return partners[stem]


def place(src: Path, dst: Path, mode: str = "copy") -> None:
    """Put ``src`` at ``dst`` by copying, hard-linking (falls back to a copy across disks) or symlinking."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        if dst.resolve() == src.resolve():
            return  # already there (a re-run into the same folder): unlinking would destroy the source
        dst.unlink()
    if mode == "link":
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another disk or a file system without hard links: copy instead
    if mode == "symlink":
        dst.symlink_to(src.resolve())
        return
    shutil.copy2(src, dst)


def prepare_out(out: Path) -> None:
    """Create OUT/low and OUT/high."""
    (out / "low").mkdir(parents=True, exist_ok=True)
    (out / "high").mkdir(parents=True, exist_ok=True)


def start_output(out: Path, src: Path, overwrite: bool = False) -> None:
    """Create an empty standard layout at ``out``, refusing to mix with an earlier conversion.

    Files left by another run would join the new dataset silently (or clash
    by stem), so a non-empty OUT/low or OUT/high is an error unless
    ``overwrite``, which first removes low/, high/ and the files a
    conversion writes. The source is never inside what gets removed.
    """
    out, src = Path(out), Path(src)
    if out.resolve() == src.resolve():
        raise DatasetError(f"{out}: the output folder is the source folder; choose another output folder")
    used = [d for d in (out / "low", out / "high") if d.is_dir() and any(d.iterdir())]
    if used and not overwrite:
        raise DatasetError(f"{used[0]}: not empty (an earlier conversion?); choose an empty output folder "
                           "or pass --overwrite")
    if used:
        for folder in (out / "low", out / "high"):
            if src.resolve().is_relative_to(folder.resolve()):
                raise DatasetError(f"{src}: the source is inside {folder}, which --overwrite would delete")
            shutil.rmtree(folder, ignore_errors=True)
        for name in OUTPUT_FILES:
            (out / name).unlink(missing_ok=True)
    prepare_out(out)


def check_unique_names(pairs: Sequence[Pair]) -> None:
    """Two pairs with one output name would overwrite each other: an error naming both sources."""
    seen: dict[str, Pair] = {}
    for pair in pairs:
        if pair.name in seen:
            raise DatasetError(f"{pair.low}: its output name {pair.name!r} is taken by {seen[pair.name].low}; "
                               "rename one of them")
        seen[pair.name] = pair


def write_pairs(out: Path, pairs: Sequence[Pair], mode: str = "copy",
                columns: Sequence[str] = REQUIRED_COLUMNS) -> list[dict[str, str]]:
    """Place every pair into OUT/low and OUT/high (``NAME`` + the source's lower-case extension), write labels.csv.

    Returns the labels.csv rows. The layout must have been started (see :func:`start_output`).
    """
    check_unique_names(pairs)
    for pair in pairs:
        place(pair.low, out / "low" / f"{pair.name}{pair.low.suffix.lower()}", mode)
        if pair.high is not None:
            place(pair.high, out / "high" / f"{pair.name}{pair.high.suffix.lower()}", mode)
    return write_pair_labels(out, pairs, columns)


def write_pair_labels(out: Path, pairs: Sequence[Pair], columns: Sequence[str] = REQUIRED_COLUMNS,
                      ) -> list[dict[str, str]]:
    """Write OUT/labels.csv with one row per pair (empty text unless its labels give one); returns the rows."""
    rows = [{"name": pair.name, "text": "", **pair.labels} for pair in pairs]
    write_labels(out / LABELS_FILE, rows, columns=columns)
    return rows


# --------------------------------------------------------------------------- command line


def new_parser(module: str, doc: str | None, positionals: tuple[tuple[str, str], ...] = (
        ("src", "the source dataset folder"), ("out", "output dataset folder"))) -> argparse.ArgumentParser:
    """The argument parser of a converter: its docstring as help, SRC and OUT positionals."""
    parser = argparse.ArgumentParser(prog=f"python -m data_prep.{module}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, help_text in positionals:
        parser.add_argument(name, help=help_text)
    return parser


def add_mode_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=MODES, default="copy",
                        help="how image files are placed into the output: copy (default), link (hard link; "
                             "no extra disk space, copies across disks) or symlink")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """--overwrite and --annotations, shared by the converters that write a new dataset."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace low/, high/, labels.csv, dataset.json and boxes.jsonl of a non-empty OUT")
    parser.add_argument("--annotations", metavar="DIR",
                        help="ICDAR-style word annotations (x1,y1,...,x4,y4,text) to merge into labels.csv "
                             "and boxes.jsonl (LOL-Text, SID-Sony-Text, ...); see data_prep.icdar")


def run_cli(parser: argparse.ArgumentParser, main: Callable[[argparse.Namespace], str],
            argv: Sequence[str] | None = None) -> None:
    """Parse arguments, run, print the summary; a user error is one line on stderr and exit code 2."""
    args = parser.parse_args(argv)
    try:
        print(main(args))
    except DidOcrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("error: interrupted; the output folder may be incomplete (re-run with --overwrite)", file=sys.stderr)
        sys.exit(130)
