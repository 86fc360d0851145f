"""The statement as a PDF: HTML template -> WeasyPrint -> (signature) -> file.

`render_document_pdf(document)` is the pure function: a statement document (see
reports.statements.document) in, PDF bytes out. It fetches nothing but our own
static files and data: URIs (`StaticOnlyFetcher`), so user text can neither
reach the network nor read the server's files.

Workers do not call WeasyPrint in their own process: WeasyPrint keeps memory after
large documents, so `render_to_file` runs it in a short-lived child process
(`python -m reports.pdf`), which writes the file under a temporary name in the
target directory and renames it into place, so a reader never sees half a PDF.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
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
PDF_TEMPLATE = "reports/statement_pdf.html"
CHILD_TIMEOUT_SECONDS = int(os.environ.get("STATEMENT_RENDER_TIMEOUT", "300"))
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
    pdf = render_document_pdf(payload["document"])
    if payload.get("sign"):
        from reports.signing import sign_pdf

        pdf = sign_pdf(
            pdf,
            payload["sign"],
            reason=payload["sign_reason"],
            signer_name=payload["signer_name"],
            location=payload.get("sign_location", ""),
        )
    delay = os.environ.get("OBSERVA_TEST_RENDER_DELAY")
    if delay:  # tests kill the worker here, between rendering and writing
        time.sleep(float(delay))
    out = Path(payload["out"])
    write_atomically(out, pdf)
    return {"sha256": hashlib.sha256(pdf).hexdigest(), "size": len(pdf)}


def render_to_file(payload: dict) -> dict:
    """Run `produce(payload)` in a child process; returns {"sha256", "size", "max_rss_kb"}."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "reports.pdf"],
            input=json.dumps(payload).encode(),
            capture_output=True,
            timeout=CHILD_TIMEOUT_SECONDS,
            cwd=str(settings.BASE_DIR),
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"the renderer took longer than {CHILD_TIMEOUT_SECONDS} s") from exc
    if completed.returncode != 0:
        tail = completed.stderr.decode(errors="replace").strip().splitlines()[-3:]
        if completed.returncode < 0:
            raise RenderError(f"the renderer was killed by signal {-completed.returncode}")
        raise RenderError("; ".join(tail) or f"the renderer exited with status {completed.returncode}")
    lines = completed.stdout.decode().strip().splitlines()
    return json.loads(lines[-1])


def _child_main() -> None:
    import resource

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    payload = json.loads(sys.stdin.buffer.read())
    try:
        result = produce(payload)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the failure reason
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(2)
    result["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


if __name__ == "__main__":
    _child_main()
