"""``did-ocr train``: train the DiD denoiser (resumable; torchrun for several processes).

The options are made from :class:`did_ocr.training.config.TrainConfig`: the
table :data:`OPTIONS` says, per field, how the command line shows it (help,
type and range, a different option name); the default is always the
field's own, so it is declared once. A table row whose field does not exist
fails when this module is imported, not in the middle of a run. Neither
module imports torch, so ``did-ocr train --help`` answers without it.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

import click

from did_ocr.device import DEVICE_CHOICES
from did_ocr.errors import DidOcrError
from did_ocr.model.config import PRESETS
from did_ocr.ocr.registry import engine_list
from did_ocr.training.config import TrainConfig


class EngineList(click.ParamType):
    """One or more OCR engines, comma-separated, each once (``rapidocr,easyocr``), checked before training starts."""

    name = "engine list"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return ",".join(engine_list(str(value), "engines"))
        except DidOcrError as exc:
            self.fail(str(exc), param, ctx)


@dataclass(frozen=True)
class Opt:
    """How one :class:`TrainConfig` field appears on the command line (its default is the field's)."""

    help: str | None = None
    type: Any = None  # a click type (with its range or choices); None: click infers it from the default
    name: str | None = None  # the option when it is not --FIELD-NAME
    invert: bool = False  # a flag that sets a field whose default is True to False (--no-tail-norm)
    metavar: str | None = None
    multiple: bool = False


#: the TrainConfig fields the command line sets, in the order ``--help`` lists them
OPTIONS: dict[str, Opt] = {
    "data": Opt(
        "A training source, repeatable, with an optional mixing weight W: 'synthetic' (the built-in "
        "generator), a dataset folder with low/ and high/ (real pairs, used as they are), or a folder of "
        "well-lit images or a dataset with only high/ (darkened on the fly by the capture simulation). "
        "KIND 'pairs:' or 'darken:' forces the choice. Example: --data synthetic@0.3 --data darken:crops@0.7",
        metavar="[KIND:]PATH[@W]", multiple=True),
    "init": Opt("Start from this model file's weights (fresh optimizer; its size wins over --size), "
                "e.g. did_ocr/weights/did_s.safetensors.", click.Path(dir_okay=False, exists=True)),
    "onestep_fraction": Opt("Share of each batch trained at sigma_max, the one-step endpoint of the default sampler.",
                            click.FloatRange(0, 1)),
    "out": Opt("Run folder for checkpoints and logs.", click.Path(file_okay=False)),
    "steps": Opt("Total optimizer steps.", click.IntRange(min=1)),
    "batch": Opt("Windows per step (per process).", click.IntRange(min=1)),
    "size": Opt("Model size: S fits a CPU (2.5M parameters), XS is a quarter of its width, M and L are for GPUs.",
                click.Choice(list(PRESETS))),
    "cpu_budget": Opt("Stop once the training steps have used this many CPU seconds (0: no limit); for equal-budget "
                      "ablations.", click.FloatRange(min=0)),
    "lr": Opt("Adam learning rate (after warm-up).", float),
    "recognition_weight": Opt("Weight of a text-recognition loss: the OCR engine's recognizer reads DiD's "
                              "reconstruction of dark word crops (CTC against their words); 0 turns it off.",
                              click.FloatRange(min=0)),
    "recognition_engine": Opt("Whose recognizer scores the crops: PP-OCR's (rapidocr, converted to torch), EasyOCR's "
                              "english_g2 (easyocr), or both (rapidocr,easyocr: the mean of their losses).",
                              EngineList(), metavar="ENGINE[,ENGINE]"),
    "recognition_data": Opt("Word crops for --recognition-weight: a folder with high/ and labels.csv (e.g. IIIT 5K "
                            "train).", click.Path(file_okay=False, exists=True)),
    "recognition_every": Opt("Apply the recognition loss on every N-th step (each runs whole cascades).",
                             click.IntRange(min=1)),
    "recognition_crops": Opt("Word crops per recognition step.", click.IntRange(min=1)),
    "teacher": Opt("Distil: regress on this trained model's denoised output instead of the clean windows (e.g. "
                   "--size XS --teacher did_ocr/weights/did_s.safetensors); the run takes the teacher's normalization.",
                   click.Path(dir_okay=False, exists=True)),
    "teacher_weight": Opt("Share of the regression target that is the teacher's output (the rest: the clean windows).",
                          click.FloatRange(0, 1)),
    "perceptual": Opt("Perceptual loss: CRAFT text-detector VGG features (offline), real LPIPS (needs AlexNet "
                      "weights), or none.", click.Choice(["craft", "lpips", "none"])),
    "perceptual_weight": Opt(type=float),
    "perceptual_weights": Opt("Path to the backbone weights for --perceptual (AlexNet .pth for lpips).",
                              click.Path(dir_okay=False)),
    "detail_bias": Opt("Share of upper-scale training windows centred on text and edges (0: uniform, as published).",
                       click.FloatRange(0, 1)),
    "tail_norm": Opt("Ablation: plain [-1, 1] scaling instead of tail normalization.", name="--no-tail-norm",
                     invert=True),
    "seed": Opt(type=int),
    "checkpoint_every": Opt(type=click.IntRange(min=1)),
    "preview_every": Opt("Write preview.png every N steps (0: never).", click.IntRange(min=0)),
    "keep_every": Opt("Also keep OUT/snapshots/model_stepN.safetensors every N steps (0: never).",
                      click.IntRange(min=0)),
    "norm_fit_pairs": Opt("Pairs drawn to fit the tail-normalization statistics.", click.IntRange(min=1),
                          name="--norm-pairs"),
    "device": Opt(type=click.Choice(DEVICE_CHOICES)),
    "threads": Opt("CPU threads for torch.", click.IntRange(min=1)),
}

#: options of the command that are not part of the run's configuration, and the option they follow in --help
RESUME = click.Option(["--resume"], is_flag=True, help="Continue the run in --out exactly where it stopped.")
RESUME_AFTER = "tail_norm"


def _field_options() -> list[click.Option]:
    """A click option per :data:`OPTIONS` row, named after its field, with the field's default."""
    declared = {f.name: f for f in fields(TrainConfig)}
    unknown = sorted(set(OPTIONS) - set(declared))
    if unknown:
        raise TypeError(f"did-ocr train: options for fields TrainConfig does not have: {', '.join(unknown)}")
    options = []
    for name, opt in OPTIONS.items():
        f = declared[name]
        flag = opt.name or "--" + name.replace("_", "-")
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:  # no default: the option is required
            options.append(click.Option([flag, name], required=True, type=opt.type, help=opt.help))
            continue
        if opt.invert:
            if default is not True:
                raise TypeError(f"did-ocr train: {flag} turns off TrainConfig.{name}, whose default must be True")
            options.append(click.Option([flag, name], is_flag=True, flag_value=False, default=True, help=opt.help))
            continue
        if opt.multiple:
            default = tuple(default)
        options.append(click.Option([flag, name], default=default, type=opt.type, help=opt.help, metavar=opt.metavar,
                                    multiple=opt.multiple, show_default=default is not None))
    return options


def _params() -> list[click.Parameter]:
    options: list[click.Parameter] = list(_field_options())
    options.insert(list(OPTIONS).index(RESUME_AFTER) + 1, RESUME)
    return options


def train_config(options: dict[str, Any]) -> TrainConfig:
    """The run configuration for the values of the field options (keyed by field name)."""
    values = dict(options)
    for name, opt in OPTIONS.items():
        if opt.multiple:
            values[name] = list(values[name])
    return TrainConfig(**values)


@click.command(params=_params())
def train(resume: bool, **options: Any) -> None:
    """Train the DiD denoiser on synthetic data (default), real pairs, darkened real photos, or a mix.

    Writes OUT/checkpoint.safetensors (full state, for --resume), OUT/model.safetensors
    (EMA weights for inference: use with `did-ocr read --model`), at the end OUT/model.onnx (the
    same network for ONNX Runtime: `read` runs it on a CPU without torch), OUT/log.jsonl and
    OUT/preview.png. Several processes: `torchrun --nproc_per_node N -m did_ocr train ...`.
    """
    from did_ocr.training.pairs import parse_source
    from did_ocr.training.trainer import train as run_training

    for spec in options["data"]:
        parse_source(spec)  # one clear line for a bad --data before anything is loaded
    trainer = run_training(train_config(options), resume=resume)
    if trainer.dist.main:
        click.echo(f"step {trainer.step}: {trainer.out / 'model.safetensors'}")
        _export_for_read(trainer.out / "model.safetensors")
    skipped = getattr(trainer.source, "skipped", [])
    if skipped:
        click.echo(f"{len(skipped)} training pair(s) were skipped (see the error lines above)", err=True)
        raise SystemExit(2)


def _export_for_read(model: Path) -> None:
    """Write MODEL.onnx beside the trained model, so that ``read --model`` runs it without torch (skipped, with a
    line, where the ``onnx`` package is missing: torch then runs the model, with the same result)."""
    from did_ocr.model.onnx_model import export_onnx

    if not model.is_file():
        return
    try:
        click.echo(f"{export_onnx(model)}: the same network for ONNX Runtime (what read runs on a CPU)")
    except DidOcrError as exc:  # no onnx package: read runs the model with torch
        click.echo(f"{model} has no ONNX export, read runs it with torch: {exc}", err=True)
