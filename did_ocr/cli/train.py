"""``did-ocr train``: train the DiD denoiser (resumable; torchrun for several processes)."""

from __future__ import annotations

from typing import Any

import click

from did_ocr.device import DEVICE_CHOICES


@click.command()
@click.option("--data", "data", multiple=True, default=("synthetic",), show_default=True, metavar="[KIND:]PATH[@W]",
              help="A training source, repeatable, with an optional mixing weight W: 'synthetic' (the built-in "
                   "generator), a dataset folder with low/ and high/ (real pairs, used as they are), or a folder of "
                   "well-lit images or a dataset with only high/ (darkened on the fly by the capture simulation). "
                   "KIND 'pairs:' or 'darken:' forces the choice. Example: --data synthetic@0.3 --data darken:crops@0.7")
@click.option("--init", "init", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Start from this model file's weights (fresh optimizer; its size wins over --size), "
                   "e.g. did_ocr/weights/did_s.safetensors.")
@click.option("--onestep-fraction", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Share of each batch trained at sigma_max, the one-step endpoint of the default sampler.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Run folder for checkpoints and logs.")
@click.option("--steps", default=3000, show_default=True, type=click.IntRange(min=1), help="Total optimizer steps.")
@click.option("--batch", default=64, show_default=True, type=click.IntRange(min=1), help="Windows per step (per process).")
@click.option("--size", type=click.Choice(["XS", "S", "M", "L"]), default="S", show_default=True,
              help="Model size: S fits a CPU (2.5M parameters), XS is a quarter of its width, M and L are for GPUs.")
@click.option("--cpu-budget", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Stop once the training steps have used this many CPU seconds (0: no limit); for equal-budget ablations.")
@click.option("--lr", default=8e-4, show_default=True, type=float, help="Adam learning rate (after warm-up).")
@click.option("--recognition-weight", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Weight of a text-recognition loss: EasyOCR's recognizer reads DiD's reconstruction of dark word "
                   "crops (CTC against their words); 0 turns it off.")
@click.option("--recognition-data", type=click.Path(file_okay=False, exists=True), default=None,
              help="Word crops for --recognition-weight: a folder with high/ and labels.csv (e.g. IIIT 5K train).")
@click.option("--recognition-every", default=4, show_default=True, type=click.IntRange(min=1),
              help="Apply the recognition loss on every N-th step (each runs whole cascades).")
@click.option("--recognition-crops", default=4, show_default=True, type=click.IntRange(min=1),
              help="Word crops per recognition step.")
@click.option("--teacher", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Distil: regress on this trained model's denoised output instead of the clean windows (e.g. "
                   "--size XS --teacher did_ocr/weights/did_s.safetensors); the run takes the teacher's normalization.")
@click.option("--teacher-weight", default=1.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of the regression target that is the teacher's output (the rest: the clean windows).")
@click.option("--perceptual", type=click.Choice(["craft", "lpips", "none"]), default="craft", show_default=True,
              help="Perceptual loss: CRAFT text-detector VGG features (offline), real LPIPS (needs AlexNet weights), or none.")
@click.option("--perceptual-weight", default=0.5, show_default=True, type=float)
@click.option("--perceptual-weights", type=click.Path(dir_okay=False), default=None,
              help="Path to the backbone weights for --perceptual (AlexNet .pth for lpips).")
@click.option("--detail-bias", default=0.5, show_default=True, type=click.FloatRange(0, 1),
              help="Share of upper-scale training windows centred on text and edges (0: uniform, as published).")
@click.option("--no-tail-norm", is_flag=True, help="Ablation: plain [-1, 1] scaling instead of tail normalization.")
@click.option("--resume", is_flag=True, help="Continue the run in --out exactly where it stopped.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--checkpoint-every", default=250, show_default=True, type=click.IntRange(min=1))
@click.option("--preview-every", default=500, show_default=True, type=click.IntRange(min=0),
              help="Write preview.png every N steps (0: never).")
@click.option("--keep-every", default=0, show_default=True, type=click.IntRange(min=0),
              help="Also keep OUT/snapshots/model_stepN.safetensors every N steps (0: never).")
@click.option("--norm-pairs", default=256, show_default=True, type=click.IntRange(min=1),
              help="Pairs drawn to fit the tail-normalization statistics.")
@click.option("--device", type=click.Choice(DEVICE_CHOICES), default="auto", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=None, help="CPU threads for torch.")
def train(data: tuple[str, ...], no_tail_norm: bool, norm_pairs: int, resume: bool, **options: Any) -> None:
    """Train the DiD denoiser on synthetic data (default), real pairs, darkened real photos, or a mix.

    Writes OUT/checkpoint.safetensors (full state, for --resume), OUT/model.safetensors
    (EMA weights for inference: use with `did-ocr read --model`), OUT/log.jsonl and
    OUT/preview.png. Several processes: `torchrun --nproc_per_node N -m did_ocr train ...`.
    """
    from did_ocr.training.pairs import parse_source
    from did_ocr.training.trainer import TrainConfig, train as run_training

    for spec in data:
        parse_source(spec)  # one clear line for a bad --data before anything is loaded
    # every other option is a TrainConfig field of the same name
    cfg = TrainConfig(data=list(data), tail_norm=not no_tail_norm, norm_fit_pairs=norm_pairs, **options)
    trainer = run_training(cfg, resume=resume)
    if trainer.dist.main:
        click.echo(f"step {trainer.step}: {trainer.out / 'model.safetensors'}")
    skipped = getattr(trainer.source, "skipped", [])
    if skipped:
        click.echo(f"{len(skipped)} training pair(s) were skipped (see the error lines above)", err=True)
        raise SystemExit(2)
