"""Password hashing: argon2id at one of OWASP's recommended parameter sets (Password Storage Cheat
Sheet: m = 46/19/12/9/7 MiB with t = 1/2/3/4/5, p = 1, "an equal level of defense", trading memory
for passes). A hash made with other parameters still verifies, and is made again with these on the
next successful login (:func:`verify`).

We take m = 7 MiB, t = 5: on the bench machine a verify costs 15.7 ms of CPU against 20.2 ms at
19 MiB, t = 2 and 54 ms at 46 MiB, t = 1 (filling fresh pages is what costs), and every login in
flight holds 7 MiB, not 19.

argon2-cffi's default (64 MiB, t = 3, p = 4) cost a worker 64 MiB a thread while the 5th of the
month's logins ran at once (issue 13 §3).
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["TIME_COST", "MEMORY_COST", "PARALLELISM", "hash_password", "verify", "dummy_verify"]

#: argon2id's time cost (passes), memory cost (KiB) and parallelism (lanes).
TIME_COST, MEMORY_COST, PARALLELISM = 5, 7 * 1024, 1
_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST, parallelism=PARALLELISM)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, the hash to store instead): a matching hash made with other parameters is made
    again with the parameters above."""
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None)


@functools.cache
def _dummy_hash() -> str:
    # Made on first use: a command's start-up would otherwise pay for a hash it never needs.
    return _hasher.hash("not-a-real-password")


def dummy_verify(password: str) -> None:
    """Spend a verification's time when the user does not exist, so timing does not reveal names."""
    verify(_dummy_hash(), password)
