"""``did-ocr serve``: a local web page and a JSON endpoint on the read pipeline.

Why FastAPI: it is what the Python ecosystem reaches for to put a model
behind HTTP (an ASGI app served by uvicorn, multipart uploads through
python-multipart), runs fully offline, and a static page of plain HTML and
JavaScript needs no front-end toolchain.

* ``GET /``: the page (choose or drop a photo, pick an enhancer, see the
  dark input, the reconstruction with its boxes, and the words).
* ``POST /read``: multipart field ``file``, optional ``enhancer``, ``ocr``
  (the engine: rapidocr or easyocr) and ``annotate`` (1: add the annotated picture as a PNG data URL) -> the same
  JSON as ``did-ocr read --json`` for one file.
* ``GET /health``: ``{"ok": true, "queued": N, ...}``.

The CPU is small and a reading takes seconds, so requests are queued: one
worker thread runs the pipeline, at most ``queue`` requests wait, and
beyond that the answer is 503 with a reason instead of a pile of threads
running out of memory. Uploads above ``max_bytes`` get 413, files that are
no image 415, broken ones 400, each with a one-line ``error``.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse

from did_ocr.capture.load import TooManyPixelsError, UnsupportedImageError
from did_ocr.errors import PER_FILE_FAILURES, DidOcrError
from did_ocr.reading.pipeline import Pipeline
from did_ocr.web.config import ServeConfig

STATIC = Path(__file__).resolve().parent / "static"
#: oversized bodies up to this size are read (and dropped) so that the client gets its 413 answer
DISCARD_MAX = 512 * 1024 * 1024
#: longer side of each panel of the annotated picture sent to the page
PAGE_PANEL_SIDE = 1024


class Problem(Exception):
    """An answer other than 200: HTTP status and the one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _status(exc: DidOcrError) -> int:
    if isinstance(exc, TooManyPixelsError):
        return 413
    if isinstance(exc, UnsupportedImageError):
        return 415
    return 400


class ReadService:
    """The pipelines (one per enhancer and OCR engine, built on first use) behind one worker and a bounded queue."""

    def __init__(self, config: ServeConfig, build: Callable[..., Pipeline] = Pipeline.build) -> None:
        config.settings.check()  # the default enhancer takes every option the server was given
        self.config = config
        self._build = build
        self._pipelines: dict[tuple[str, str], Pipeline] = {}
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="did-ocr-read")
        self._lock = threading.Lock()
        self.pending = 0
        self.served = 0
        self.pipeline(config.settings.enhancer, config.settings.ocr)  # load the default model and OCR now, not on the first request

    @staticmethod
    def check_name(name: str, ocr: str) -> None:
        from did_ocr.enhancers import available_enhancers
        from did_ocr.ocr import ENGINES

        if name not in available_enhancers():
            raise Problem(400, f"unknown enhancer {name!r}; choose one of: {', '.join(available_enhancers())}")
        if ocr not in ENGINES:
            raise Problem(400, f"unknown OCR engine {ocr!r}; choose one of: {', '.join(ENGINES)}")

    def pipeline(self, name: str, ocr: str) -> Pipeline:
        self.check_name(name, ocr)
        with self._lock:
            if (name, ocr) not in self._pipelines:
                # the server's enhancer options go to the requested enhancer where it takes them
                self._pipelines[name, ocr] = self._build(self.config.settings.with_run(name, ocr))
            return self._pipelines[name, ocr]

    def _read(self, name: str, ocr: str, filename: str, data: bytes, annotate: bool) -> dict[str, Any]:
        pipeline = self.pipeline(name, ocr)
        try:
            reading = pipeline.read_file(filename, seed=self.config.settings.seed, data=data)
        except DidOcrError as exc:
            raise Problem(_status(exc), str(exc)) from None
        except PER_FILE_FAILURES as exc:  # a decoder or model giving up on this file
            raise Problem(400, f"{filename}: could not be processed ({type(exc).__name__}: {exc})") from None
        record = reading.record(filename, pipeline.name)
        if annotate:
            record["annotated_png"] = _png_data_url(reading)
        return record

    async def read(self, name: str, ocr: str, filename: str, data: bytes, annotate: bool) -> dict[str, Any]:
        """Queue one reading; 503 at once when the queue is full."""
        self.check_name(name, ocr)
        if self.pending >= self.config.queue + 1:  # + 1: the one being read
            raise Problem(503, f"busy: {self.pending} photos are being read or waiting; try again in a few seconds")
        self.pending += 1
        try:
            future = self._worker.submit(self._read, name, ocr, filename, data, annotate)
            record = await asyncio.wrap_future(future)
            self.served += 1
            return record
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


def _png_data_url(reading: Any) -> str:
    from PIL import Image

    from did_ocr.reading.annotate import annotate

    buf = io.BytesIO()
    Image.fromarray(annotate(reading.capture, reading.enhanced, reading.lines, PAGE_PANEL_SIDE)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def create_app(service: ReadService) -> FastAPI:
    """The FastAPI application around a :class:`ReadService`."""
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        yield
        service.close()

    app = FastAPI(title="did-ocr", version=_version(), docs_url=None, redoc_url=None, lifespan=lifespan)
    limit = service.config.max_bytes

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return JSONResponse({"error": exc.reason}, status_code=exc.status)

    @app.get("/")
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        from did_ocr.enhancers import available_enhancers
        from did_ocr.ocr import ENGINES

        return {"ok": True, "queued": service.pending, "served": service.served,
                "enhancer": service.config.settings.enhancer, "enhancers": available_enhancers(),
                "ocr": service.config.settings.ocr, "ocr_engines": list(ENGINES), "max_bytes": limit}

    @app.post("/read")
    async def read(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:  # + room for the form's own fields
            await _discard(request, int(declared))
            raise Problem(413, f"upload of {int(declared):,} bytes is over the limit of {limit:,}; send a smaller photo")
        try:
            form = await request.form(max_files=1, max_fields=8)
        except Exception as exc:  # malformed multipart bodies raise several kinds
            raise Problem(400, f"the request is not a multipart form with a file ({type(exc).__name__}); "
                               "send multipart/form-data with a 'file' field") from None
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Problem(400, "no 'file' field in the form; send the photo as multipart field 'file'")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise Problem(413, f"upload is over the limit of {limit:,} bytes; send a smaller photo")
        enhancer = str(form.get("enhancer") or service.config.settings.enhancer)
        ocr = str(form.get("ocr") or service.config.settings.ocr)
        annotate = str(form.get("annotate") or "") in ("1", "true", "yes")
        filename = Path(upload.filename or "upload").name or "upload"
        return JSONResponse(await service.read(enhancer, ocr, filename, data, annotate))

    return app


async def _discard(request: Request, declared: int) -> None:
    """Read an oversized body without keeping it, so that the client, still sending, gets the 413.

    (Answering before the body is read makes many clients see a reset
    connection instead of the answer.) Bodies over :data:`DISCARD_MAX` are
    not read: the connection is closed on them.
    """
    if declared > DISCARD_MAX:
        return
    async for _ in request.stream():
        pass


def _version() -> str:
    import did_ocr

    return did_ocr.__version__

