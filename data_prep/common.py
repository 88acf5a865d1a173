"""What the converters share: finding images by stem, placing files, writing the layout."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Callable, Iterable

from did_ocr.capture.load import IMAGE_EXTENSIONS, RAW_EXTENSIONS
from did_ocr.errors import DidOcrError

SUPPORTED = IMAGE_EXTENSIONS | RAW_EXTENSIONS


def images_by_stem(folder: Path, extensions: Iterable[str] = SUPPORTED) -> dict[str, Path]:
    """Stem -> path of the images directly in ``folder``; a missing folder is an error naming it."""
    if not folder.is_dir():
        raise DidOcrError(f"{folder}: folder not found; check the dataset path and its layout")
    exts = {e.lower() for e in extensions}
    return {p.stem: p for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in exts}


def place(src: Path, dst: Path, mode: str = "copy") -> None:
    """Put ``src`` at ``dst`` by copying, hard-linking (falls back to copy across devices) or symlinking."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() or dst.is_symlink():
        dst.unlink()
    if mode == "link":
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    if mode == "symlink":
        dst.symlink_to(src.resolve())
        return
    shutil.copy2(src, dst)


def prepare_out(out: Path) -> None:
    (out / "low").mkdir(parents=True, exist_ok=True)
    (out / "high").mkdir(parents=True, exist_ok=True)


def run_cli(parser: argparse.ArgumentParser, main: Callable[[argparse.Namespace], str]) -> None:
    """Parse arguments, run, print the summary line; user errors become one line and exit code 2."""
    args = parser.parse_args()
    try:
        print(main(args))
    except DidOcrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


def new_parser(module: str, doc: str | None, positionals: tuple[tuple[str, str], ...] = (
        ("src", "the source dataset folder"), ("out", "output dataset folder"))) -> argparse.ArgumentParser:
    """The argument parser of a converter: its docstring as help, SRC and OUT positionals."""
    parser = argparse.ArgumentParser(prog=f"python -m data_prep.{module}", description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, help_text in positionals:
        parser.add_argument(name, help=help_text)
    return parser


def add_mode_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=["copy", "link", "symlink"], default="copy",
                        help="How image files are placed into the output (default: copy).")


def write_pairs(out: Path, pairs: Iterable[tuple[str, Path, Path | None, dict[str, str]]], mode: str = "copy",
                columns: tuple[str, ...] = ("name", "text")) -> list[dict[str, str]]:
    """Place (name, low, high, extra labels) into out/low and out/high and write labels.csv."""
    from did_ocr.data.dataset import write_labels

    prepare_out(out)
    rows = []
    for name, low, high, extra in pairs:
        place(low, out / "low" / f"{name}{low.suffix.lower()}", mode)
        if high is not None:
            place(high, out / "high" / f"{name}{high.suffix.lower()}", mode)
        rows.append({"name": name, "text": extra.get("text", ""), **{k: v for k, v in extra.items() if k != "text"}})
    write_labels(out / "labels.csv", rows, columns=columns)
    return rows


def partner(stem: str, partners: dict[str, Path], low: Path, where: Path) -> Path:
    """The well-lit partner of ``low`` or a one-line error naming both places."""
    if stem not in partners:
        raise DidOcrError(f"{low}: no partner with the same name in {where}")
    return partners[stem]
