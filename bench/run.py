"""Time import, monitoring and self-assessment at province scale on SQLite and PostgreSQL.

    .venv/bin/python -m bench.run [--departments 2000] [--backends postgresql,sqlite]
                                  [--import-rows 50000] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                  [--phases monitoring-fork,monitoring-serial,self-assessment-fork,…]

``--phases`` picks the timed phases, in order (the generated data is loaded before the first one
that reads it); ``monitoring-fork`` / ``monitoring-serial`` (and the self-assessment's) force the
fork pipeline or serial execution, ``monitoring`` runs as configured.

Each timed phase runs in its own process, so its peak memory (``ru_maxrss``) is its own. PostgreSQL
runs in a scratch database created and dropped here; SQLite in a temporary file. Prints one table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# ---------------------------------------------------------------- phases (run in a child process)


def _app(url: str):
    from tracker import create_app

    return create_app("production", web=False, SQLALCHEMY_DATABASE_URI=url)


def phase_load(url: str, departments: int, month: int, projects: Callable[[int], int] | None = None) -> dict:
    """The generated province bulk loaded; ``projects`` (department number → its projects) makes
    some departments wider than the generator's 20 projects (the rush bench's 1,000-indicator form)."""
    from bench.generate import PROJECTS_PER_DEPARTMENT, TABLE_ORDER, generate
    from tracker.evaluation.bulk import bulk_insert
    from tracker.extensions import db

    app = _app(url)
    with app.app_context():
        db.create_all()
        tables = db.metadata.tables
        started = time.perf_counter()
        indicators = rows = 0
        with db.engine.begin() as connection:
            for chunk in generate(departments, month=month, projects=projects or PROJECTS_PER_DEPARTMENT):
                for name in TABLE_ORDER:
                    rows += bulk_insert(connection, tables[name], chunk.rows.get(name, []))
                indicators += chunk.indicators
            if connection.dialect.name == "postgresql":
                for name in TABLE_ORDER:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))"
                        )
                    )
        # What autovacuum would have done by the time a month is evaluated: without it the first
        # reader of freshly copied rows pays for setting their visibility hints (≈ 4 s here).
        vacuum = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(vacuum))
        seconds = time.perf_counter() - started
        with db.engine.connect() as connection:
            bureaus = connection.execute(text("SELECT count(*) FROM bureau")).scalar()
        note = f"{bureaus} bureaus (packs: {_pack_spread(app)})" if bureaus else "no bureau tree"
        return {"rows": rows, "indicators": indicators, "seconds": seconds, "note": note}


def _pack_spread(app) -> str:
    """How many departments each pack evaluates, as ``tracker rule-packs`` counts them."""
    from tracker.budget.packs import pack_uses

    with app.app_context():
        return ", ".join(f"{name} {use.departments}" for name, use in pack_uses().items() if use.departments)


def phase_evaluate(url: str, kind: str, month: int, parallel: bool | None = None) -> dict:
    from tracker.evaluation import service
    from tracker.extensions import db

    app = _app(url)
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connect outside the timing
        started, cpu = time.perf_counter(), _cpu()
        summary = service.evaluate_all(
            kind, 2023, month if kind == service.MONITORING else None, parallel=parallel
        )
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    note = {None: "as configured", True: "fork pipeline", False: "serial"}[parallel]
    return {
        "rows": summary.rows,
        "indicators": summary.indicators,
        "seconds": seconds,
        "cpu": cpu,
        "note": note,
    }


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the forked chunk workers), user and
    system: what the run cost the machine here, whatever else shares the cores (the database
    server's share is not in it)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def phase_dashboard(url: str, month: int) -> dict:
    """The finance 看板 over every department, read from the stored runs of the phases before."""
    from tracker.auth.models import User
    from tracker.reports.dashboard import dashboard_data

    app = _app(url)
    with app.app_context():
        finance = User(username="bench-finance", role="finance", password_hash="-", active=True)  # unstored
        started = time.perf_counter()
        data = dashboard_data(finance, year=2023, month=month)
        seconds = time.perf_counter() - started
    from bench.generate import DEPARTMENT_TARGETS, PROJECT_TARGETS, PROJECTS_PER_DEPARTMENT

    per_department = len(PROJECT_TARGETS) * PROJECTS_PER_DEPARTMENT + len(DEPARTMENT_TARGETS)
    indicators = data["department_count"] * per_department
    return {
        "rows": data["department_count"],
        "indicators": indicators,
        "seconds": seconds,
        "note": f"stored runs; table lists the worst {len(data['departments'])}",
    }


def _targets_csv(path: Path, rows: int) -> int:
    from bench.generate import PROJECT_TARGETS

    header = [
        "年度",
        "部门编码",
        "部门名称",
        "单位编码",
        "单位名称",
        "项目编码",
        "项目名称",
        "项目类型",
        "项目金额(万元)",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值",
        "指标值说明",
    ]
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        project = 0
        while written < rows:
            project += 1
            department = 800 + project // 200
            unit = f"{department}{(project % 4) + 1:03d}"
            code = f"41089{department:06d}{project:09d}"
            for level1, name, target, _kind in PROJECT_TARGETS:
                writer.writerow(
                    [
                        2023,
                        department,
                        f"导入部门{department}",
                        unit,
                        f"导入单位{unit}",
                        code,
                        f"导入项目{project}",
                        "其他运转类",
                        "50.00",
                        level1,
                        "",
                        name,
                        target.format(budget="50.00"),
                        "",
                    ]
                )
                written += 1
    return written


def phase_import(url: str, rows: int) -> dict:
    from tracker.extensions import db
    from tracker.targets.imports import run_import

    app = _app(url)
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        db.create_all()
        path = Path(tmp) / "targets.csv"
        written = _targets_csv(path, rows)
        started = time.perf_counter()
        report = run_import("targets", path, filename=path.name)
        seconds = time.perf_counter() - started
        if not report.ok:
            raise SystemExit("import failed: " + "; ".join(str(e) for e in report.errors[:5]))
    return {"rows": written, "indicators": written, "seconds": seconds}


#: The "plain in-memory pass" a one-department command is compared with (issue §6): a fresh
#: interpreter that imports SQLAlchemy, reads the department's indicators, counted actuals and
#: spending with Core selects and goes over them once. No app, no rules, no writes.
PLAIN_PASS = """
import sys
from sqlalchemy import create_engine, select, table, column
url, code, year, month = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
department = table("department", column("id"), column("code"))
indicator = table("indicator", column("id"), column("department_id"), column("year"), column("target"),
                  column("comparator"), column("target_low"), column("target_high"), column("mode"))
report = table("monthly_report", column("id"), column("department_id"), column("year"), column("month"))
actual = table("indicator_actual", column("indicator_id"), column("report_id"), column("actual"),
               column("grade"))
spending = table("spending_entry", column("department_id"), column("year"), column("month"),
                 column("amount"))
total = 0
with create_engine(url).connect() as conn:
    dep = conn.execute(select(department.c.id).where(department.c.code == code)).scalar_one()
    rows = conn.execute(select(indicator).where(indicator.c.department_id == dep,
                                                indicator.c.year == year)).all()
    actuals = {r.indicator_id: r for r in conn.execute(
        select(actual.c.indicator_id, actual.c.actual, actual.c.grade)
        .join(report, report.c.id == actual.c.report_id)
        .where(report.c.department_id == dep, report.c.year == year, report.c.month == month))}
    money = conn.execute(select(spending.c.amount).where(
        spending.c.department_id == dep, spending.c.year == year, spending.c.month <= month)).all()
    for r in rows:
        a = actuals.get(r.id)
        if a is not None and a.actual is not None and r.target_low:
            total += a.actual / r.target_low
    total += sum(m.amount for m in money)
print(len(rows), len(actuals), len(money))
"""


def _wall(command: list[str], env: dict[str, str]) -> float:
    """Best of three wall times of a fresh process (start-up included)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return min(times)


def phase_cli(url: str, month: int) -> dict:
    """One department from the command line (``flask --app wsgi tracker evaluate monitoring …
    --json``), start-up included, and the plain in-memory pass over the same rows beside it."""
    env = {**os.environ, "DATABASE_URL": url}
    cli = [sys.executable, "-m", "flask", "--app", "wsgi", "tracker", "evaluate", "monitoring"]
    cli += ["--year", "2023", "--month", str(month), "--department", "101", "--json"]
    cli_seconds = _wall(cli, env)
    plain_seconds = _wall([sys.executable, "-c", PLAIN_PASS, url, "101", "2023", str(month)], env)
    from bench.generate import DEPARTMENT_TARGETS, PROJECT_TARGETS, PROJECTS_PER_DEPARTMENT

    indicators = len(PROJECT_TARGETS) * PROJECTS_PER_DEPARTMENT + len(DEPARTMENT_TARGETS)
    return {
        "rows": indicators,
        "indicators": indicators,
        "seconds": cli_seconds,
        "note": f"plain pass {plain_seconds:.2f}s (python -c); CLI = {cli_seconds / plain_seconds:.1f}x",
        "plain_seconds": plain_seconds,
    }


PHASES: dict[str, Callable[..., dict]] = {
    "load": lambda a: phase_load(a.url, a.departments, a.month),
    "monitoring": lambda a: phase_evaluate(a.url, "monitoring", a.month),
    "monitoring-fork": lambda a: phase_evaluate(a.url, "monitoring", a.month, parallel=True),
    "monitoring-serial": lambda a: phase_evaluate(a.url, "monitoring", a.month, parallel=False),
    "self-assessment": lambda a: phase_evaluate(a.url, "self_assessment", a.month),
    "self-assessment-fork": lambda a: phase_evaluate(a.url, "self_assessment", a.month, parallel=True),
    "self-assessment-serial": lambda a: phase_evaluate(a.url, "self_assessment", a.month, parallel=False),
    "import": lambda a: phase_import(a.url, a.import_rows),
    "cli": lambda a: phase_cli(a.url, a.month),
    "dashboard": lambda a: phase_dashboard(a.url, a.month),
}


def child(args: argparse.Namespace) -> None:
    result = PHASES[args.phase](args)
    # The largest of this process and its children (the forked workers of a parallel run).
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    result["peak_mib"] = peak / 1024
    print("RESULT " + json.dumps(result))


# ---------------------------------------------------------------- orchestration


def _run_phase(phase: str, url: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        "-m",
        "bench.run",
        "--phase",
        phase,
        "--url",
        url,
        "--departments",
        str(args.departments),
        "--month",
        str(args.month),
        "--import-rows",
        str(args.import_rows),
    ]
    completed = subprocess.run(command, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"phase {phase} failed:\n{completed.stderr[-3000:]}")


class Scratch:
    """A scratch database: a PostgreSQL database created and dropped, or an SQLite file."""

    def __init__(self, backend: str, pg_url: str, tmp: Path):
        self.backend = backend
        if backend == "postgresql":
            self.admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
            self.name = f"tracker_bench_{uuid.uuid4().hex[:10]}"
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = make_url(pg_url).set(database=self.name).render_as_string(hide_password=False)
        else:
            self.url = f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"

    def drop(self) -> None:
        if self.backend == "postgresql":
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.admin.dispose()


def main(args: argparse.Namespace) -> None:
    table = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            data = Scratch(backend, args.pg_url, Path(tmp))
            imports = Scratch(backend, args.pg_url, Path(tmp))
            try:
                phases = [(phase, imports.url if phase == "import" else data.url) for phase in _phases(args)]
                done: set[str] = set()
                for phase, url in phases:
                    result = _run_phase(phase, url, args)
                    label = {
                        "import": "import-targets (run_import)",
                        "load": "load (bulk, generated)",
                        "cli": "CLI one department",
                        "dashboard": "dashboard (finance, all)",
                    }.get(phase, phase)
                    # A run of a kind already stored replaces it (the monthly job's steady state).
                    stored = phase.removesuffix("-fork").removesuffix("-serial")
                    if stored in done:
                        label += " (replaces)"
                    done.add(stored)
                    table.append((backend, label, result))
                    if phase == "cli":
                        plain = {**result, "seconds": result["plain_seconds"], "note": "python -c, same rows"}
                        table.append((backend, "plain in-memory pass", plain))
                    print(
                        f"  {backend:<10} {label:<28} {result['seconds']:.2f}s", file=sys.stderr, flush=True
                    )
            finally:
                data.drop()
                imports.drop()
    cores = os.cpu_count()
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {cores} cores"
    print(f"\n{args.departments} departments, month {args.month} ({load})")
    print(
        f"{'backend':<11}{'phase':<36}{'rows':>10}{'indicators':>12}{'seconds':>9}{'ind/s':>10}"
        f"{'cpu s':>8}{'peak MiB':>10}  note"
    )
    for backend, label, r in table:
        rate = r["indicators"] / r["seconds"] if r["seconds"] else 0
        print(
            f"{backend:<11}{label:<36}{r['rows']:>10}{r['indicators']:>12}{r['seconds']:>9.2f}{rate:>10.0f}"
            f"{_cpu_column(r):>8}{r['peak_mib']:>10.0f}  {r.get('note', '')}"
        )


def _cpu_column(result: dict) -> str:
    return f"{result['cpu']:.2f}" if "cpu" in result else ""


DEFAULT_PHASES = "import,monitoring,monitoring,self-assessment,dashboard,cli"


def _phases(args: argparse.Namespace) -> list[str]:
    """The phases asked for, with ``load`` before the first that reads the generated data."""
    phases = [phase for phase in args.phases.split(",") if phase]
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        raise SystemExit(f"unknown phases: {', '.join(unknown)} (known: {', '.join(sorted(PHASES))})")
    if "load" not in phases:
        first = next((i for i, phase in enumerate(phases) if phase != "import"), None)
        if first is not None:
            phases.insert(first, "load")
    return phases


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--departments", type=int, default=2000)
    parser.add_argument("--month", type=int, default=7)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--import-rows", type=int, default=50000)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--phases", default=DEFAULT_PHASES, help="timed phases, in order (comma-separated)")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.phase:
        child(arguments)
    else:
        main(arguments)
