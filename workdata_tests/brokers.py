"""Redis and RabbitMQ of the tests: reachable, or a clear reason to skip (as workdata_tests.pg for
PostgreSQL)."""

from __future__ import annotations

import os
from functools import cache

import pytest

REDIS_URL = os.environ.get("WORKDATA_TEST_REDIS_URL", "redis://127.0.0.1:6379")
RABBITMQ_URL = os.environ.get("WORKDATA_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


@cache
def redis_unreachable_reason() -> str | None:
    """Why Redis cannot be used, or None."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to reach it is a reason to skip, named
        return f"Redis at {REDIS_URL} is not reachable ({type(exc).__name__}: {exc})"
    return None


@cache
def rabbitmq_unreachable_reason() -> str | None:
    """Why RabbitMQ cannot be used, or None."""
    try:
        from kombu import Connection

        with Connection(RABBITMQ_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure to reach it is a reason to skip, named
        return f"RabbitMQ at {RABBITMQ_URL} is not reachable ({type(exc).__name__}: {exc})"
    return None


def require_redis() -> None:
    """Skip the calling test, with the reason, when Redis is not reachable."""
    reason = redis_unreachable_reason()
    if reason:
        pytest.skip(reason)


def require_rabbitmq() -> None:
    """Skip the calling test, with the reason, when RabbitMQ is not reachable."""
    reason = rabbitmq_unreachable_reason()
    if reason:
        pytest.skip(reason)


if __name__ == "__main__":  # ./dev test: say up front which services the tests will find
    for name, reason in (("Redis", redis_unreachable_reason()), ("RabbitMQ", rabbitmq_unreachable_reason())):
        print(f"{name}: {reason or 'reachable'}")
