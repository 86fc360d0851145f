"""config.canonical: the text visit content hashes and the audit chain cover must not change by a byte."""

import json
import random

import pytest

from config.canonical import canonical_json
from missions.audit_trail import audit_record, audit_verify
from missions.models import AuditEntry
from polling import visits


def _json_dumps(value) -> str:
    """What every stored hash was computed from before orjson."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


ALPHABET = [chr(c) for c in range(0x80)] + list(
    "\u00e9\u2028\u2029\ufeff\u202e\u200b\x80\x9f\ud55c\U0001f600"
)


def _contents(seed: int, count: int):
    rng = random.Random(seed)

    def text():
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 12)))

    for _ in range(count):
        content = {text(): text() for _ in range(rng.randint(0, 4))}
        content["answers"] = {text(): [text(), text()] for _ in range(3)} | {"n": None, "t": "07:30"}
        content["version"] = rng.randint(-(10**15), 10**15)
        content["flags"] = [True, False]
        yield content


def test_orjson_writes_what_json_dumps_wrote_for_every_character():
    for content in _contents(3, 3000):
        assert canonical_json(content, floats_possible=False) == _json_dumps(content)
        assert visits.canonical_json(content) == _json_dumps(content)


@pytest.mark.parametrize(
    "value",
    [
        {"notes": "lone \ud800 surrogate"},
        {"version": 10**30},
        {"answers": {1: "a key that is not text"}},
        {"share": 1e-07, "nested": [{"x": 1e16}], "nan": float("nan")},  # orjson: 1e-7, 1e16, null
    ],
)
def test_what_orjson_would_write_differently_goes_to_json_dumps(value):
    assert canonical_json(value) == _json_dumps(value)


def test_audit_entries_with_floats_and_hostile_text_verify(db):
    for n, content in enumerate(_contents(5, 20)):
        content = json.loads(json.dumps(content).replace("\\u0000", ""))  # jsonb cannot hold NUL
        extra = {"ratio": 1 / 3} if n % 2 else {}  # with a float: json.dumps; without: orjson
        audit_record(action="test.canonical", mission_code="c", changes={**content, **extra, "n": n})
    audit_record(action="test.canonical", mission_code="c", changes={"tiny": 1e-07, "huge": 10**30})
    checked, problems, _head = audit_verify()
    assert checked == AuditEntry.objects.count() >= 21 and problems == []
