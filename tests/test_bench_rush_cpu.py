"""The rush bench's CPU split: what a flow and a GET /login cost the server, the load generator and
the rest of the machine, from the counts it takes around a phase."""

from __future__ import annotations

import time
from types import SimpleNamespace

from bench import rush


def test_the_machine_counts_the_busy_time_of_work_done_here():
    before, own = rush._machine_cpu_seconds(), time.process_time()
    while time.process_time() - own < 0.3:
        sum(range(1000))
    # The counter ticks in 1/100 s and counts every core: at least this process's work, less a tick.
    assert rush._machine_cpu_seconds() - before >= 0.3 - 0.02


def test_a_phase_splits_into_server_load_generator_and_the_rest_per_flow():
    sampler = SimpleNamespace(cpu=8.0, generator_cpu=0.5, machine_cpu=10.5)
    server, generator, rest = rush._cpu_split(sampler, 100)
    assert (round(server, 6), round(generator, 6), round(rest, 6)) == (0.08, 0.005, 0.02)


def test_the_rest_is_never_negative_when_the_counters_disagree_by_a_tick():
    sampler = SimpleNamespace(cpu=1.0, generator_cpu=0.2, machine_cpu=1.19)
    assert rush._cpu_split(sampler, 10)[2] == 0.0
    assert rush._cpu_split(sampler, 0)[0] == 1.0  # an empty phase divides by one, not by zero
