"""Settings for bench/submit_visits.py: the app's own settings, without debug, plus the bench's URLconf
(the baseline view) and a middleware that reports the SQL queries of each request in a header."""

from config.settings import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench._bench_urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = False
MIDDLEWARE = ["bench._bench_urls.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405 (outermost: counts everything)
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
