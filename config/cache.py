"""Django's Redis cache, with one redis-py client per connection pool instead of one per call.

Django's RedisCacheClient.get_client() builds a new redis.Redis for every cache operation, and
redis-py's constructor copies its table of response callbacks each time: reading the session of a
logged-in request spent more CPU building that client than sending the GET (py-spy on
bench/submit_visits.py). A redis.Redis on a ConnectionPool holds no connection of its
own (it takes one from the pool for each command and gives it back), so one client per pool can be
shared by the threads of a worker, and the pool itself starts afresh in a forked process.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
