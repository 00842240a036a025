"""Failed logins are counted in one store that every worker shares (Redis), per user name and
address and per address: two gunicorn servers over one Redis together allow only N failures."""

from __future__ import annotations

import uuid

import pytest

from tests.ops.servers import PASSWORD, Browser, base_env, gunicorn, migrated_database, new_secret

REDIS = "redis://127.0.0.1:6379"

pytestmark = pytest.mark.xdist_group("gunicorn")


def _redis():
    redis = pytest.importorskip("redis")
    try:
        client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
        client.ping()
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"no Redis at {REDIS}: {exc}")
    return client


def test_two_workers_sharing_redis_together_allow_only_n_failures(tmp_path):
    client = _redis()
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    migrated_database(tmp_path, "alice")
    env = base_env(
        tmp_path,
        SECRET_KEY=new_secret(),
        SESSION_COOKIE_SECURE="0",
        RATELIMIT_STORAGE_URI=REDIS,
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="6 per minute",
    )
    try:
        with gunicorn(tmp_path, env, name="one") as one, gunicorn(tmp_path, env, name="two") as two:
            first, second = Browser(one), Browser(two)
            # Three failures for one user, alternating between the workers: the fourth is refused by both.
            assert [
                first.login("alice", "wrong"),
                second.login("alice", "wrong"),
                first.login("alice", "wrong"),
            ] == [
                401,
                401,
                401,
            ]
            assert second.login("alice", PASSWORD) == 429
            assert first.login("alice", PASSWORD) == 429
            # Other user names from the same address: the address has three failures left in all.
            assert [first.login("bob0", "x"), second.login("bob1", "x"), first.login("bob2", "x")] == [
                401
            ] * 3
            assert second.login("bob3", "x") == 429
            assert first.login("bob4", "x") == 429
        assert any(key.decode().find(prefix) >= 0 for key in client.scan_iter(f"*{prefix}*"))
    finally:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
