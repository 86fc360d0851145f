"""Canonical JSON: the text the content hash of a visit and the hash chain of the audit trail cover.

It was defined as json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False), and every
stored hash is of that text, so it must not change by a byte. orjson writes the same bytes for text,
integers, booleans, null, lists and objects, about 8 times faster (tests/config/test_canonical_json.py
compares them on every character below U+0080 and the special non-ASCII ones). It writes some floats
differently (1e-07 against 1e-7), and refuses lone surrogates, integers over 64 bits and keys that are
not text: those values go to json.dumps, as before.
"""

import json

import orjson


def canonical_json(value, *, floats_possible: bool = True) -> str:
    """The canonical text of `value`; `floats_possible=False` when the caller's values hold no float
    (a visit's content writes its numbers as text), which spares looking for one."""
    if floats_possible and _holds_float(value):
        return _json_dumps(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _json_dumps(value)


def jsonb_text(value) -> str:
    """JSON for a jsonb parameter, whose key order and spacing PostgreSQL does not keep: orjson, or
    json.dumps for what orjson refuses."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def _json_dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _holds_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_holds_float(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_float(item) for item in value)
    return False
