"""Django's PostgreSQL backend with a health check that sends nothing to the server (see base.py)."""
