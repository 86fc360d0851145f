"""Benchmark: the statement of a mission with 10,000 visits.

    DATABASE_URL=postgres://... .venv/bin/python bench/statement.py [--visits 10000]

Builds (or reuses) the mission `bench-statement` (40 cities, 2,000 stations, 50 teams, a
12-question checklist, N visits with every question answered), then times, in one run:

1. the draft: figures from the selectors + default sections, saved (target < 1 s), and the
   drafting snapshot without the visits behind each figure against one with them;
2. a bare WeasyPrint render of the statement's HTML (with the annex), in this process;
3. the whole render as the worker does it: child process, signature, atomic write,
   row update (target: within 1.5x the bare render and under 10 s);
4. memory of the process that plays the worker: before, peak, after (target < 500 MB, and
   back near the start), and the render child's own peak.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-statement-"))

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from missions.models import Member, Mission, Role, Team, User  # noqa: E402
from polling.models import (  # noqa: E402
    Answer,
    Area,
    Checklist,
    ChecklistVersion,
    Option,
    PollingStation,
    Question,
    Visit,
)

CODE = "bench-statement"
CITIES = 40
STATIONS = 2000
TEAMS = 50
QUESTIONS = 12
ELECTION_DAY = datetime.datetime(2024, 2, 7, 7, 0, tzinfo=datetime.UTC)


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(visits: int) -> Mission:
    mission = Mission.objects.filter(code=CODE).first()
    if mission is not None and mission.visits.count() == visits:
        return mission
    if mission is not None:
        Answer.objects.filter(visit__mission=mission).delete()
        mission.visits.all().delete()
        mission.delete()
    with transaction.atomic():
        mission = Mission.objects.create(
            code=CODE,
            name="International Election Observation Mission of the Organization of Turkic States",
            organization="Organization of Turkic States",
            election="Presidential Election",
            country="Republic of Kazakhstan",
            election_date=datetime.date(2024, 2, 7),
            observation_start=datetime.date(2024, 2, 1),
            observation_end=datetime.date(2024, 2, 8),
            area_levels=["City", "District"],
            statement_level=1,
        )
        head_user, _ = User.objects.get_or_create(
            email="bench-hom@example.org", defaults={"name": "Bench Head"}
        )
        head_user.set_password("bench-password-123")
        head_user.save()
        Member.objects.create(
            mission=mission, user=head_user, role=Role.HEAD_OF_MISSION, country="Kyrgyzstan"
        )
        teams = Team.objects.bulk_create(
            [Team(mission=mission, name=f"Team {i + 1:02d}") for i in range(TEAMS)]
        )
        users = User.objects.bulk_create(
            [User(email=f"bench-{mission.pk}-{i}@example.org", name=f"Observer {i}") for i in range(TEAMS)]
        )
        countries = ["Kazakhstan", "Kyrgyzstan", "Türkiye", "Uzbekistan", "Azerbaijan", "Hungary"]
        observers = Member.objects.bulk_create(
            [
                Member(
                    mission=mission, user=u, role=Role.TEAM_LEADER, team=teams[i], country=countries[i % 6]
                )
                for i, u in enumerate(users)
            ]
        )
        cities = Area.objects.bulk_create(
            [
                Area(mission=mission, name=f"City {c:02d}", depth=1, path=f"City {c:02d}")
                for c in range(CITIES)
            ]
        )
        districts = Area.objects.bulk_create(
            [
                Area(mission=mission, parent=city, name="Centre", depth=2, path=f"{city.path} > Centre")
                for city in cities
            ]
        )
        stations = PollingStation.objects.bulk_create(
            [
                PollingStation(
                    mission=mission, code=f"B{n:05d}", name=f"School {n}", area=districts[n % CITIES]
                )
                for n in range(STATIONS)
            ]
        )
        checklist = Checklist.objects.create(mission=mission, code="ed", name="Election day")
        version = ChecklistVersion.objects.create(checklist=checklist, number=1)
        questions, options = [], []
        for q in range(QUESTIONS):
            question = Question.objects.create(
                version=version,
                code=f"q{q:02d}",
                order=q,
                text=f"Question {q + 1}: was procedure {q + 1} followed?",
                type=Question.Type.YES_NO,
                finding_none=f"Procedure {q + 1} was followed in all polling stations visited.",
                finding_some=f"Procedure {q + 1} was not followed in {{count}} of {{total}} polling stations ({{percent}}%).",
            )
            yes = Option.objects.create(question=question, order=0, value="yes", label="Yes")
            no = Option.objects.create(
                question=question,
                order=1,
                value="no",
                label="No",
                flagged=True,
                severity="serious" if q < 3 else "minor",
            )
            questions.append(question)
            options.append((yes, no))
        checklist.current_version = version
        checklist.save(update_fields=["current_version"])
    batch = 2000
    for start in range(0, visits, batch):
        with transaction.atomic():
            rows = [
                Visit(
                    uuid=uuid.uuid4(),
                    mission=mission,
                    checklist_version=version,
                    station=stations[n % STATIONS],
                    observer=observers[n % TEAMS],
                    team=teams[n % TEAMS],
                    arrived_at=ELECTION_DAY + datetime.timedelta(seconds=3 * n),
                    content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
                )
                for n in range(start, min(start + batch, visits))
            ]
            created = Visit.objects.bulk_create(rows)
            answers = []
            for n, visit in zip(range(start, start + len(created)), created, strict=True):
                for q, question in enumerate(questions):
                    flagged = (n * 7 + q) % 97 == 0
                    answers.append(
                        Answer(visit=visit, question=question, option=options[q][1 if flagged else 0])
                    )
            Answer.objects.bulk_create(answers, batch_size=5000)
        print(f"  visits {min(start + batch, visits)}/{visits}", file=sys.stderr)
    return mission


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=10_000)
    args = parser.parse_args()

    from weasyprint import HTML

    from reports.models import Statement, StatementRender
    from reports.statements import rendering, services
    from reports.statements.document import build_document
    from reports.statements.pdf import INTERNAL_BASE_URL, render_html, static_only_fetcher
    from tests.helpers.statements import reauthenticated_request

    t = time.perf_counter()
    mission = build(args.visits)
    print(
        f"data ready: {mission.visits.count()} visits, {Answer.objects.filter(visit__mission=mission).count()} "
        f"answers ({time.perf_counter() - t:.1f} s)"
    )

    def reset():
        StatementRender.objects.filter(version__statement__mission=mission).delete()
        Statement.objects.filter(mission=mission).delete()

    reset()
    # This process plays the worker below: approval must not hand the render to Celery.
    services.enqueue_render = lambda render: None
    head = Member.objects.get(mission=mission, role=Role.HEAD_OF_MISSION)

    # 1. The draft (best of three: the machine is shared).
    timings = []
    for _ in range(3):
        reset()
        t = time.perf_counter()
        version = services.statement_start(mission=mission, user=head.user)
        timings.append(time.perf_counter() - t)
    print(
        f"draft (figures from the selectors + sections, saved): best {min(timings):.3f} s, "
        f"runs {', '.join(f'{x:.3f}' for x in timings)}"
    )

    # The drafting snapshot with and without the visits behind each figure, interleaved, best of five:
    # drafting (start, save, preview, submit) skips them; the figure pages and approval keep them.
    from reports.statements import figures

    with_sets, without_sets = [], []
    for _ in range(5):
        for visit_sets, runs in ((True, with_sets), (False, without_sets)):
            t = time.perf_counter()
            figures.collect(mission, annex=False, visit_sets=visit_sets)
            runs.append(time.perf_counter() - t)
    print(
        f"drafting snapshot: {min(without_sets):.3f} s without the visit sets, baseline with them "
        f"{min(with_sets):.3f} s (best of five each)"
    )

    services.statement_submit(version=version, user=head.user)
    t = time.perf_counter()
    render = services.statement_approve(
        version=version,
        user=head.user,
        request=reauthenticated_request(head.user),
        verify_url=f"https://observa.example/verify/{version.uuid}/",
    )
    print(f"approval (snapshot + hash + key): {time.perf_counter() - t:.3f} s")
    version.refresh_from_db()

    # 2. The whole render, as the worker runs it; this process plays the worker, whose pool
    #    process starts its render server when it starts (worker_process_init).
    from reports.statements import pdf as pdf_module

    t = time.perf_counter()
    pdf_module.warm_up(wait=True)
    print(
        f"render server start (paid once per worker process, when it starts): {time.perf_counter() - t:.3f} s"
    )
    rss_before = rss_mb()
    t = time.perf_counter()
    outcome = rendering.render_run(render.pk)
    whole_s = time.perf_counter() - t
    rss_after = rss_mb()
    rss_peak = rss_mb("VmHWM")
    render.refresh_from_db()
    again = rendering.render_version_to_file(version, Path(tempfile.mkdtemp()) / "again.pdf")
    child_peak = again["max_rss_kb"] / 1024
    print(f"  a second whole render, inside the child: {again['seconds']}")
    print(
        f"whole render ({outcome}; child process, signature, atomic write): {whole_s:.3f} s, "
        f"{render.size / 1024:.0f} kB"
    )

    # 3. Bare WeasyPrint on the same HTML, in this process.
    t = time.perf_counter()
    document = build_document(version, for_pdf=True)
    print(f"  building the frozen document (QR code included): {time.perf_counter() - t:.3f} s")
    html = render_html(document)
    t = time.perf_counter()
    pdf = HTML(string=html, base_url=INTERNAL_BASE_URL, url_fetcher=static_only_fetcher()).write_pdf()
    bare_s = time.perf_counter() - t
    rss_after_bare = rss_mb()
    print(f"bare WeasyPrint render of the same HTML: {bare_s:.3f} s, {len(pdf) / 1024:.0f} kB")
    print(f"ratio whole / bare: {whole_s / bare_s:.2f} (target <= 1.5), whole < 10 s: {whole_s < 10}")
    print(
        f"worker process memory: before {rss_before:.0f} MB, peak {rss_peak:.0f} MB, after {rss_after:.0f} MB"
    )
    print(
        f"render child peak: {child_peak:.0f} MB; for contrast, this process after an in-process "
        f"WeasyPrint render: {rss_after_bare:.0f} MB"
    )


if __name__ == "__main__":
    main()
