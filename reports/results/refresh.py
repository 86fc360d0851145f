"""Bring a mission's pre-aggregated result counts up to date (the worker runs this every few seconds).

The protocol, in one REPEATABLE READ transaction holding an advisory lock on the mission:

1. Fingerprint what the counts depend on besides visits (the mission's time zone, which
   cuts the visits-per-hour buckets; area tree, station areas, questions, option
   flags). If it changed, wipe the mission's counts: every visit is then "changed"
   and counted again (a rebuild is the same code path).
2. Find the changed visits by comparing each visit with its snapshot
   (ResultVisit): new, edited (updated_at or revision), moved (station, team) or
   deleted. This compares state, not timestamps, so a transaction that commits
   late is never missed.
3. For a batch of them, list the keys each visit counts for now (facts), create
   missing keys, and compute the delta: -1 for each key of the old snapshot, +1
   for each current key, per (key, station, team).
4. Add the delta to the visit counts of every slice the station belongs to: the
   whole mission, its team (group 0: visits without a team), and its area and
   every ancestor area.
5. For keys whose distinct stations are counted, apply the delta per (key,
   station, team) and turn every 0 <-> >0 transition into +1/-1 stations, per team
   and (summed over teams) per mission and area.
6. Replace the batch's snapshots; repeat from 2 until no visit is left.
7. Recompute planned coverage per slice (small), bump the version if anything
   changed, and record the moment the counts reflect.

Costs one anti-join over the mission's visits per refresh, plus work proportional
to the changed visits; nothing groups all answers except a rebuild.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction

from reports.models import ResultState

LOCK_NAMESPACE = 7301  # pg_try_advisory_xact_lock(namespace, mission id)
BATCH = 20_000

FINGERPRINT_SQL = """
SELECT md5(concat_ws('|',
  (SELECT time_zone FROM missions_mission WHERE id = %(m)s),
  (SELECT string_agg(concat_ws(':', cl.id, cl.code, q.id, q.code, o.id, o.value, o.flagged, o.severity, o.negative), ','
                     ORDER BY q.id, o.id)
     FROM polling_question q
     JOIN polling_checklistversion cv ON cv.id = q.version_id
     JOIN polling_checklist cl ON cl.id = cv.checklist_id
     LEFT JOIN polling_option o ON o.question_id = q.id
    WHERE cl.mission_id = %(m)s),
  (SELECT string_agg(concat_ws(':', a.id, a.parent_id), ',' ORDER BY a.id)
     FROM polling_area a WHERE a.mission_id = %(m)s),
  (SELECT string_agg(concat_ws(':', ps.id, ps.area_id), ',' ORDER BY ps.id)
     FROM polling_pollingstation ps WHERE ps.mission_id = %(m)s)
))
"""

WIPE_SQL = [
    "DELETE FROM reports_resultcount WHERE mission_id = %(m)s",
    "DELETE FROM reports_resultstationcount WHERE mission_id = %(m)s",
    "DELETE FROM reports_resultvisit WHERE mission_id = %(m)s",
    "DELETE FROM reports_resultcoverage WHERE mission_id = %(m)s",
    "DELETE FROM reports_resultkey WHERE mission_id = %(m)s",
]

TEMP_TABLES = ["rc_changed", "rc_facts", "rc_fk", "rc_delta", "rc_anc", "rc_sdelta", "rc_st", "rc_stt"]

BATCH_SQL = [
    # 2. Changed visits: no snapshot, no longer there, or different from their snapshot.
    """
    CREATE TEMP TABLE rc_changed ON COMMIT DROP AS
    SELECT COALESCE(v.id, s.visit_id) AS visit_id, v.id IS NOT NULL AS present, s.visit_id IS NOT NULL AS had,
           v.station_id, COALESCE(v.team_id, 0) AS team_id, v.updated_at, v.revision, v.arrived_at
      FROM (SELECT * FROM polling_visit WHERE mission_id = %(m)s) v
      FULL JOIN (SELECT * FROM reports_resultvisit WHERE mission_id = %(m)s) s ON s.visit_id = v.id
     WHERE v.id IS NULL OR s.visit_id IS NULL OR v.updated_at <> s.updated_at OR v.revision <> s.revision
        OR v.station_id <> s.station_id OR COALESCE(v.team_id, 0) <> s.team_id
     ORDER BY 1
     LIMIT %(batch)s
    """,
    # 3. What each present changed visit counts for now.
    """
    CREATE TEMP TABLE rc_facts ON COMMIT DROP AS
    WITH ch AS (SELECT * FROM rc_changed WHERE present),
    ans AS (
      SELECT a.visit_id, cl.code AS cl, q.code AS q, a.option_id, o.value AS ov, o.flagged, o.severity,
             o.negative, a.number, a.text
        FROM polling_answer a
        JOIN ch ON ch.visit_id = a.visit_id
        JOIN polling_question q ON q.id = a.question_id
        JOIN polling_checklistversion cv ON cv.id = q.version_id
        JOIN polling_checklist cl ON cl.id = cv.checklist_id
        LEFT JOIN polling_option o ON o.id = a.option_id
    )
    SELECT visit_id, 'visit'::varchar AS kind, ''::varchar AS cl, ''::varchar AS q, ''::varchar AS value,
           NULL::numeric AS number FROM ch
    UNION SELECT visit_id, 'hour', '', '', to_char(arrived_at AT TIME ZONE
                   (SELECT time_zone FROM missions_mission WHERE id = %(m)s), 'YYYY-MM-DD"T"HH24'), NULL FROM ch
    UNION SELECT visit_id, 'answered', cl, q, '', NULL FROM ans
     WHERE option_id IS NOT NULL OR number IS NOT NULL OR text <> ''
    UNION SELECT visit_id, 'option', cl, q, ov, NULL FROM ans WHERE option_id IS NOT NULL
    UNION SELECT visit_id, 'number', cl, q, number::text, number FROM ans WHERE number IS NOT NULL
    UNION SELECT visit_id, 'flagged', cl, q, '', NULL FROM ans WHERE flagged
    UNION SELECT visit_id, 'negative', cl, q, '', NULL FROM ans WHERE negative
    UNION SELECT visit_id, 'serious', '', '', '', NULL FROM ans WHERE flagged AND severity = 'serious'
    """,
    # 3b. Keys that do not exist yet. Distinct stations are tracked for coverage and findings only.
    """
    INSERT INTO reports_resultkey (mission_id, kind, checklist_code, question_code, value, number, track_stations)
    SELECT %(m)s, f.kind, f.cl, f.q, f.value, f.number,
           CASE WHEN f.kind IN ('visit', 'flagged', 'serious') THEN true
                WHEN f.kind IN ('answered', 'option') THEN EXISTS (
                  SELECT 1 FROM polling_option o
                    JOIN polling_question q ON q.id = o.question_id
                    JOIN polling_checklistversion cv ON cv.id = q.version_id
                    JOIN polling_checklist cl ON cl.id = cv.checklist_id
                   WHERE cl.mission_id = %(m)s AND cl.code = f.cl AND q.code = f.q AND o.flagged
                     AND (f.kind = 'answered' OR o.value = f.value))
                ELSE false END
      FROM (SELECT DISTINCT kind, cl, q, value, number FROM rc_facts) f
    ON CONFLICT (mission_id, kind, checklist_code, question_code, value) DO NOTHING
    """,
    """
    CREATE TEMP TABLE rc_fk ON COMMIT DROP AS
    SELECT f.visit_id, k.id AS key_id
      FROM rc_facts f
      JOIN reports_resultkey k ON k.mission_id = %(m)s AND k.kind = f.kind AND k.checklist_code = f.cl
                              AND k.question_code = f.q AND k.value = f.value
    """,
    # 3c. The delta per (key, station, team), with the station's area.
    """
    CREATE TEMP TABLE rc_delta ON COMMIT DROP AS
    SELECT x.key_id, x.station_id, x.team_id, COALESCE(ps.area_id, 0) AS area_id, SUM(x.d)::int AS d
      FROM (
        SELECT u.key_id, s.station_id, s.team_id, -1 AS d
          FROM reports_resultvisit s
          JOIN rc_changed c ON c.visit_id = s.visit_id AND c.had
          CROSS JOIN LATERAL unnest(s.key_ids) AS u(key_id)
        UNION ALL
        SELECT fk.key_id, c.station_id, c.team_id, 1
          FROM rc_fk fk JOIN rc_changed c ON c.visit_id = fk.visit_id
      ) x
      JOIN polling_pollingstation ps ON ps.id = x.station_id
     GROUP BY x.key_id, x.station_id, x.team_id, ps.area_id
    HAVING SUM(x.d) <> 0
    """,
    "ANALYZE rc_changed, rc_fk, rc_delta",
    """
    CREATE TEMP TABLE rc_anc ON COMMIT DROP AS
    WITH RECURSIVE anc(area_id, ancestor_id, parent_id) AS (
      SELECT a.id, a.id, a.parent_id FROM polling_area a
       WHERE a.id IN (SELECT DISTINCT area_id FROM rc_delta WHERE area_id <> 0)
      UNION ALL
      SELECT anc.area_id, p.id, p.parent_id FROM anc JOIN polling_area p ON p.id = anc.parent_id
    )
    SELECT area_id, ancestor_id FROM anc
    """,
    "ANALYZE rc_anc",
    # 4. Visit counts for every slice.
    """
    INSERT INTO reports_resultcount (mission_id, key_id, dim, group_id, visits, stations)
    SELECT %(m)s, key_id, dim, group_id, SUM(d), 0
      FROM (
        SELECT key_id, 'm' AS dim, 0::bigint AS group_id, d FROM rc_delta
        UNION ALL SELECT key_id, 't', team_id, d FROM rc_delta
        UNION ALL SELECT dl.key_id, 'a', an.ancestor_id, dl.d FROM rc_delta dl JOIN rc_anc an ON an.area_id = dl.area_id
      ) x
     GROUP BY key_id, dim, group_id
    HAVING SUM(d) <> 0
    ON CONFLICT (key_id, dim, group_id) DO UPDATE SET visits = reports_resultcount.visits + EXCLUDED.visits
    """,
    # 5. Distinct stations: old visit counts per (key, station) and (key, station, team), then apply.
    """
    CREATE TEMP TABLE rc_sdelta ON COMMIT DROP AS
    SELECT dl.* FROM rc_delta dl JOIN reports_resultkey k ON k.id = dl.key_id WHERE k.track_stations
    """,
    """
    CREATE TEMP TABLE rc_st ON COMMIT DROP AS
    SELECT t.key_id, t.station_id, t.area_id, t.d,
           COALESCE((SELECT SUM(sc.visits) FROM reports_resultstationcount sc
                      WHERE sc.key_id = t.key_id AND sc.station_id = t.station_id), 0) AS old_n
      FROM (SELECT key_id, station_id, area_id, SUM(d) AS d FROM rc_sdelta GROUP BY 1, 2, 3) t
    """,
    """
    CREATE TEMP TABLE rc_stt ON COMMIT DROP AS
    SELECT sd.key_id, sd.station_id, sd.team_id, sd.d, COALESCE(sc.visits, 0) AS old_n
      FROM rc_sdelta sd
      LEFT JOIN reports_resultstationcount sc
        ON sc.key_id = sd.key_id AND sc.station_id = sd.station_id AND sc.team_id = sd.team_id
    """,
    "ANALYZE rc_sdelta, rc_st, rc_stt",
    """
    INSERT INTO reports_resultstationcount (mission_id, key_id, station_id, team_id, visits)
    SELECT %(m)s, key_id, station_id, team_id, d FROM rc_sdelta
    ON CONFLICT (key_id, station_id, team_id) DO UPDATE
      SET visits = reports_resultstationcount.visits + EXCLUDED.visits
    """,
    """
    DELETE FROM reports_resultstationcount sc USING rc_sdelta sd
     WHERE sc.key_id = sd.key_id AND sc.station_id = sd.station_id AND sc.team_id = sd.team_id AND sc.visits = 0
    """,
    """
    INSERT INTO reports_resultcount (mission_id, key_id, dim, group_id, visits, stations)
    SELECT %(m)s, key_id, dim, group_id, 0, SUM(s)
      FROM (
        SELECT key_id, 'm' AS dim, 0::bigint AS group_id,
               (old_n + d > 0)::int - (old_n > 0)::int AS s FROM rc_st
        UNION ALL
        SELECT st.key_id, 'a', an.ancestor_id, (st.old_n + st.d > 0)::int - (st.old_n > 0)::int
          FROM rc_st st JOIN rc_anc an ON an.area_id = st.area_id
        UNION ALL
        SELECT key_id, 't', team_id, (old_n + d > 0)::int - (old_n > 0)::int FROM rc_stt
      ) x
     GROUP BY key_id, dim, group_id
    HAVING SUM(s) <> 0
    ON CONFLICT (key_id, dim, group_id) DO UPDATE SET stations = reports_resultcount.stations + EXCLUDED.stations
    """,
    """
    DELETE FROM reports_resultcount rc USING (SELECT DISTINCT key_id FROM rc_delta) k
     WHERE rc.key_id = k.key_id AND rc.visits = 0 AND rc.stations = 0
    """,
    # 6. New snapshots.
    "DELETE FROM reports_resultvisit s USING rc_changed c WHERE s.visit_id = c.visit_id",
    """
    INSERT INTO reports_resultvisit (visit_id, mission_id, station_id, team_id, updated_at, revision, key_ids)
    SELECT c.visit_id, %(m)s, c.station_id, c.team_id, c.updated_at, c.revision,
           COALESCE(array_agg(fk.key_id ORDER BY fk.key_id) FILTER (WHERE fk.key_id IS NOT NULL), '{}')
      FROM rc_changed c LEFT JOIN rc_fk fk ON fk.visit_id = c.visit_id
     WHERE c.present
     GROUP BY c.visit_id, c.station_id, c.team_id, c.updated_at, c.revision
    """,
]

# 7. Planned stations per slice, and how many of them have a visit (by the team, for team slices).
COVERAGE_SQL = [
    "DELETE FROM reports_resultcoverage WHERE mission_id = %(m)s",
    """
    INSERT INTO reports_resultcoverage (mission_id, dim, group_id, planned, planned_visited)
    WITH RECURSIVE plan AS (
      SELECT ts.team_id, ts.pollingstation_id AS station_id
        FROM missions_team_stations ts JOIN missions_team t ON t.id = ts.team_id
       WHERE t.mission_id = %(m)s
    ),
    planned AS (
      SELECT ps.id AS station_id, COALESCE(ps.area_id, 0) AS area_id FROM polling_pollingstation ps
       WHERE ps.mission_id = %(m)s
         AND (NOT EXISTS (SELECT 1 FROM plan) OR ps.id IN (SELECT station_id FROM plan))
    ),
    vkey AS (SELECT id FROM reports_resultkey WHERE mission_id = %(m)s AND kind = 'visit'),
    visited AS (
      SELECT DISTINCT station_id FROM reports_resultstationcount WHERE key_id IN (SELECT id FROM vkey)
    ),
    anc(area_id, ancestor_id, parent_id) AS (
      SELECT a.id, a.id, a.parent_id FROM polling_area a WHERE a.mission_id = %(m)s
      UNION ALL
      SELECT anc.area_id, p.id, p.parent_id FROM anc JOIN polling_area p ON p.id = anc.parent_id
    )
    SELECT %(m)s, 'm', 0, COUNT(*), COUNT(v.station_id)
      FROM planned p LEFT JOIN visited v ON v.station_id = p.station_id
    UNION ALL
    SELECT %(m)s, 'a', an.ancestor_id, COUNT(*), COUNT(v.station_id)
      FROM planned p JOIN anc an ON an.area_id = p.area_id LEFT JOIN visited v ON v.station_id = p.station_id
     GROUP BY an.ancestor_id
    UNION ALL
    SELECT %(m)s, 't', pl.team_id, COUNT(*), COUNT(sc.station_id)
      FROM plan pl LEFT JOIN reports_resultstationcount sc
        ON sc.key_id IN (SELECT id FROM vkey) AND sc.station_id = pl.station_id AND sc.team_id = pl.team_id
     GROUP BY pl.team_id
    """,
]
COVERAGE_HASH_SQL = """
SELECT md5(COALESCE(string_agg(concat_ws(':', dim, group_id, planned, planned_visited), ','
                               ORDER BY dim, group_id), ''))
  FROM reports_resultcoverage WHERE mission_id = %(m)s
"""


@dataclass(frozen=True)
class RefreshReport:
    mission_id: int
    locked: bool  # False: another worker was refreshing this mission; nothing done
    rebuilt: bool = False
    changed_visits: int = 0
    version: int = 0
    duration_ms: int = 0


def refresh_results(mission_id: int, *, batch: int = BATCH) -> RefreshReport:
    """Apply every visit change since the last refresh to the mission's counts (see the module docstring)."""
    started = time.monotonic()
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # one snapshot for every statement (inside a test's transaction it already is one)
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, mission_id])
        if not cursor.fetchone()[0]:
            return RefreshReport(mission_id, locked=False)
        params = {"m": mission_id, "batch": batch}
        cursor.execute("SELECT now()")
        as_of = cursor.fetchone()[0]
        state, _ = ResultState.objects.get_or_create(mission_id=mission_id)
        cursor.execute(FINGERPRINT_SQL, params)
        fingerprint = cursor.fetchone()[0]
        rebuilt = fingerprint != state.fingerprint
        if rebuilt:
            for sql in WIPE_SQL:
                cursor.execute(sql, params)
        cursor.execute(COVERAGE_HASH_SQL, params)
        coverage_before = cursor.fetchone()[0]
        changed = 0
        while True:
            for sql in BATCH_SQL:
                cursor.execute(sql, params)
            cursor.execute("SELECT count(*) FROM rc_changed")
            n = cursor.fetchone()[0]
            changed += n
            cursor.execute("DROP TABLE " + ", ".join(TEMP_TABLES))
            if n < batch:
                break
        for sql in COVERAGE_SQL:
            cursor.execute(sql, params)
        cursor.execute(COVERAGE_HASH_SQL, params)
        coverage_changed = cursor.fetchone()[0] != coverage_before
        if changed or rebuilt or coverage_changed:
            state.version += 1
        state.fingerprint = fingerprint
        state.as_of = as_of
        state.last_changed_visits = changed
        state.last_duration_ms = int((time.monotonic() - started) * 1000)
        state.save()
    return RefreshReport(
        mission_id,
        locked=True,
        rebuilt=rebuilt,
        changed_visits=changed,
        version=state.version,
        duration_ms=state.last_duration_ms,
    )
