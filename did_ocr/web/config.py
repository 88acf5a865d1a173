"""What ``did-ocr serve`` reads with and how much it accepts: declared once, for the command line and the app.

Kept apart from :mod:`did_ocr.web.app` so that ``did-ocr serve --help`` shows
these defaults without importing FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from did_ocr.reading.settings import ReadSettings

#: largest upload accepted by default (a 12-megapixel phone JPEG is 3-8 MB, a 16-bit TIFF of it ~70 MB)
DEFAULT_MAX_BYTES = 40 * 1024 * 1024
#: requests that may wait for the worker by default
DEFAULT_QUEUE = 8


@dataclass
class ServeConfig:
    """The server's reading settings (its default enhancer and engine; requests may pick others) and limits."""

    settings: ReadSettings = field(default_factory=ReadSettings)
    max_bytes: int = DEFAULT_MAX_BYTES
    queue: int = DEFAULT_QUEUE
