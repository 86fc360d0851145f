"""Gunicorn settings for the container (`gunicorn -c python:config.gunicorn config.wsgi`).

The access log goes through the same JSON-line formatter and secret filter as the application
(config/logging.py): one object per request with method, path (never the query string), status,
size and duration; invitation tokens and reset keys in a path are redacted.
"""

import os

from config.env import env_bool, env_int


def _cpus() -> int:
    """The CPUs this process may run on (a container's cpuset), not all of the host's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover (not Linux)
        return os.cpu_count() or 1


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One worker process per CPU, two threads each. A filing is mostly Python and PostgreSQL work on the
# same machine, so more processes than CPUs only take turns: on 2 CPUs bench/submit_visits.py filed
# 517-577 visits/s with 2 workers, 403-461 with 3 x 1 thread and 284-446 with 4 x 2 (its CPU per request
# went up by half with the extra processes).
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", max(2, _cpus()))
threads = env_int("GUNICORN_THREADS", 2)
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections over
# them. On one shared socket the first idle worker took most of a burst of connections (110 of 128 in
# one of 4 workers in the bench), and its clients waited while the others had little to do; a kept-alive
# connection, such as a proxy's, stays with the worker that took it. Off: GUNICORN_REUSE_PORT=false.
reuse_port = env_bool("GUNICORN_REUSE_PORT", True)
accesslog = "-"
access_log_format = "%(m)s %(U)s %(s)s %(B)s bytes %(M)s ms"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "config.logging.RedactSecretsFilter"}},
    "formatters": {"json": {"()": "config.logging.JsonLineFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
