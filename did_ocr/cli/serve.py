"""``did-ocr serve``: the local web page (and ``POST /read``) on this machine.

Binds to loopback by default: the page is for the person at this computer;
``--host 0.0.0.0`` shares it on the network, knowingly. The model and the
OCR reader are loaded once, before the server accepts a request.
"""

from __future__ import annotations

import click

from did_ocr.cli.common import detect_side_option, enhancer_options, ocr_option, resolve_enhancer, say


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback: this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@enhancer_options
@ocr_option
@detect_side_option
@click.option("--max-upload-mb", type=click.FloatRange(min=0.01), default=40.0, show_default=True,
              help="Largest upload accepted; larger ones get 413.")
@click.option("--queue", type=click.IntRange(min=0), default=8, show_default=True,
              help="Requests that may wait while one is read; more get 503 (busy).")
def serve(host: str, port: int, enhancer: str, device: str, seed: int, linear: bool, model: str | None,
          quality: str | None, max_side: int | None, ocr: str, detect_side: int, max_upload_mb: float, queue: int) -> None:
    """Serve a web page that reads dark photos: GET / (the page), POST /read (JSON), GET /health.

    Photos are read one at a time, in arrival order (--queue waiting at most).
    """
    from did_ocr.errors import DidOcrError

    try:
        import uvicorn

        from did_ocr.web.app import ReadService, ServeConfig, create_app
    except ImportError as exc:
        raise DidOcrError(f"did-ocr serve needs FastAPI, uvicorn and python-multipart ({exc.name} is missing); "
                          "install them with `pip install 'did-ocr[web]'`") from None

    if linear:
        raise DidOcrError("--linear does not apply to serve: uploads are decoded as sRGB (RAW files as linear)")
    enhancer, options = resolve_enhancer(enhancer, model, quality, max_side)
    config = ServeConfig(enhancer=enhancer, device=device, options=options, max_bytes=int(max_upload_mb * 1024 * 1024),
                         queue=queue, seed=seed, detect_side=detect_side, ocr=ocr)
    say(f"did-ocr serve: loading {enhancer} and {ocr}...", err=True)
    service = ReadService(config)
    say(f"did-ocr serve: http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    uvicorn.run(create_app(service), host=host, port=port, log_level="warning", access_log=False)
