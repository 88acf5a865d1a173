"""A did-ocr web server on a free loopback port, in a thread of the test process, and a tiny HTTP client.

Shared by the web tests, the browser test and the web benchmarks: the real
app (FastAPI under uvicorn), not a test double.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def running_server(service) -> Iterator[str]:
    """Serve ``create_app(service)`` on 127.0.0.1 (a free port); yields the base URL."""
    import uvicorn

    from did_ocr.web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(service), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (server.started and server.servers) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the test web server did not start within 30 s")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def post_file(url: str, name: str, data: bytes, fields: dict[str, str] | None = None,
              timeout: float = 120) -> tuple[int, dict]:
    """POST a multipart form with ``file`` (and text ``fields``); returns (status, JSON answer)."""
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in (fields or {}).items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return _answer(request, timeout)


def get_json(url: str, timeout: float = 30) -> tuple[int, dict]:
    return _answer(urllib.request.Request(url), timeout)


def _answer(request: urllib.request.Request, timeout: float) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
