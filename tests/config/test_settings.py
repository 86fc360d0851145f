"""The settings refuse to start production without real secrets, and read the environment strictly."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.dburl import parse_database_url
from config.env import env_bool, env_secret
from tests.helpers.paths import REPO

ROOT = REPO


def _settings_with(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    base.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG, settings.CELERY_TASK_ALWAYS_EAGER, settings.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _settings_with({"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "observa.example.org"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _settings_with({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_starts_with_secret_and_hosts():
    result = _settings_with(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "observa.example.org",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"


def test_laptop_defaults_are_sqlite_and_in_process_tasks():
    result = _settings_with({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "django.db.backends.sqlite3"]


def test_env_bool_rejects_anything_but_true_or_false(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG", True)
    monkeypatch.setenv("SOME_FLAG", "False")
    assert env_bool("SOME_FLAG", True) is False


def test_env_secret_reads_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_secret("SOME_SECRET") == "from-a-file"


def test_database_url_is_parsed_for_postgres():
    db = parse_database_url("postgres://obs:p%40ss@db.internal:6543/observa?sslmode=require")
    assert db["ENGINE"] == "config.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "obs",
        "p@ss",
        "db.internal",
        "6543",
        "observa",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("mysql://x@y/z")


def test_no_cdn_in_templates():
    """Observers work on bad networks and intranets: every asset is served by the app."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "templates").rglob("*.html")
        if any(host in path.read_text() for host in ("cdn.", "jsdelivr", "unpkg", "googleapis", "cloudflare"))
    ]
    assert offenders == []
