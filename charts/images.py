"""Figures to files: `.html` (plotly.js inlined, opens with no network; or written once beside
the page, `plotlyjs="directory"`), `.png` and `.svg`.

Static images are drawn by kaleido in a headless Chromium (Debian's `chromium` package, or
any Chrome kaleido finds; `BROWSER_PATH` names another). One browser serves every image a
process writes: kaleido's sync server is started on the first image and closed at exit.
Kaleido runs Chromium with `--no-sandbox` (so it works as root, in containers and CI),
`--headless` and `--disable-gpu`; here also with extensions off, MathJax off (kaleido would
fetch it from a CDN) and a proxy to nowhere, so that drawing a figure never uses the network:
plotly.js comes from the plotly package's own copy.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from timeline.errors import InvalidInput, TimelineError

if TYPE_CHECKING:
    import plotly.graph_objects as go

FORMATS = (".html", ".png", ".svg")
PLOTLYJS = ("inline", "directory")  # plotly.js inside each page, or once beside the pages
PLOTLY_FILE = "plotly.min.js"
NOWHERE = "127.0.0.1:9"  # the browser's proxy: a figure is drawn from local files or not at all
WIDTH, HEIGHT = 1200, 600
TIMEOUT = 120  # seconds for one image, the browser's start included
CONFIG = {"displaylogo": False, "responsive": True}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL = (
    "PNG and SVG need kaleido and Chromium: pip install -e '.[images]', and "
    "apt-get install chromium (Debian), or kaleido_get_chrome; BROWSER_PATH names another "
    "Chrome"
)


class ImagesUnavailable(TimelineError):
    """kaleido or a Chromium-based browser is missing."""


def write(
    figure: go.Figure, path: str | Path, *, width: int | None = None, height: int | None = None,
    plotlyjs: str = "inline",
) -> Path:  # fmt: skip
    """Write a figure to PATH, its format named by the suffix; WIDTH x HEIGHT in pixels.
    An HTML page holds plotly.js (`inline`), or loads it from beside it (`directory`)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise TimelineError(f"{path}: write .html, .png or .svg, not '{path.suffix}'")
    if not path.parent.is_dir():
        raise TimelineError(f"cannot write {path}: no directory {path.parent}")
    if suffix == ".html":
        if width or height:
            figure = sized(figure, width, height)
        inline = plotly_script(path, plotlyjs) is None
        data = figure.to_html(
            include_plotlyjs=True if inline else PLOTLY_FILE, full_html=True, config=CONFIG
        ).encode()
    else:
        figure = sized(figure, width, height)
        data = draw(figure, suffix[1:])
    try:
        path.write_bytes(data)
    except OSError as error:
        raise TimelineError(f"cannot write {path}: {error.strerror}") from None
    return path


def plotly_script(page: Path, how: str) -> str | None:
    """Where the page at PAGE finds plotly.js: None, inside it (`inline`); or `directory`:
    plotly.min.js beside it, written there if it is not there already (or is another
    version), so a folder of pages holds one copy. Its address, relative to the page."""
    if how not in PLOTLYJS:
        raise InvalidInput("plotlyjs", f"'{how}': one of {', '.join(PLOTLYJS)}")
    if how == "inline":
        return None
    from plotly.offline import get_plotlyjs

    script = get_plotlyjs().encode()
    beside = page.parent / PLOTLY_FILE
    try:
        if not beside.is_file() or beside.stat().st_size != len(script) or (
            beside.read_bytes() != script
        ):  # fmt: skip
            partial = beside.with_name(f".{PLOTLY_FILE}.partial")
            partial.write_bytes(script)
            partial.replace(beside)
    except OSError as error:
        raise TimelineError(f"cannot write {beside}: {error.strerror}") from None
    return PLOTLY_FILE


def draw(figure: go.Figure, form: str) -> bytes:
    """The figure as PNG or SVG bytes, from this process's one browser.

    kaleido's sync server waits forever on a browser that died at start; so the call is made
    from a thread of its own, and given up on when the server is gone or after `TIMEOUT`.
    """
    start_browser()
    import kaleido

    answers: queue.Queue[tuple[bool, Any]] = queue.Queue()
    opts = {"format": form, "width": figure.layout.width, "height": figure.layout.height,
            "scale": 1}  # fmt: skip

    def call() -> None:
        try:
            answers.put((True, kaleido.calc_fig_sync(figure.to_dict(), opts=opts)))
        except BaseException as error:  # handed to the caller's thread
            answers.put((False, error))

    threading.Thread(target=call, daemon=True).start()
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            done, answer = answers.get(timeout=0.5)
            break
        except queue.Empty:
            server = _server_thread()
            if time.monotonic() > deadline or (server is not None and not server.is_alive()):
                stop_browser()
                why = f": {_FAILURES[-1].rstrip('.')}" if _FAILURES else ""
                raise ImagesUnavailable(
                    f"the browser {browser()} did not draw the figure{why}. Is it Chromium or "
                    "Chrome, and does it start? (chromium --headless --no-sandbox --version)"
                ) from None
    if not done:
        raise ImagesUnavailable(f"kaleido could not draw the figure: {answer}") from answer
    return bytes(answer)


def sized(figure: go.Figure, width: int | None, height: int | None) -> go.Figure:
    """A copy of the figure at this size (by default its own height, and 1200 wide)."""
    import plotly.graph_objects as go

    copy = go.Figure(figure)
    copy.update_layout(
        width=width or figure.layout.width or WIDTH,
        height=height or figure.layout.height or HEIGHT,
    )
    return copy


def browser() -> str | None:
    """The Chromium-based browser kaleido will use, if any."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"] if Path(os.environ["BROWSER_PATH"]).is_file() else None
    try:
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False)
    except ImportError:
        return next(filter(None, map(shutil.which, BROWSERS)), None)


def start_browser() -> None:
    """Start kaleido's one browser for this process, unless it is running."""
    try:
        import kaleido
    except ImportError:
        raise ImagesUnavailable(f"{INSTALL} (kaleido is not installed)") from None
    if browser() is None:  # checked first: the server's thread would die, and a call hang
        raise ImagesUnavailable(f"{INSTALL} (no Chromium or Chrome found)")
    if threading.excepthook is not _keep_server_failures:
        _previous_hook[:] = [threading.excepthook]
        threading.excepthook = _keep_server_failures
    kaleido.start_sync_server(
        mathjax=False, enable_extensions=False, proxy_server=NOWHERE, silence_warnings=True
    )


def stop_browser() -> None:
    """Close this process's browser (it is closed at exit anyway)."""
    import kaleido

    kaleido.stop_sync_server(silence_warnings=True)


_FAILURES: list[str] = []  # why the browser's thread died, for the message, not a traceback
_previous_hook: list[Any] = []


def _server_thread() -> threading.Thread | None:
    import kaleido

    return getattr(kaleido._global_server, "_thread", None)


def _keep_server_failures(args: Any) -> None:
    """The browser thread's death becomes part of our message; other threads' go on as usual."""
    if args.thread is not None and args.thread is _server_thread():
        error = args.exc_value
        _FAILURES.append(str(error.args[0]) if error is not None and error.args else repr(error))
        return
    (_previous_hook[0] if _previous_hook else threading.__excepthook__)(args)
