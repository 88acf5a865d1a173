"""Window seams on real photos: butted windows (the published cascade) against overlapping, cross-faded ones.

Photos shipped inside scikit-image (no outside data), darkened by the capture
simulation at ``dark``, reconstructed with the shipped model and the default
sampling at several window overlaps and with or without the scale-to-scale
consistency (``OVERLAP/CONSISTENCY`` variants; the default sampling is 8/4).
For each: the seam ratio (mean step across window edges / mean step
elsewhere; :func:`did_ocr.diffusion.windows.seam_ratio`; the clean photo's
own ratio is the target), the blotch ratio (texture a few windows wide where
the clean photo is flat, over the clean photo's own;
:func:`did_ocr.diffusion.windows.blotch_ratio`), PSNR against the clean
photo, windows sampled and seconds. Writes ``seams.csv`` and ``seams.png``
(zoomed crops: dark capture brightened, each variant, clean).

    .venv/bin/python benchmarks/seams.py --variants 0/0,4/0,8/0,8/4
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from did_ocr.fileio import atomic_write_csv

import numpy as np
import torch

RESULTS = Path(__file__).parent / "results"
PHOTOS = ("coffee", "astronaut", "chelsea")


def main() -> None:
    from skimage import data

    from did_ocr.capture.colorspace import linear_to_srgb
    from did_ocr.data.synth.simulate import sample_params, simulate_capture
    from did_ocr.diffusion.cascade import reconstruct
    from did_ocr.diffusion.windows import WINDOW, blotch_ratio, seam_ratio
    from did_ocr.enhancers.base import DEFAULT_QUALITY
    from did_ocr.enhancers import build_enhancer
    from did_ocr.enhancers.did import DEFAULT_MODEL, QUALITIES
    from did_ocr.capture.colorspace import to_uint8
    from did_ocr.imaging.grid import make_grid
    from did_ocr.model.checkpoint import load_model

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="0/0,8/0,8/4", help="OVERLAP/CONSISTENCY, comma-separated")
    parser.add_argument("--model", default=str(DEFAULT_MODEL))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--folder", help="also photos from this folder (e.g. ../shared/data/svt_train/high); "
                                         "only their means are written, no pixels")
    parser.add_argument("--limit", type=int, default=6, help="photos taken from --folder (by name)")
    parser.add_argument("--out", default=str(RESULTS / "seams.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    loaded = load_model(args.model)
    variants = [tuple(int(p) for p in v.split("/")) for v in args.variants.split(",")]
    rows, panels = [], []
    photos = [(name, getattr(data, name)(), True) for name in PHOTOS]
    if args.folder:
        from PIL import Image

        files = sorted(p for p in Path(args.folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        photos += [(Path(args.folder).parent.name, np.asarray(Image.open(f).convert("RGB")), False)
                   for f in files[:args.limit]]
    for photo, clean, shown in photos:
        rng = np.random.default_rng(0)
        dark = simulate_capture(clean, sample_params(rng, "dark", "srgb8"), rng)
        reference = torch.from_numpy(clean.astype(np.float32) / 255.0).permute(2, 0, 1)
        crop = (slice(0, 160), slice(0, 240))
        row_panels = [to_uint8(build_enhancer("gain").enhance(dark)[crop])]
        for overlap, consistency in variants:
            config = replace(QUALITIES[DEFAULT_QUALITY], overlap=overlap, consistency=consistency)
            t0 = time.perf_counter()
            out, stats = reconstruct(loaded.model, loaded.norm, torch.from_numpy(dark).permute(2, 0, 1), config, seed=0)
            seconds = time.perf_counter() - t0
            srgb = linear_to_srgb(out.clamp(0, 1))
            mse = float(((srgb - reference) ** 2).mean())
            rows.append({"photo": photo, "size": f"{clean.shape[1]}x{clean.shape[0]}", "overlap": overlap,
                         "consistency": consistency, "blotch_ratio": round(blotch_ratio(srgb, reference), 3),
                         "seam_ratio": round(seam_ratio(srgb, WINDOW, overlap), 4),
                         "seam_ratio_32_grid": round(seam_ratio(srgb, WINDOW, 0), 4),
                         "clean_seam_ratio": round(seam_ratio(reference, WINDOW, overlap), 4),
                         "psnr": round(-10 * np.log10(mse), 2), "windows": stats.windows,
                         "seconds": round(seconds, 2), "threads": args.threads})
            print(rows[-1], flush=True)
            row_panels.append(to_uint8(srgb.permute(1, 2, 0).numpy()[crop]))
        row_panels.append(clean[crop])
        if shown:
            panels.append(row_panels)
    atomic_write_csv(args.out, _folder_means(rows, {name for name, _, shown in photos if not shown}))
    titles = (["dark, gain"] + [f"did, overlap {o}, consistency {c}" + (" (published)" if o == 0 else "")
                                for o, c in variants] + ["clean"])
    from PIL import Image

    Image.fromarray(make_grid(panels, titles, cell=(320, 480))).save(Path(args.out).with_suffix(".png"))


def _folder_means(rows: list[dict], folders: set[str]) -> list[dict]:
    """Rows of named photos as they are; a folder's photos replaced by one mean row per variant."""
    kept = [r for r in rows if r["photo"] not in folders]
    for folder in sorted(folders):
        for variant in dict.fromkeys((r["overlap"], r["consistency"]) for r in rows if r["photo"] == folder):
            group = [r for r in rows if r["photo"] == folder and (r["overlap"], r["consistency"]) == variant]
            mean = {k: round(float(np.mean([r[k] for r in group])), 4) for k in group[0]
                    if k not in ("photo", "size", "overlap", "consistency", "threads", "windows")}
            kept.append({"photo": f"{folder} (mean of {len(group)})", "size": "various", "overlap": variant[0],
                         "consistency": variant[1], **mean, "windows": sum(r["windows"] for r in group),
                         "threads": group[0]["threads"]})
    return kept


if __name__ == "__main__":
    main()
