"""The ``did-ocr`` command group.

Subcommands are imported only when invoked, so ``did-ocr --version`` and
``did-ocr --help`` answer instantly without importing torch or EasyOCR.
User errors (:class:`did_ocr.errors.DidOcrError`) become one line on stderr and
exit code 2 instead of a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from did_ocr import __version__

# command name -> (module, attribute, one-line help shown by `did-ocr --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "read": ("did_ocr.cli.read", "read", "Read the text in dark photos."),
    "enhance": ("did_ocr.cli.enhance", "enhance", "Write enhanced (brightened, denoised) PNGs."),
    "synth": ("did_ocr.cli.synth", "synth", "Write a synthetic low-light text dataset."),
    "train": ("did_ocr.cli.train", "train", "Train the DiD denoiser."),
    "bench": ("did_ocr.cli.bench", "bench", "Benchmark enhancers by OCR word accuracy."),
    "serve": ("did_ocr.cli.serve", "serve", "Serve a local web page that reads dark photos."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr, _ = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from did_ocr.errors import DidOcrError

        try:
            return super().invoke(ctx)
        except DidOcrError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="did-ocr")
def cli() -> None:
    """did-ocr: read text from photos taken in the dark.

    A diffusion model ("Diffusion in the Dark") reconstructs a well-lit image
    from the noisy, dark capture; an offline OCR engine (RapidOCR or EasyOCR) then reads it.
    """


def main() -> None:  # pragma: no cover - console entry point alias
    cli()
