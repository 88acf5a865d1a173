"""``did-ocr serve``: the local web page (and ``POST /read``) on this machine.

Binds to loopback by default: the page is for the person at this computer;
``--host 0.0.0.0`` shares it on the network, knowingly. The model and the
OCR reader are loaded once, before the server accepts a request.
"""

from __future__ import annotations

from typing import Any

import click

from did_ocr.cli.common import detect_side_option, enhancer_options, ocr_option, say, settings_from
from did_ocr.web.config import DEFAULT_MAX_BYTES, DEFAULT_QUEUE

MB = 1024 * 1024


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@enhancer_options
@ocr_option
@detect_side_option
@click.option("--max-upload-mb", type=click.FloatRange(min=0.01), default=DEFAULT_MAX_BYTES / MB, show_default=True,
              help="Largest upload accepted; larger ones get 413.")
@click.option("--queue", type=click.IntRange(min=0), default=DEFAULT_QUEUE, show_default=True,
              help="Requests that may wait while one is read; more get 503 (busy).")
def serve(host: str, port: int, max_upload_mb: float, queue: int, **options: Any) -> None:
    """Serve a web page that reads dark photos: GET / (the page), POST /read (JSON), GET /health.

    Photos are read one at a time, in arrival order (--queue waiting at most).
    The enhancer options (--model, --quality, --max-side) go to the enhancers
    that take them, whichever a request picks.
    """
    from did_ocr.errors import DidOcrError

    try:
        import uvicorn

        from did_ocr.web.app import ReadService, create_app
    except ImportError as exc:
        raise DidOcrError(f"did-ocr serve needs FastAPI, uvicorn and python-multipart ({exc.name} is missing); "
                          "install them with `pip install 'did-ocr[web]'`") from None
    from did_ocr.web.config import ServeConfig

    if options.get("linear"):
        raise DidOcrError("--linear does not apply to serve: uploads are decoded as sRGB (RAW files as linear)")
    settings = settings_from(options)
    config = ServeConfig(settings, max_bytes=int(max_upload_mb * MB), queue=queue)
    say(f"did-ocr serve: loading {settings.enhancer} and {settings.ocr}...", err=True)
    service = ReadService(config)
    say(f"did-ocr serve: http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning", access_log=False)
