"""SID Sony (Chen et al. 2018, "Learning to See in the Dark") -> standard layout.

SID photographs static scenes with a short exposure (``Sony/short/
SSSSS_NN_0.1s.ARW``: scene, shot, seconds) and one long exposure of the same
scene (``Sony/long/SSSSS_00_10s.ARW``) as the reference. Pairs come from
SID's list files when given (``--list Sony_test_list.txt``, lines
``./Sony/short/A.ARW ./Sony/long/B.ARW ISO200 F8``; files are looked up by
name in short/ and long/), otherwise every short exposure is paired with the
long exposure of its scene (shot 00 when a scene has several, as SID's code
does). SRC is the folder holding ``Sony/`` (or ``Sony/`` itself); the
``Fuji/`` half of SID (RAF files) works the same way.

Each pair is named after its short exposure. Its exposure ratio is long /
short seconds from the names, capped at 300 as in SID (0.033 s vs 10 s is
"x300"), and its ``level`` is the did-ocr light level whose exposure range
(see the synthetic data) holds 1/ratio, so a level means the same darkness
in every dataset:

    ratio   1/ratio        level
    3-8     1/3 - 1/8      dusk
    8-20    1/8 - 1/20     dim
    20-60   1/20 - 1/60    dark
    60-150  1/60 - 1/150   night      (SID x100)
    150+    1/150 and less extreme    (SID x250 and x300)

SID's own x100/x250/x300 grouping stays available in the ``exposure_ratio``
column.

By default both RAWs are decoded linearly with rawpy, with the file's black
and white levels, the camera white balance, no auto-brightening, gamma
(1, 1), 16 bits, sRGB primaries (the same decoding as ``did_ocr.capture``),
optionally at half size (``--half-size``: 2x2 binning, no demosaicing, 4x
fewer pixels and much faster), and written as 16-bit LINEAR PNGs; dataset.json
says ``"low_encoding": "linear"``. A long exposure is decoded once per scene
and hard-linked for its other pairs. ``--copy-raw`` copies (``--mode link``:
hard-links) the RAW files instead, which did-ocr reads directly.
``--annotations`` merges SID-Sony-Text word boxes (see ``data_prep.icdar``),
matched by scene.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_prep.common import (Converted, Pair, add_mode_argument, add_output_arguments, images_by_stem,
                              new_parser, place, run_cli, start_output, write_pair_labels,
                              write_pairs)
from data_prep.icdar import merge_annotations_into
from did_ocr.capture.load import RAW_EXTENSIONS
from did_ocr.data.dataset import write_dataset_meta
from did_ocr.errors import DatasetError, InputError

MAX_RATIO = 300.0
COLUMNS = ("name", "text", "exposure_ratio", "level")
_NAME = re.compile(r"^(?P<scene>\d+)_(?P<shot>\d+)_(?P<seconds>\d+(?:\.\d+)?)s$")


@dataclass(frozen=True)
class Exposure:
    """One SID RAW file and what its name says: scene id, shot index, exposure time."""

    path: Path
    scene: str
    shot: str
    seconds: float


def parse_exposure(path: Path) -> Exposure:
    """Scene, shot and seconds from a SID file name; another name is an error naming the file."""
    m = _NAME.match(path.stem)
    if not m or float(m.group("seconds")) <= 0:
        raise DatasetError(f"{path}: name does not follow SID's SCENE_SHOT_SECONDSs pattern "
                           "(for example 00001_00_0.1s.ARW)")
    return Exposure(path, m.group("scene"), m.group("shot"), float(m.group("seconds")))


def exposure_ratio(short: Exposure, long: Exposure) -> float:
    """long / short exposure time, capped at 300 as in SID; a 'long' that is not longer is an error."""
    if long.seconds <= short.seconds:
        raise DatasetError(f"{short.path}: its reference {long.path.name} is not a longer exposure")
    return min(MAX_RATIO, long.seconds / short.seconds)


def level_for_ratio(ratio: float) -> str:
    """The did-ocr light level whose exposure range holds 1/ratio (darker than all: extreme; brighter: dusk)."""
    from did_ocr.data.levels import LEVELS

    exposure = 1.0 / ratio
    for level in LEVELS.values():  # brightest first; a boundary value goes to the brighter level
        if level.exposure[0] <= exposure <= level.exposure[1]:
            return level.name
    darkest = min(LEVELS.values(), key=lambda lv: lv.exposure[0])
    brightest = max(LEVELS.values(), key=lambda lv: lv.exposure[1])
    return darkest.name if exposure < darkest.exposure[0] else brightest.name


# --------------------------------------------------------------------------- pairing


def sid_root(src: Path) -> Path:
    """The folder holding short/ and long/: SRC/Sony, SRC/Fuji or SRC itself."""
    for root in (src / "Sony", src / "Fuji", src):
        if (root / "short").is_dir() and (root / "long").is_dir():
            return root
    raise DatasetError(f"{src}: expected Sony/short/ and Sony/long/ folders of RAW files (or short/ and long/)")


def _raws(folder: Path) -> dict[str, Path]:
    """File name -> path of the RAW files of a folder."""
    return {p.name: p for p in images_by_stem(folder, RAW_EXTENSIONS).values()}


def pairs_from_lists(root: Path, lists: list[Path]) -> list[tuple[Exposure, Exposure]]:
    """(short, long) from SID list files; each file is looked up by name in short/ and long/."""
    shorts, longs = _raws(root / "short"), _raws(root / "long")
    pairs: dict[str, tuple[Exposure, Exposure]] = {}
    for lst in lists:
        if not lst.is_file():
            raise DatasetError(f"{lst}: list file not found")
        for number, line in enumerate(lst.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 2:
                raise DatasetError(f"{lst}: line {number} names one file; expected 'SHORT LONG [ISO F]'")
            short = _listed(lst, number, fields[0], shorts, root / "short")
            long = _listed(lst, number, fields[1], longs, root / "long")
            previous = pairs.setdefault(short.path.name, (short, long))
            if previous[1].path != long.path:
                raise DatasetError(f"{lst}: line {number} pairs {short.path.name} with {long.path.name}, "
                                   f"an earlier line with {previous[1].path.name}")
    return list(pairs.values())


def _listed(lst: Path, number: int, entry: str, files: dict[str, Path], folder: Path) -> Exposure:
    name = Path(entry.replace("\\", "/")).name
    if name not in files:
        raise DatasetError(f"{lst}: line {number} names {name}, which is not in {folder}")
    return parse_exposure(files[name])


def pairs_by_scene(root: Path) -> list[tuple[Exposure, Exposure]]:
    """Every short exposure with the long exposure of its scene (shot 00 first, as SID's code picks)."""
    longs: dict[str, Exposure] = {}
    for exp in sorted((parse_exposure(p) for p in _raws(root / "long").values()), key=lambda e: (e.shot, e.path.name)):
        longs.setdefault(exp.scene, exp)
    pairs = []
    for path in _raws(root / "short").values():
        short = parse_exposure(path)
        if short.scene not in longs:
            raise DatasetError(f"{path}: no long exposure of scene {short.scene} in {root / 'long'}")
        pairs.append((short, longs[short.scene]))
    return pairs


def find_pairs(src: Path, lists: list[Path] | None = None) -> list[Pair]:
    """The SID pairs as converter pairs (RAW files), with exposure_ratio and level columns."""
    root = sid_root(src)
    found = pairs_from_lists(root, lists) if lists else pairs_by_scene(root)
    pairs = []
    for short, long in sorted(found, key=lambda p: p[0].path.name):
        ratio = exposure_ratio(short, long)
        pairs.append(Pair(name=short.path.stem, low=short.path, high=long.path,
                          labels={"exposure_ratio": f"{ratio:g}", "level": level_for_ratio(ratio)}))
    return pairs


# --------------------------------------------------------------------------- decoding


def decode_raw(path: Path, half_size: bool = False) -> np.ndarray:
    """A RAW file as linear float32 RGB in [0, 1] with did_ocr.capture's settings; errors name the file."""
    try:
        import rawpy
    except ImportError:
        raise InputError(f"{path}: decoding RAW files needs rawpy (`pip install rawpy`); or pass --copy-raw") from None
    try:
        with rawpy.imread(str(path)) as raw:
            rgb16 = raw.postprocess(gamma=(1, 1), no_auto_bright=True, output_bps=16, use_camera_wb=True,
                                    output_color=rawpy.ColorSpace.sRGB, bright=1.0, half_size=half_size)
    except Exception as exc:  # rawpy raises LibRaw* errors of several kinds
        raise InputError(f"{path}: not a RAW file rawpy/LibRaw can decode ({type(exc).__name__}); "
                         "check the file, or pass --copy-raw to copy it as is") from None
    return rgb16.astype(np.float32) / np.float32(65535.0)


def write_decoded(out: Path, pairs: list[Pair], half_size: bool) -> None:
    """Decode every pair into OUT/low/NAME.png and OUT/high/NAME.png (16-bit linear).

    A long exposure serves several short ones: it is decoded once and its PNG
    hard-linked (or copied) for the other names.
    """
    from tqdm import tqdm

    from did_ocr.capture.save import save_linear_png16

    written: dict[Path, Path] = {}
    for pair in tqdm(pairs, desc="decoding SID", unit="pair", leave=False):
        low, high = out / "low" / f"{pair.name}.png", out / "high" / f"{pair.name}.png"
        save_linear_png16(low, decode_raw(pair.low, half_size))
        assert pair.high is not None  # SID pairs always have a reference
        if pair.high in written:
            place(written[pair.high], high, "link")
        else:
            save_linear_png16(high, decode_raw(pair.high, half_size))
            written[pair.high] = high


# --------------------------------------------------------------------------- conversion


def convert_sid(src: str | Path, out: str | Path, lists: list[str | Path] | None = None, copy_raw: bool = False,
                half_size: bool = False, annotations: str | Path | None = None, limit: int | None = None,
                mode: str = "copy", overwrite: bool = False) -> Converted:
    """Convert SID Sony (or Fuji) into the standard layout at ``out``; see the module docstring."""
    src, out = Path(src), Path(out)
    pairs = find_pairs(src, [Path(p) for p in lists] if lists else None)[: limit or None]
    if not pairs:
        raise DatasetError(f"{src}: no SID pairs found")
    start_output(out, src, overwrite)
    if copy_raw:
        write_pairs(out, pairs, mode, columns=COLUMNS)
    else:
        write_decoded(out, pairs, half_size)
        write_pair_labels(out, pairs, COLUMNS)
    write_dataset_meta(out, source=f"SID {sid_root(src).name} (Chen et al. 2018)", low_encoding="linear",
                       high_encoding="linear", raw_copied=copy_raw, half_size=bool(half_size and not copy_raw),
                       max_exposure_ratio=MAX_RATIO)
    return Converted("SID", out, len(pairs), (merge_annotations_into(out, annotations, pairs, by_scene=True),))


def main(args: argparse.Namespace) -> str:
    return convert_sid(args.src, args.out, args.list, args.copy_raw, args.half_size, args.annotations, args.limit,
                       args.mode, args.overwrite).summary()


def build_parser() -> argparse.ArgumentParser:
    parser = new_parser("sid_sony", __doc__, (("src", "SID root (holding Sony/short and Sony/long)"),
                                              ("out", "output dataset folder")))
    parser.add_argument("--list", action="append", metavar="FILE",
                        help="SID list file(s) with explicit pairs, e.g. Sony_test_list.txt (repeatable)")
    parser.add_argument("--copy-raw", action="store_true", help="copy the RAW files instead of decoding them")
    parser.add_argument("--half-size", action="store_true", help="decode at half resolution (faster, 4x smaller)")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="convert at most N pairs")
    add_mode_argument(parser)
    add_output_arguments(parser)
    return parser


if __name__ == "__main__":
    run_cli(build_parser(), main)
