"""Headless Chromium with no network (a proxy to nowhere; loopback still reached), and a
static file server on the loopback, for the tests that render what the project writes."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from charts import images

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--hide-scrollbars"]  # fmt: skip


def chromium() -> str:
    """Chromium's path: in CI its absence fails the test, elsewhere it skips it."""
    found = images.browser() or shutil.which("chromium")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip("needs Chromium to render the page: apt-get install chromium")
    return found


def render(url: str, *, screenshot: Path | None = None, size: str = "1200,700") -> str:
    """The page's DOM once its scripts have run (10 s of virtual time); and a screenshot."""
    with tempfile.TemporaryDirectory() as profile:
        what = [f"--screenshot={screenshot}", f"--window-size={size}"] if screenshot else [
            "--dump-dom"
        ]  # fmt: skip
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
             *what, url],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """A static file server of DIRECTORY on a free loopback port: its base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
