"""The 5th of the month (issue 13 §3–§4): N clerks of different units log in, open the month's form,
preview 3 lamps, save and submit at once, against gunicorn on this machine; and the 1,000-indicator
form's GET and save.

    .venv/bin/python -m bench.rush [--clerks 200] [--departments 250] [--phases form,login,rush]
                                   [--url postgresql+psycopg://postgres@127.0.0.1:5432/bench_rush]

The database named by ``--url`` is created here (dropped first if it is there), loaded with the
generated province (``bench.generate``; department 101's first unit has ``--form-indicators``
indicators for the ``form`` phase) and dropped at the end (``--keep`` leaves it). One reporter
account per unit, all with one password hash made once. gunicorn runs as production does
(``gunicorn -w 2 --threads 4 wsgi:app``: production configuration, a fresh SECRET_KEY, rate limits
in the local redis under a key prefix of this run), on a free loopback port.

Phases, in the order given:

- ``solo``: ``--solo`` clerks (15) one after the other, nothing else in flight, after 5 that warm
  the workers up: the workers' CPU time of each request type, and of a flow in GET /login.
- ``form``: one clerk alone; the 1,000-indicator form's GET and a save of every value (each save
  changes every value), median of ``--repeat``.
- ``login``: the yardstick, N clerks sending 8 ``GET /login`` each (as many requests as a flow).
- ``rush``: N clerks, no think time, one flow each.

Load and clerks are bounded: ``--clerks`` ≤ 1,000 and ≤ the units loaded, and each phase stops at
``--max-seconds``. Prints one table; throughput and p95 also as multiples of the yardstick's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import clerks
from bench.run import phase_load

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_rush"
YEAR, LOADED_MONTH, MONTH = 2023, 7, 8  # July is loaded approved; the clerks fill August
PASSWORD = "bench-rush-password-1"
FORM_UNIT, FORM_USER = "101001", "rush-form"
MAX_CLERKS = 1000
KINDS = ("login GET", "login POST", "form GET", "lamp POST", "save POST", "submit POST")
PHASES = ("form", "solo", "login", "rush")
#: Clerks of the solo phase, counted after as many warming up (the last units: the rush's clerks
#: are the first).
SOLO = 5


# ---------------------------------------------------------------- database and accounts


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def create_database(url: str) -> None:
    name = make_url(url).database
    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    admin = _admin(url)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def load(url: str, departments: int, form_indicators: int) -> tuple[dict, list[tuple[str, str]]]:
    """The province, and (username, unit code) of a reporter per unit (department 101's first unit
    is the form phase's, not a clerk's)."""
    from bench.generate import NOW, PROJECT_TARGETS, PROJECTS_PER_DEPARTMENT, UNITS_PER_DEPARTMENT

    wide = max(1, form_indicators // len(PROJECT_TARGETS)) * UNITS_PER_DEPARTMENT
    result = phase_load(
        url, departments, LOADED_MONTH, projects=lambda d: wide if d == 1 else PROJECTS_PER_DEPARTMENT
    )
    from bench.run import _app
    from tracker.auth.models import User
    from tracker.auth.passwords import hash_password
    from tracker.evaluation.bulk import bulk_insert
    from tracker.extensions import db

    app = _app(url)
    with app.app_context():
        units = db.session.execute(text("SELECT id, code FROM unit ORDER BY department_id, code")).all()
        # argon2 costs tens of milliseconds a hash: one hash, every account.
        shared = hash_password(PASSWORD)
        rows, accounts = [], []
        for number, (unit_id, code) in enumerate(units, start=1):
            username = FORM_USER if code == FORM_UNIT else f"rush{code}"
            rows.append(
                {
                    "id": number,
                    "username": username,
                    "password_hash": shared,
                    "role": "reporter",
                    "display_name": username,
                    "unit_id": unit_id,
                    "active": True,
                    "created_at": NOW,
                }
            )
            if code != FORM_UNIT and not code.startswith("101"):
                accounts.append((username, code))
        with db.engine.begin() as connection:
            bulk_insert(connection, User.__table__, rows)
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('user', 'id'), (SELECT max(id) FROM \"user\"))")
            )
    return result, accounts


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as production runs it, on a free loopback port, its log in ``log_path``."""

    def __init__(self, url: str, workers: int, threads: int, log_path: Path, redis: str):
        self.port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_hex(32),
            "RATELIMIT_KEY_PREFIX": f"bench-rush-{uuid.uuid4().hex[:8]}",
            "SCHEDULER_ENABLED": "0",
        }
        env.pop("TRACKER_CONFIG", None)
        if redis:
            env["RATELIMIT_STORAGE_URI"] = redis
        else:
            env["RATELIMIT_ALLOW_MEMORY"] = "1"
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads)]
        command += ["-b", f"127.0.0.1:{self.port}", "wsgi:app"]
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}")
            browser = clerks.Browser("127.0.0.1", self.port, clerks.Recorder(), timeout=5)
            try:
                browser.request("ready", "GET", "/login")
                if len(self.workers()) >= 1:
                    return
            except clerks.Failed:
                time.sleep(0.5)
            finally:
                browser.close()
        raise SystemExit(f"gunicorn did not answer in {seconds:.0f}s:\n{self.log_path.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def cpu_seconds(self) -> float:
        """CPU time the workers have used (every thread's, from the scheduler's own count): what a
        request cost the server, whatever else the machine is running."""
        total = 0
        for pid in self.workers():
            for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
                with contextlib.suppress(OSError, ValueError, IndexError):  # a thread just ended
                    total += int(task.read_text().split()[0])
        return total / 1e9

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """Every half second while a phase runs: the workers' RSS and the database's connections."""

    def __init__(self, server: Server, url: str):
        self.server, self.engine = server, create_engine(url, pool_size=1)
        self.database = make_url(url).database
        self.rss_kib = self.connections = 0
        self.cpu = 0.0  # the workers' CPU seconds over the phase
        self.generator_cpu = self.machine_cpu = 0.0  # this process's; every core's busy time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.engine.dispose()

    def _run(self) -> None:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
        )
        with self.engine.connect() as connection:
            while not self._stop.is_set():
                # VmHWM: each worker's peak resident memory since it started.
                rss = max((_status_kib(pid, "VmHWM") for pid in self.server.workers()), default=0)
                self.rss_kib = max(self.rss_kib, rss)
                count = connection.execute(query, {"name": self.database}).scalar_one()
                self.connections = max(self.connections, count)
                connection.rollback()
                self._stop.wait(0.5)


# ---------------------------------------------------------------- phases


def phase_form(server: Server, repeat: int) -> dict:
    """The 1,000-indicator form alone on the server: GET, and saves that change every value."""
    recorder = clerks.Recorder()
    browser = clerks.Browser("127.0.0.1", server.port, recorder)
    path = f"/reports/{FORM_UNIT}/{YEAR}/{MONTH}"
    try:
        clerks.log_in(browser, FORM_USER, PASSWORD)
        page = browser.request("warm", "GET", path)
        form = clerks.read_form(page)
        gets, saves, get_cpu, save_cpu = [], [], [], []
        for round_ in range(repeat + 1):
            control = [("csrf_token", form.token), ("base_version", str(form.version)), ("action", "save")]
            values = form.values("1" if round_ % 2 else "0.9")  # every value changes each time
            cpu, started = server.cpu_seconds(), time.perf_counter()
            browser.request("form save", "POST", path, form=control + values, expect=302)
            saves.append(time.perf_counter() - started)  # the first one inserts the rows
            save_cpu.append(server.cpu_seconds() - cpu)
            cpu, started = server.cpu_seconds(), time.perf_counter()
            page = browser.request("form GET", "GET", path)
            gets.append(time.perf_counter() - started)
            get_cpu.append(server.cpu_seconds() - cpu)
            form = clerks.read_form(page)
    finally:
        browser.close()
    return {
        "indicators": len(form.rows),
        "html_kib": len(page) / 1024,
        "get": statistics.median(gets),
        "save": statistics.median(saves[1:]),
        "get_cpu": statistics.median(get_cpu),
        "save_cpu": statistics.median(save_cpu[1:]),
        "first_save": saves[0],
    }


def phase_solo(server: Server, accounts: list[tuple[str, str]]) -> dict[str, float]:
    """One clerk at a time through the flow, and GET /login as often: the server's CPU time of each
    request type (median), with nothing else in flight to share it with. The first ``SOLO`` flows
    warm the workers' threads (each thread's first argon2 hash and first pages cost several times
    a warm one's) and are not counted: a server on the 5th has been up for days.

    ``flow in GET /login`` is the median over the counted clerks of each one's flow against the
    GET /login sent just before it: a shared machine's speed drifts between seconds, not within one
    clerk's turn."""
    for username, unit in accounts[:SOLO]:
        browser = clerks.Browser("127.0.0.1", server.port, clerks.Recorder())
        try:
            clerks.clerk_flow(browser, username, PASSWORD, unit, YEAR, MONTH)
        finally:
            browser.close()
    costs: dict[str, list[float]] = {}
    ratios: list[float] = []
    for username, unit in accounts[SOLO:]:
        recorder = clerks.Recorder()
        browser = clerks.Browser("127.0.0.1", server.port, recorder, cpu=server.cpu_seconds)
        try:
            clerks.yardstick_flow(browser)
            clerks.clerk_flow(browser, username, PASSWORD, unit, YEAR, MONTH)
        finally:
            browser.close()
        mine: dict[str, list[float]] = {}
        for sample in recorder.samples:
            if sample.kind.endswith(" cpu"):
                mine.setdefault(sample.kind.removesuffix(" cpu"), []).append(sample.seconds)
        for kind, values in mine.items():
            costs.setdefault(kind, []).extend(values)
        ratios.append(sum(sum(mine[k]) for k in KINDS) / statistics.median(mine["yardstick GET /login"]))
    medians = {kind: statistics.median(values) for kind, values in costs.items()}
    return {**medians, "flow in GET /login": statistics.median(ratios), "clerks": len(ratios)}


def _machine_cpu_seconds() -> float:
    """CPU time every core of the machine has spent busy (/proc/stat): the server, the database,
    this load generator and anything else running."""
    with open("/proc/stat") as stat:
        # Not steal: the time the hypervisor gave this VM's cores to others.
        user, nice, system, _idle, _iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def phase_crowd(server: Server, url: str, flows: list, max_seconds: float) -> tuple[clerks.Crowd, Sampler]:
    with Sampler(server, url) as sampler:
        cpu, machine, own = server.cpu_seconds(), _machine_cpu_seconds(), time.process_time()
        outcome = clerks.crowd("127.0.0.1", server.port, flows, time.monotonic() + max_seconds)
        sampler.cpu = server.cpu_seconds() - cpu
        sampler.generator_cpu = time.process_time() - own
        sampler.machine_cpu = _machine_cpu_seconds() - machine
    return outcome, sampler


def _cpu_split(sampler: Sampler, count: int) -> tuple[float, float, float]:
    """A phase's CPU per flow (or per GET): the server's, the load generator's, the rest's (the
    database, mostly). Throughput follows their sum: all of them share the machine's cores."""
    count = max(count, 1)
    server, generator = sampler.cpu / count, sampler.generator_cpu / count
    return server, generator, max(sampler.machine_cpu / count - server - generator, 0.0)


# ---------------------------------------------------------------- the table


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def report(args: argparse.Namespace, loaded: dict, results: dict) -> None:
    print(
        f"\nbench.rush: {args.departments} departments ({loaded['indicators']:,} indicators), "
        f"{args.clerks} clerks, gunicorn -w {args.workers} --threads {args.threads}, PostgreSQL "
        f"{make_url(args.url).database}"
    )
    yard_p95 = yard_rps = yard_cpu = None
    #: Per phase, what is counted: flows done, or GET /login answered.
    counts = {"rush": results["rush"][0].flows} if "rush" in results else {}
    if "login" in results:
        crowd, sampler = results["login"]
        times = [s.seconds for s in crowd.recorder.samples if s.ok]
        counts["login"] = len(times)
        yard_rps, yard_p95 = len(times) / crowd.seconds, clerks.percentile(times, 95)
        yard_cpu = _cpu_split(sampler, len(times))[0]
    print(
        f"\n{'requests':<22}{'count':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p95 ×/login':>13}"
    )
    for phase in ("login", "rush"):
        if phase not in results:
            continue
        crowd, _sampler = results[phase]
        for kind in ["yardstick GET /login"] if phase == "login" else list(KINDS):
            samples = [s for s in crowd.recorder.samples if s.kind == kind]
            ok = [s.seconds for s in samples if s.ok]
            p95 = clerks.percentile(ok, 95)
            ratio = f"{p95 / yard_p95:.1f}" if yard_p95 else "–"
            print(
                f"{kind:<22}{len(samples):>7}{len(samples) - len(ok):>8}{_ms(clerks.percentile(ok, 50)):>9}"
                f"{_ms(p95):>9}{_ms(clerks.percentile(ok, 99)):>9}{ratio:>13}"
            )
    print()
    totals: dict[str, float] = {}
    for phase, label in (("login", "yardstick (GET /login)"), ("rush", "rush (clerks' flows)")):
        if phase not in results:
            continue
        crowd, sampler = results[phase]
        print(
            f"{label:<24}{crowd.seconds:6.1f}s  flows ok {crowd.flows}/{crowd.flows + crowd.failed}  "
            f"peak worker RSS {sampler.rss_kib / 1024:.0f} MiB  peak DB connections {sampler.connections}"
        )
        server_cpu, generator_cpu, rest_cpu = _cpu_split(sampler, counts[phase])
        split = (
            f"{'':<24}CPU a {'flow' if phase == 'rush' else 'GET /login'}: server {server_cpu * 1000:.1f} ms, "
            f"load generator {generator_cpu * 1000:.1f} ms, database and the rest {rest_cpu * 1000:.1f} ms"
        )
        totals[phase] = server_cpu + generator_cpu + rest_cpu
        if phase == "login":
            print(f"{'':<24}{yard_rps:.0f} GET /login a second; server CPU {_ms(yard_cpu)} ms a GET /login")
            print(split)
        else:
            line = f"{'':<24}{crowd.flows / crowd.seconds * 60:.0f} forms/minute; server CPU {_ms(server_cpu)} ms a flow"
            if yard_rps and yard_cpu and crowd.flows:
                by_rate = yard_rps / (crowd.flows / crowd.seconds)
                line += f"; one flow = {by_rate:.1f} GET /login by throughput, {server_cpu / yard_cpu:.1f} by server CPU (goal ≤ 40)"
            print(line)
            if "login" in totals:
                split += f"; all = {totals['rush'] / totals['login']:.1f} GET /login"
            print(split)
        for failure in sorted(set(crowd.failures))[:8]:
            print(f"    failed: {failure} (×{crowd.failures.count(failure)})")
    if "solo" in results:
        solo = results["solo"]
        kinds = [k for k in ("yardstick GET /login", *KINDS) if k in solo]
        print(
            f"one clerk alone, server CPU ms (median of {solo['clerks']:.0f}): "
            + ", ".join(f"{k} {_ms(solo[k])}" for k in kinds)
        )
        if "yardstick GET /login" in solo and all(k in solo for k in KINDS):
            flow = sum(solo[k] * (3 if k == "lamp POST" else 1) for k in KINDS)
            login = solo["yardstick GET /login"]
            print(
                f"{'':<24}a flow {_ms(flow)} ms = {flow / login:.1f} GET /login by the medians; "
                f"each clerk's flow against its own GET /login: median {solo['flow in GET /login']:.1f} "
                "(goal ≤ 40)"
            )
    if "form" in results:
        f = results["form"]
        print(
            f"form, {f['indicators']} indicators ({f['html_kib']:.0f} KiB), median of {args.repeat}: "
            f"GET {_ms(f['get'])} ms (goal ≤ 150), save of every value {_ms(f['save'])} ms (goal ≤ 100), "
            f"first save (inserts) {_ms(f['first_save'])} ms;\n{'':<24}server CPU: GET {_ms(f['get_cpu'])} ms, "
            f"save {_ms(f['save_cpu'])} ms"
        )


def main(args: argparse.Namespace) -> None:
    clerks.require_loopback(make_url(args.url).host or "localhost")
    phases = [p for p in args.phases.split(",") if p]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        raise SystemExit(f"unknown phases: {', '.join(unknown)} (known: {', '.join(PHASES)})")
    if not 1 <= args.clerks <= MAX_CLERKS:
        raise SystemExit(f"--clerks must be 1…{MAX_CLERKS}")
    if not 1 <= args.solo <= MAX_CLERKS:
        raise SystemExit(f"--solo must be 1…{MAX_CLERKS}")
    create_database(args.url)
    server = None
    try:
        started = time.perf_counter()
        loaded, accounts = load(args.url, args.departments, args.form_indicators)
        if len(accounts) < args.clerks + SOLO + args.solo:
            raise SystemExit(f"{len(accounts)} units for {args.clerks} clerks: load more --departments")
        print(
            f"  loaded {loaded['indicators']:,} indicators, {len(accounts) + 1} accounts in "
            f"{time.perf_counter() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )
        with tempfile.TemporaryDirectory() as tmp:
            server = Server(args.url, args.workers, args.threads, Path(tmp) / "gunicorn.log", args.redis)
            results: dict = {}
            for phase in phases:
                started = time.perf_counter()
                if phase == "form":
                    results["form"] = phase_form(server, args.repeat)
                elif phase == "solo":
                    results["solo"] = phase_solo(server, accounts[-(SOLO + args.solo) :])
                elif phase == "login":
                    flows = [clerks.yardstick_flow] * args.clerks
                    results["login"] = phase_crowd(server, args.url, flows, args.max_seconds)
                else:
                    flows = [
                        (lambda b, u=u, c=c: clerks.clerk_flow(b, u, PASSWORD, c, YEAR, MONTH))
                        for u, c in accounts[: args.clerks]
                    ]
                    results["rush"] = phase_crowd(server, args.url, flows, args.max_seconds)
                print(f"  {phase:<6} {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
            server.stop()
            server = None
        report(args, loaded, results)
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            drop_database(args.url)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.rush", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("BENCH_RUSH_URL", DEFAULT_URL),
        help="the PostgreSQL database to create, load and drop (default %(default)s)",
    )
    parser.add_argument("--departments", type=int, default=250)
    parser.add_argument("--clerks", type=int, default=200)
    parser.add_argument("--solo", type=int, default=15, help="clerks counted in the solo phase")
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--form-indicators", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7, help="rounds of the form phase")
    parser.add_argument("--max-seconds", type=float, default=180, help="ceiling of each crowd phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379", help="rate limits' store ('' counts in each worker)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the database")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse())
