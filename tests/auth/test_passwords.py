"""Passwords are argon2id at one of OWASP's parameter sets (m = 7 MiB, t = 5, p = 1), and a hash made
with other parameters — argon2-cffi's default, or the 19 MiB, t = 2 set this tracker used before — is made again with these on the next successful login (issue 13 §3)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from tests.reporting.world import PASSWORD
from tracker.auth.passwords import MEMORY_COST, PARALLELISM, TIME_COST, hash_password
from tracker.extensions import db


def _parameters(password_hash: str) -> tuple:
    p = extract_parameters(password_hash)
    return p.type, p.memory_cost, p.time_cost, p.parallelism


def test_a_new_hash_has_owasps_parameters():
    assert (MEMORY_COST, TIME_COST, PARALLELISM) == (7168, 5, 1)
    assert _parameters(hash_password("a password")) == (Type.ID, 7168, 5, 1)


@pytest.mark.parametrize("old_parameters", [(3, 65536, 4), (2, 19456, 1)], ids=["argon2-cffi", "19MiB-t2"])
def test_a_hash_of_old_parameters_is_made_again_on_a_successful_login(client, world, session, old_parameters):
    time_cost, memory_cost, parallelism = old_parameters
    old = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism).hash(PASSWORD)
    world.reporter.password_hash = old
    session.commit()

    response = client.post("/login", data={"username": "r801001", "password": PASSWORD})

    assert response.status_code == 302
    db.session.refresh(world.reporter)
    assert world.reporter.password_hash != old
    assert _parameters(world.reporter.password_hash) == (Type.ID, 7168, 5, 1)
    client.post("/logout")
    assert client.post("/login", data={"username": "r801001", "password": PASSWORD}).status_code == 302


def test_a_failed_login_leaves_an_old_hash_alone(client, world, session):
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash(PASSWORD)
    world.reporter.password_hash = old
    session.commit()

    assert (
        client.post("/login", data={"username": "r801001", "password": "wrong password"}).status_code == 401
    )

    db.session.refresh(world.reporter)
    assert world.reporter.password_hash == old
