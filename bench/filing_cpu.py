"""What does one visit filing cost in CPU? The filing and the bare view, one request at a time, in-process.

    .venv/bin/python bench/filing_cpu.py [--requests 2000] [--blocks 5]

bench/submit_visits.py measures the server under load; its requests per second move with the machine's
other load, and its CPU times with the contention of gunicorn's threads. This script takes both away:
one thread calls Django's WSGI handler directly (the same settings, middleware and URLs as the bench's
gunicorn: sessions in Redis, PostgreSQL with prepared statements), alternating blocks of requests to
the bare view (anonymous and logged in) and to POST api/visits/ with 40 answers, and reads the CPU time
of this process (the web side), of its PostgreSQL backend and of the Redis server from /proc. It prints
the median over blocks of CPU ms per request, and the filing's cost as a multiple of the bare view's:
the figure a change to the filing's code should move.
"""

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submit_visits import MISSION, admin_connection, build_world, drop_redis_keys, visit_body  # noqa: E402


def ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def redis_pid(url: str) -> int | None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per block")
    parser.add_argument("--blocks", type=int, default=5, help="blocks of each kind, taking turns")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = f"observa_cpu_bench_{os.getpid()}"
    os.environ.update(
        {
            "DATABASE_URL": f"{server}/{name}",
            "DJANGO_SETTINGS_MODULE": "bench._bench_settings",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "CACHE_KEY_PREFIX": name,
        }
    )
    with admin_connection(server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        identity = build_world(1)[0]
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection

        handler = WSGIHandler()
        redis_server = redis_pid(os.environ["REDIS_URL"])
        hz = os.sysconf("SC_CLK_TCK")
        logged_in = f"csrftoken={identity['csrf']}; sessionid={identity['session']}"
        anonymous = f"csrftoken={identity['csrf']}"
        rng = random.Random(1)

        def request(path: str, cookie: str) -> int:
            body = json.dumps(visit_body(rng)[0]).encode()
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": path,
                "SCRIPT_NAME": "",
                "QUERY_STRING": "",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "80",
                "SERVER_PROTOCOL": "HTTP/1.1",
                "REMOTE_ADDR": "127.0.0.1",
                "HTTP_HOST": "127.0.0.1",
                "CONTENT_TYPE": "application/json",
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_COOKIE": cookie,
                "HTTP_X_CSRFTOKEN": identity["csrf"],
                "wsgi.input": io.BytesIO(body),
                "wsgi.url_scheme": "http",
                "wsgi.errors": sys.stderr,
                "wsgi.multithread": True,
                "wsgi.multiprocess": True,
                "wsgi.run_once": False,
                "wsgi.version": (1, 0),
            }
            status = []
            response = handler(environ, lambda s, headers, exc_info=None: status.append(s))
            b"".join(response)
            response.close()
            return int(status[0].split()[0])

        kinds = {
            "bare view, anonymous": ("/bench/baseline/", anonymous),
            "bare view, logged in": ("/bench/baseline/", logged_in),
            "POST api/visits/, 40 answers": (f"/m/{MISSION}/api/visits/", logged_in),
        }
        for path, cookie in kinds.values():  # warm up: connections, caches, prepared statements
            for _ in range(50):
                request(path, cookie)
        backend = connection.connection.info.backend_pid
        costs = {kind: {"web": [], "database": [], "redis": [], "wall": []} for kind in kinds}
        for _block in range(args.blocks):
            for kind, (path, cookie) in kinds.items():
                before = (time.process_time(), ticks(backend), ticks(redis_server), time.perf_counter())
                for _ in range(args.requests):
                    status = request(path, cookie)
                    if status != 201:
                        raise RuntimeError(f"{kind}: HTTP {status}")
                after = (time.process_time(), ticks(backend), ticks(redis_server), time.perf_counter())
                per = 1000 / args.requests
                costs[kind]["web"].append((after[0] - before[0]) * per)
                costs[kind]["database"].append((after[1] - before[1]) / hz * per)
                costs[kind]["redis"].append((after[2] - before[2]) / hz * per)
                costs[kind]["wall"].append((after[3] - before[3]) * per)
        connection.close()
    finally:
        with admin_connection(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        drop_redis_keys(os.environ["REDIS_URL"], name)

    print(
        f"\nCPU per request, one thread in-process, median of {args.blocks} blocks of {args.requests} "
        f"(web: this process; database: its PostgreSQL backend; redis: the server)"
    )
    print(f"{'':32}{'web ms':>9}{'database':>10}{'redis':>8}{'total':>8}{'wall ms':>9}")
    totals = {}
    for kind, cost in costs.items():
        median = {part: statistics.median(values) for part, values in cost.items()}
        totals[kind] = median["web"] + median["database"] + median["redis"]
        print(
            f"{kind:32}{median['web']:9.3f}{median['database']:10.3f}{median['redis']:8.3f}"
            f"{totals[kind]:8.3f}{median['wall']:9.3f}"
        )
    filing = totals["POST api/visits/, 40 answers"]
    print(
        f"a filing costs {filing / totals['bare view, anonymous']:.2f} times the anonymous bare view's CPU and "
        f"{filing / totals['bare view, logged in']:.2f} times the logged-in one's (under gunicorn, its HTTP "
        f"work and the client's add the same to each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
