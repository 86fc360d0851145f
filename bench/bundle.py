"""How long do import_mission and export_mission take for a large mission?

    DATABASE_URL=postgres://... .venv/bin/python bench/bundle.py [--visits 10000] [--questions 40]

1. Build a bundle in memory: 200 members in 100 teams, 2,000 stations, one checklist of 40 questions
   (yes/no, single and multiple choice, numbers, text, times), 10,000 visits answering every question
   (400,000 answers) and 500 incidents.
2. In one transaction on the (migrated) database DATABASE_URL names: check the bundle, write it,
   export the mission and serialise the export; each step is timed.
3. Roll the transaction back: the database is left as it was.

Target: import (check + write) and export each within 60 s. Exit status 1 when one is missed.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TARGET_SECONDS = 60


def build(visits: int, questions: int) -> dict:
    rng = random.Random(2024)
    kinds = ["yes_no", "yes_no", "single", "multiple", "number", "yes_no", "text", "yes_no", "time", "single"]
    checklist = []
    for n in range(questions):
        kind = kinds[n % len(kinds)]
        question = {"code": f"Q{n + 1}", "section": f"Section {n // 10 + 1}", "text": f"Question {n + 1}?"}
        question.update({"type": kind, "required": False})
        if kind == "yes_no":
            question["options"] = [
                {"value": "yes", "label": "Yes", "flagged": False, "severity": "", "negative": False},
                {"value": "no", "label": "No", "flagged": True, "severity": "minor", "negative": False},
            ]
        elif kind in ("single", "multiple"):
            question["options"] = [
                {
                    "value": f"o{k}",
                    "label": f"Option {k}",
                    "flagged": k == 3,
                    "severity": "serious" if k == 3 else "",
                }
                for k in range(1, 5)
            ]
        elif kind == "number":
            question.update({"min": 0, "max": 5000})
        checklist.append(question)

    def answer(question):
        kind = question["type"]
        if kind == "yes_no":
            return rng.choice(["yes", "no"])
        if kind == "single":
            return rng.choice(["o1", "o2", "o3", "o4"])
        if kind == "multiple":
            return [rng.choice(["o1", "o2", "o3", "o4"])]
        if kind == "number":
            return rng.randint(0, 5000)
        if kind == "time":
            return f"{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}"
        return "Observed as described in the handbook."

    teams = [f"Team {t + 1}" for t in range(100)]
    members = [
        {
            "email": f"observer{m + 1}@bench.observa.test",
            "name": f"Observer {m + 1}",
            "role": "observer",
            "country": "Xylandia",
            "team": teams[m // 2],
        }
        for m in range(200)
    ]
    stations = [
        {
            "code": f"{s // 100 + 1:03d}-{s % 100 + 1:03d}",
            "name": f"School No. {s + 1}",
            "address": "",
            "area": [f"Region {s // 400 + 1}", f"District {s // 40 + 1}"],
            "latitude": round(rng.uniform(39, 42), 6),
            "longitude": round(rng.uniform(19, 21), 6),
            "registered_voters": rng.randint(200, 2000),
        }
        for s in range(2000)
    ]
    start = datetime.datetime(2025, 3, 9, 4, 0, tzinfo=datetime.UTC)
    filed = []
    for v in range(visits):
        member = members[v % len(members)]
        arrived = start + datetime.timedelta(minutes=rng.randint(0, 900))
        filed.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "checklist": "voting",
                "station": stations[rng.randrange(len(stations))]["code"],
                "observer": member["email"],
                "team": member["team"],
                "arrived_at": arrived.isoformat().replace("+00:00", "Z"),
                "departed_at": (arrived + datetime.timedelta(minutes=40)).isoformat().replace("+00:00", "Z"),
                "answers": {q["code"]: answer(q) for q in checklist},
                "notes": "",
            }
        )
    incidents = [
        {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "station": visit["station"],
            "observer": visit["observer"],
            "time": visit["arrived_at"],
            "category": "procedure",
            "description": "Ballot box not sealed.",
            "visit": visit["uuid"],
        }
        for visit in filed[:: max(1, visits // 500)]
    ]
    return {
        "format": "observa.mission/1",
        "mission": {
            "code": f"bench-{uuid.uuid4().hex[:8]}",
            "name": "Benchmark mission",
            "organization": "Observa",
            "election": "Parliamentary Elections",
            "country": "Xylandia",
            "election_date": "2025-03-09",
            "observation_start": "2025-03-01",
            "observation_end": "2025-03-10",
            "area_levels": ["Region", "District"],
            "statement_level": "Region",
        },
        "members": members,
        "teams": [{"name": name, "leader": None, "stations": []} for name in teams],
        "stations": stations,
        "checklists": [{"code": "voting", "name": "Voting", "questions": checklist}],
        "meetings": [],
        "visits": filed,
        "incidents": incidents,
    }


class Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=40)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import transaction

    from polling.models import Answer
    from reports.bundle import bundle_dumps, mission_export
    from reports.bundle.checking import bundle_check
    from reports.bundle.importing import bundle_write

    started = time.perf_counter()
    # As import_mission reads a file: through JSON text, decimals as Decimal.
    data = json.loads(json.dumps(build(args.visits, args.questions)), parse_float=Decimal)
    timings = {"build the bundle (not timed against the target)": time.perf_counter() - started}
    try:
        with transaction.atomic():
            started = time.perf_counter()
            plan = bundle_check(data)
            timings["import: check"] = time.perf_counter() - started
            started = time.perf_counter()
            mission = bundle_write(plan)
            timings["import: write"] = time.perf_counter() - started
            answers = Answer.objects.filter(visit__mission=mission).count()
            started = time.perf_counter()
            bundle = mission_export(mission)
            timings["export: read"] = time.perf_counter() - started
            started = time.perf_counter()
            text = bundle_dumps(bundle)
            timings["export: serialise"] = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    imported = timings["import: check"] + timings["import: write"]
    exported = timings["export: read"] + timings["export: serialise"]
    print(
        f"{args.visits:,} visits, {answers:,} answers, {len(data['incidents']):,} incidents, "
        f"bundle {len(text.encode()) / 1e6:.1f} MB"
    )
    for name, seconds in timings.items():
        print(f"  {name:52}{seconds:8.2f} s")
    print(f"  {'import total':52}{imported:8.2f} s")
    print(f"  {'export total':52}{exported:8.2f} s")
    ok = imported <= TARGET_SECONDS and exported <= TARGET_SECONDS
    print(f"target <= {TARGET_SECONDS} s each: {'met' if ok else 'MISSED'} (the database was rolled back)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
