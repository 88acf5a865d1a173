"""Allow ``python -m did_ocr``."""

from did_ocr.cli.main import cli

cli()
