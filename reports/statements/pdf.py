"""The statement as a PDF: HTML template -> WeasyPrint -> (signature) -> file.

`render_document_pdf(document)` is the pure function: a statement document (see
reports.statements.document) in, PDF bytes out. It fetches nothing but our own
static files and data: URIs (`StaticOnlyFetcher`), so user text can neither
reach the network nor read the server's files.

Workers do not call WeasyPrint in their own process: WeasyPrint keeps memory after
large documents, so `render_to_file` runs it in a short-lived child process forked
from a warm render server (`python -m reports.statements.pdf --serve`), which writes the file
under a temporary name in the target directory and renames it into place, so a
reader never sees half a PDF.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)

# Relative URLs in the PDF template resolve against this made-up origin; the
# fetcher maps its /static/ path to files and refuses everything else.
INTERNAL_BASE_URL = "https://observa.internal/"
PDF_TEMPLATE = "reports/statements/statement_pdf.html"
_MIME_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class RenderError(Exception):
    """The PDF could not be made; the message says why (shown on the statement page)."""


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serve our static files and data: URIs; refuse (and log) every other URL."""

        def __init__(self):
            super().__init__(allowed_protocols={"data", "https"}, allow_redirects=False, timeout=1)
            self.fetched: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                self.fetched.append(url[:40])
                return super().fetch(url, headers)
            static_prefix = INTERNAL_BASE_URL.rstrip("/") + settings.STATIC_URL
            if url.startswith(static_prefix):
                relative = unquote(urlsplit(url).path)[len(settings.STATIC_URL) :]
                path = _static_file(relative)
                if path is not None:
                    self.fetched.append(url)
                    return URLFetcherResponse(
                        url, path.read_bytes(), {"Content-Type": _MIME_TYPES.get(path.suffix.lower(), "")}
                    )
            self.refused.append(url)
            logger.warning("statement PDF: refused to fetch %s", url[:200])
            raise ValueError(f"fetching {url[:100]} is not allowed in statement PDFs")

    return StaticOnlyFetcher


def static_only_fetcher():
    return _fetcher_class()()


def _static_file(relative: str) -> Path | None:
    """A file among our static files (STATICFILES_DIRS, app static dirs, STATIC_ROOT), or None."""
    if not relative or ".." in relative.split("/") or relative.startswith("/"):
        return None
    found = finders.find(relative)
    if found:
        return Path(found)
    root = Path(settings.STATIC_ROOT).resolve()
    candidate = (root / relative).resolve()
    if candidate.is_file() and root in candidate.parents:
        return candidate
    return None


def render_html(document: dict) -> str:
    return render_to_string(PDF_TEMPLATE, {"doc": document})


def render_document_pdf(document: dict, *, fetcher=None) -> bytes:
    """The statement document as PDF bytes (unsigned). Pure: same document, same pages."""
    from weasyprint import HTML

    with translation.override(document.get("language") or settings.LANGUAGE_CODE):
        html = render_html(document)
    fetcher = fetcher or static_only_fetcher()
    return HTML(string=html, base_url=INTERNAL_BASE_URL, url_fetcher=fetcher).write_pdf(
        pdf_variant=None, uncompressed_pdf=False
    )


def render_statement_pdf(version) -> bytes:
    """The version's PDF bytes, unsigned (tests and previews call this directly)."""
    from reports.statements.document import build_document

    return render_document_pdf(build_document(version, for_pdf=True))


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that the file is either absent or complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def produce(payload: dict) -> dict:
    """Render, sign when asked, write: the work of the child process (and of nothing else)."""
    started = time.perf_counter()
    pdf = render_document_pdf(payload["document"])
    rendered = time.perf_counter()
    if payload.get("sign"):
        from reports.statements.signing import sign_pdf

        pdf = sign_pdf(
            pdf,
            payload["sign"],
            reason=payload["sign_reason"],
            signer_name=payload["signer_name"],
            location=payload.get("sign_location", ""),
        )
    signed = time.perf_counter()
    delay = os.environ.get("OBSERVA_TEST_RENDER_DELAY")
    if delay:  # tests kill the worker here, between rendering and writing
        time.sleep(float(delay))
    out = Path(payload["out"])
    write_atomically(out, pdf)
    return {
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "size": len(pdf),
        "seconds": {
            "render": round(rendered - started, 3),
            "sign": round(signed - rendered, 3),
            "write": round(time.perf_counter() - signed, 3),
        },
    }


def render_to_file(payload: dict) -> dict:
    """Run `produce(payload)` in a fresh child process; returns {"sha256", "size", "max_rss_kb"}.

    The child is forked from this process's warm render server (see `_RenderServer`),
    so it starts in milliseconds with Django, WeasyPrint and pyHanko already
    imported, and all the memory WeasyPrint takes goes away when it exits.
    """
    global _server
    with _server_lock:  # one render at a time per process (threads share the server's pipes)
        if _server is None or not _server.usable():
            _server = _RenderServer()
        try:
            result = _server.run(payload, settings.STATEMENT_RENDER_TIMEOUT)
        except RenderError:
            _server.stop()
            _server = None
            raise
    if "error" in result:
        raise RenderError(result["error"])
    return result


def warm_up(*, wait: bool = False) -> None:
    """Start this process's render server now (workers call it when their pool process starts)."""
    global _server
    with _server_lock:
        if _server is None or not _server.usable():
            _server = _RenderServer()
        if wait:
            _server.run({"ping": True}, settings.STATEMENT_RENDER_TIMEOUT)


class _RenderServer:
    """`python -m reports.statements.pdf --serve`: imports everything once, then forks one child per render.

    The server itself never renders, so it stays small and single-threaded (safe to
    fork). It and its children die with the process that started them (PDEATHSIG),
    so a killed worker leaves no renderer behind to write a late file.
    """

    def __init__(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
        }
        self.owner = os.getpid()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reports.statements.pdf", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=str(settings.BASE_DIR),
            env=env,
        )

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def run(self, payload: dict, timeout: float) -> dict:
        try:
            self.process.stdin.write(json.dumps(payload).encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError as exc:
            raise RenderError("the renderer is not running") from exc
        deadline = time.monotonic() + timeout
        line = b""
        fd = self.process.stdout.fileno()
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RenderError(f"the renderer took longer than {int(timeout)} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RenderError(f"the renderer stopped (exit status {self.process.wait(timeout=10)})")
                line += chunk
        return json.loads(line)


_server: _RenderServer | None = None
_server_lock = threading.Lock()


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _serve() -> None:
    import resource

    import django

    _die_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    import pyhanko.sign.signers  # noqa: F401 - imported once here, not in every child
    from weasyprint import HTML

    from reports.statements.signing import sign_pdf, throwaway_material

    # Load our fonts, styles and pyHanko's lazy parts once (a few lines, nothing large):
    # every child forked below inherits them.
    sample = HTML(
        string='<link rel="stylesheet" href="/static/css/statement_pdf.css"><p>ə ğ Қазақстан <b>x</b> <i>y</i></p>',
        base_url=INTERNAL_BASE_URL,
        url_fetcher=static_only_fetcher(),
    ).write_pdf()
    sign_pdf(sample, throwaway_material(), reason="warm-up", signer_name="warm-up")

    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        if json.loads(line).get("ping"):
            os.write(1, b'{"pong": true}\n')
            continue
        pid = os.fork()
        if pid == 0:  # the child: render, answer, leave without running any cleanup of the server
            _die_with_parent()
            try:
                result = produce(json.loads(line))
                result["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            except Exception as exc:  # noqa: BLE001 - reported to the worker as the failure reason
                result = {"error": f"{type(exc).__name__}: {exc}"[:2000]}
            os.write(1, json.dumps(result).encode() + b"\n")
            os._exit(0)
        _pid, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            os.write(
                1,
                json.dumps({"error": f"the renderer was killed by signal {os.WTERMSIG(status)}"}).encode()
                + b"\n",
            )
        elif os.WEXITSTATUS(status) != 0:
            os.write(
                1,
                json.dumps({"error": f"the renderer exited with status {os.WEXITSTATUS(status)}"}).encode()
                + b"\n",
            )


if __name__ == "__main__":
    _serve()
