"""`collectstatic` with DEBUG off: the step every deployment (and the image's build) runs.

Reproduced: WhiteNoise's manifest storage failed on the sourceMappingURL comment of the vendored
Bootstrap files, whose .map files are not shipped, so the Dockerfile's build step could not pass.
"""

import json
import os
import subprocess
import sys

from tests.helpers.paths import REPO


def test_collectstatic_passes_with_debug_off_and_hashes_every_file(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "collectstatic-test-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "observa.example.org",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.rtl.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "css/statement_pdf.css",
        "fonts/NotoNaskhArabic-Regular.ttf",
    ):
        assert name in manifest, name
