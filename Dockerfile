# Observa web app and Celery worker image (the same image runs both).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install "." && useradd --create-home --uid 1000 observa
COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime \
    DJANGO_ALLOWED_HOSTS=localhost sh -c "python manage.py compilemessages -v 0 && python manage.py collectstatic --noinput" \
 && mkdir -p /data/media /data/private && chown -R observa /data

USER observa
ENV MEDIA_ROOT=/data/media PRIVATE_MEDIA_ROOT=/data/private
EXPOSE 8000
# Workers, threads, sockets and the JSON access log: config/gunicorn.py (GUNICORN_WORKERS, GUNICORN_THREADS,
# GUNICORN_REUSE_PORT).
CMD ["gunicorn", "-c", "python:config.gunicorn", "config.wsgi"]
