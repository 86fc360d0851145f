"""observa_file_visit(): a new visit, its answers, first revision and audit entry in one call (PostgreSQL).

The filing's hot path (polling/visits/filing.py) calls it as one prepared statement in autocommit: one
round trip is the whole transaction. The function is VOLATILE, so each statement in it takes a fresh
snapshot: the head of the audit chain is read after the chain's lock is granted and sees what the lock's
previous holder committed (as missions/audit_trail.py's two-statement append does), and the lock is held
only for the entry's INSERT and the commit.

It names the columns of polling_visit, polling_answer, polling_visitrevision and missions_auditentry: a
migration that changes one of them must replace this function too (tests/polling/visits/test_filing_sql.py files
visits through it and verifies the chain).
"""

from django.db import migrations

CHAIN_LOCK = 7_406_115_001  # missions.audit_trail._CHAIN_LOCK

CREATE = f"""
CREATE OR REPLACE FUNCTION observa_file_visit(
    p_uuid uuid, p_mission bigint, p_version bigint, p_station bigint, p_observer bigint, p_team bigint,
    p_arrived timestamptz, p_departed timestamptz, p_notes text, p_assessment text, p_content_hash text,
    p_review text, p_now timestamptz, p_answers jsonb, p_user bigint, p_channel text, p_content jsonb,
    p_audit boolean, a_created timestamptz, a_mission bigint, a_mission_code text, a_actor bigint,
    a_actor_email text, a_action text, a_target_type text, a_target_id text, a_target_repr text,
    a_changes jsonb, a_ip inet, a_user_agent text, a_canonical text, a_genesis text,
    OUT out_visit bigint, OUT out_entry bigint, OUT out_prev_hash text, OUT out_entry_hash text
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO polling_visit (uuid, mission_id, checklist_version_id, station_id, observer_id, team_id,
        arrived_at, departed_at, notes, assessment, content_hash, revision, review_status, review_comment,
        created_at, updated_at)
    VALUES (p_uuid, p_mission, p_version, p_station, p_observer, p_team, p_arrived, p_departed, p_notes,
        p_assessment, p_content_hash, 1, p_review, '', p_now, p_now)
    RETURNING id INTO out_visit;

    INSERT INTO polling_answer (visit_id, question_id, option_id, number, text)
    SELECT out_visit, (a->>0)::bigint, (a->>1)::bigint, (a->>2)::numeric, a->>3
    FROM jsonb_array_elements(p_answers) a;

    INSERT INTO polling_visitrevision (visit_id, number, created_at, user_id, channel, content, changes)
    VALUES (out_visit, 1, p_now, p_user, p_channel, p_content, '{{}}'::jsonb);

    IF p_audit THEN
        PERFORM pg_advisory_xact_lock({CHAIN_LOCK});
        INSERT INTO missions_auditentry AS e (created_at, mission_id, mission_code, actor_id, actor_email,
            action, target_type, target_id, target_repr, changes, ip_address, user_agent, prev_hash,
            entry_hash)
        SELECT a_created, a_mission, a_mission_code, a_actor, a_actor_email, a_action, a_target_type,
            a_target_id, a_target_repr, a_changes, a_ip, a_user_agent, head.hash,
            encode(sha256(convert_to(head.hash || a_canonical, 'UTF8')), 'hex')
        FROM (
            SELECT coalesce(
                (SELECT last.entry_hash FROM missions_auditentry last ORDER BY last.id DESC LIMIT 1),
                a_genesis
            ) AS hash
        ) head
        RETURNING e.id, e.prev_hash, e.entry_hash INTO out_entry, out_prev_hash, out_entry_hash;
    END IF;
END
$$
"""

DROP = "DROP FUNCTION IF EXISTS observa_file_visit"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("polling", "0005_answer_keys_checked_by_the_filing"),
        ("missions", "0004_audit_trail_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
