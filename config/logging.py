"""Structured logs: one JSON object per line, with secrets taken out before anything is written.

Every process (gunicorn web workers, Celery workers and beat) writes the same shape to stderr, so
a log collector can parse the lines without knowing which process wrote them:

    {"time": "2026-12-01T14:03:11.512Z", "level": "WARNING", "logger": "django.request",
     "message": "Forbidden: /m/abc/visits/", "status_code": 403, "method": "GET", "path": "/m/abc/visits/"}

The redaction runs as a filter on the handler (RedactSecretsFilter) and again in the formatter for
the request fields, so neither a careless `logger.info("%s", request.POST)` nor a third-party
library logging a dict of form data can put a password, a TOTP code, a token, a session id or a
cookie into a log line. A request is reduced to its method and path; its headers, cookies, body
and query string are never logged.
"""

import json
import logging
import logging.config
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"

# Keys whose values never reach a log line, matched case-insensitively on the whole key or as a part
# of it ("new_password1", "HTTP_COOKIE", "csrfmiddlewaretoken", "totp_code").
_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|sessionid|session_key|session_id|cookie|authorization|"
    r"api[_-]?key|signature|otp|totp|recovery|^code$|^key$|_key$|credential",
    re.IGNORECASE,
)
# The same secrets written as text: `password=hunter2`, `'password': 'hunter2'`, `Cookie: a=b; c=d`.
_SECRET_IN_TEXT = re.compile(
    r"""(?P<key>['"]?(?:[\w-]*pass(?:word|wd)\w*|[\w-]*secret\w*|[\w-]*token\w*|sessionid|session_key|"""
    r"""csrftoken|totp\w*|otp\w*|authorization|api[_-]?key)['"]?|['"]code['"])"""
    r"""(?P<sep>\s*[:=]\s*\[?\s*)(?P<value>'[^']*'|"[^"]*"|[^\s&;,)\]}]+)""",
    re.IGNORECASE,
)
_COOKIE_HEADER = re.compile(
    r"(?P<key>(?:set-)?cookie|HTTP_COOKIE)(?P<sep>['\"]?\s*[:=]\s*)(?P<value>[^\n]+)", re.I
)
# Secrets that travel in a URL path: invitation tokens and allauth's password-reset keys.
_SECRET_IN_PATH = re.compile(r"(/invitations/|/password/reset/key/|/verify-email/|/login/code/)[^/\s?#\"']+")

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _hide_value(match: re.Match) -> str:
    if match["value"].strip("'\"[]") == REDACTED.strip("[]"):  # already redacted: keep it as it is
        return match[0]
    return f"{match['key']}{match['sep']}{REDACTED}"


def redact_text(text: str) -> str:
    """`text` with secrets replaced; running it twice changes nothing more."""
    text = _COOKIE_HEADER.sub(_hide_value, text)
    text = _SECRET_IN_TEXT.sub(_hide_value, text)
    return _SECRET_IN_PATH.sub(lambda m: f"{m[1]}{REDACTED}", text)


def redact(value: Any) -> Any:
    """A copy of `value` with every secret replaced; dictionaries are judged by their keys."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping) or hasattr(value, "getlist"):
        return {
            str(key): REDACTED if _SECRET_KEY.search(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


def _redact_argument(value: Any) -> Any:
    """A %-format argument: containers and text are redacted, numbers and other objects kept as they are
    (so `%d` and `%.1f` still work); their text is redacted once the message is rendered."""
    if isinstance(value, str | Mapping | list | tuple | set | frozenset) or hasattr(value, "getlist"):
        return redact(value)
    return value


def _request_fields(request: Any) -> dict[str, Any]:
    fields = {"method": getattr(request, "method", None), "path": getattr(request, "path", None)}
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        fields["user_id"] = user.pk
    return {key: redact(value) for key, value in fields.items() if value is not None}


class RedactSecretsFilter(logging.Filter):
    """Replace secrets in a record's message, arguments and extras before any handler formats it.

    The message is rendered once here (`getMessage()`), then the arguments are dropped: a formatter
    later on sees only the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, Mapping) or hasattr(record.args, "getlist"):
            record.args = redact(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_argument(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format must not lose the line
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact_text(message)
        record.args = None
        for name, value in list(vars(record).items()):
            if name in _RECORD_FIELDS or name == "request":
                continue
            setattr(record, name, REDACTED if _SECRET_KEY.search(name) else redact(value))
        return True


class JsonLineFormatter(logging.Formatter):
    """Format a record as one line of JSON: time (UTC), level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
        for name, value in vars(record).items():
            if name in _RECORD_FIELDS or name in line:
                continue
            if name == "request":
                line.update(_request_fields(value))
            elif name == "server_time":  # django.server's duplicate of "time"
                continue
            else:
                line[name] = REDACTED if _SECRET_KEY.search(name) else redact(value)
        if record.exc_info:
            line["exception"] = redact_text(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact_text(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_celery_logging(**kwargs: Any) -> None:
    """Receiver of Celery's `setup_logging` signal: the worker and beat log through settings.LOGGING
    (JSON lines, redacted) instead of installing their own text handlers on the root logger."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
