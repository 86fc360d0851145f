"""`make run` on a laptop: SQLite, tasks in-process, the demo mission; the whole product works.

Each step runs in a subprocess with the laptop defaults (a SQLite file, no broker,
no Redis), as `make run` does: migrate, load_demo, the statement commands, and a
Django test client that signs in as the demo head of mission and walks the results
dashboard, the visits behind a figure, the statement editor (start, save, preview,
submit, approve and its in-process PDF render) and an export.
"""

import json
import os
import subprocess
import sys

import pytest

from demo.builder import DEMO_CODE, DEMO_PASSWORD
from tests.helpers.paths import REPO

ROOT = REPO
HOM = "hom@demo.observa.test"
ELECTION_DAY = (
    "On election day, the Mission was divided into three groups and visited 22 polling stations "
    "in Baku, Shusha, Hankendi and Khojaly."
)

CLIENT_SCRIPT = r"""
import json, re, sys
import django
django.setup()
from django.test import Client
from polling.models import Checklist, Visit
from reports.models import Export, StatementRender

code, email, password = sys.argv[1:4]
seen = {}
c = Client(SERVER_NAME="localhost")


def html(response):
    assert response.status_code == 200, (response.status_code, response.content[-3000:])
    return response.content.decode()


def text(response):
    return words(html(response))


def words(page):
    page = re.sub(r"</?(span|a|strong|em|b)\b[^>]*>", "", page)  # inline: no space
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


seen["login"] = c.post("/accounts/login/", {"login": email, "password": password}).status_code
page = c.get(f"/m/{code}/results/")
seen["results"] = text(page)
seen["results_visits"] = re.search(r'data-visits="(\d+)"', page.content.decode()).group(1)
panel = html(c.get(f"/m/{code}/results/panel/", {"checklist": "voting", "question": "V5", "by": "1"}))
seen["breakdown"] = words(panel[panel.find('id="breakdown"') :])
flagged = c.get(f"/m/{code}/results/visits/", {"flag": "flagged"})
seen["flagged_rows"] = len(set(re.findall(r'href="/m/[^/]+/visits/([0-9a-f-]{36})/"', flagged.content.decode())))
seen["flagged_expected"] = Visit.objects.filter(mission__code=code, answers__option__flagged=True).distinct().count()

seen["start"] = c.post(f"/m/{code}/statement/start/").status_code
editor = c.get(f"/m/{code}/statement/")
seen["editor"] = text(editor)
fields = dict(re.findall(r'<textarea name="(section__[^"]+)"[^>]*>([^<]*)</textarea>', editor.content.decode()))
seen["sections"] = len(fields)
day = next(name for name, value in fields.items() if "election_day" in name)
seen["preview"] = text(c.post(f"/m/{code}/statement/preview/", fields, headers={"HX-Trigger-Name": day}))
links = re.findall(r'href="(/m/[^"]+/statement/v1/figure/[^"]+/)"', editor.content.decode())
seen["figure"] = text(c.get(links[0])) if links else ""
seen["save"] = c.post(f"/m/{code}/statement/save/", fields).status_code
seen["submit"] = c.post(f"/m/{code}/statement/do/submit/").status_code
seen["reauthenticate"] = c.post("/accounts/reauthenticate/", {"password": password}).status_code
# The approve form names what the head of mission read (the review digest of the page).
reviewed = re.search(r'name="reviewed" value="([0-9a-f]{64})"', c.get(f"/m/{code}/statement/").content.decode()).group(1)
seen["approve"] = c.post(f"/m/{code}/statement/approve/", {"reviewed": reviewed}).status_code
seen["render"] = list(StatementRender.objects.values_list("status", flat=True))

checklist = Checklist.objects.filter(mission__code=code).order_by("pk").first().code
for kind, fmt in (("visits", "csv"), ("results", "xlsx")):
    c.post(f"/m/{code}/exports/", {"kind": kind, "format": fmt, "checklist": checklist})
    export = Export.objects.order_by("-pk").first()
    seen[f"export_{kind}"] = [export.status, export.rows]
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    """Run a command with the `make run` environment against one SQLite file per test module."""
    tmp = tmp_path_factory.mktemp("laptop")
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "DATABASE_URL", "CELERY_", "REDIS_", "MFA_", "SQLITE_", "MEDIA_", "PRIVATE_")
        )
    }
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
        "MFA_REQUIRED_FOR_SETUP_ROLES": "false",
        "MEDIA_ROOT": str(tmp / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp / "private"),
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    run("manage.py", "migrate", "-v", "0")
    run("manage.py", "load_demo")
    run.tmp = tmp
    return run


def test_draft_statement_reads_the_demo_figures_on_sqlite(laptop):
    text = laptop("manage.py", "draft_statement", DEMO_CODE)
    assert ELECTION_DAY in " ".join(text.split())
    assert "The Mission observed no significant irregularities." in text


def test_head_of_mission_walks_dashboard_statement_and_exports_on_sqlite(laptop):
    seen = json.loads(laptop("-c", CLIENT_SCRIPT, DEMO_CODE, HOM, DEMO_PASSWORD).splitlines()[-1])
    assert seen["login"] == 302
    # The dashboard: real figures, computed live (no "needs PostgreSQL" page).
    assert seen["results_visits"] == "25"
    assert "PostgreSQL" not in seen["results"]
    assert all(city in seen["results"] for city in ("Baku", "Shusha", "Hankendi", "Khojaly"))
    # Accessibility by city (area paths cut at level 1 on SQLite): the three "No" were all in Baku.
    assert "Baku 15 80% (12) 20% (3) Hankendi 2 100% (2) 0% (0)" in seen["breakdown"], seen["breakdown"][:600]
    assert 0 < seen["flagged_rows"] == seen["flagged_expected"]
    # The statement: started from the data, its figures resolved in the preview and linked to their visits.
    assert seen["start"] == 302 and seen["sections"] > 5
    assert ELECTION_DAY in seen["preview"]
    assert "Baku" in seen["figure"]
    assert (seen["save"], seen["submit"], seen["reauthenticate"], seen["approve"]) == (302, 302, 302, 302)
    assert seen["render"] == ["done"]  # signed in-process
    assert seen["export_visits"][0] == "done" and seen["export_visits"][1] > 0
    assert seen["export_results"][0] == "done" and seen["export_results"][1] > 0


def test_render_statement_writes_the_pdf_on_sqlite(laptop):
    pdf = laptop.tmp / "s.pdf"
    laptop("manage.py", "render_statement", DEMO_CODE, "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert ELECTION_DAY in " ".join(text.split())
    assert "no significant irregularities" in text
