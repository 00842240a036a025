"""The finance 看板 at two province sizes side by side (issue 13 §2: within 1.5× from 250 to 2,000
departments).

    .venv/bin/python -m bench.dashboard [--sizes 250,2000] [--repeat 15]
                                        [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
    .venv/bin/python -m bench.dashboard --urls URL,URL     # provinces loaded and evaluated already

Each size is a scratch PostgreSQL database (created and dropped here, as ``bench.run`` does), loaded
with the generated province, evaluated by the engine (monitoring of the month, self-assessment) and
vacuumed, as autovacuum would have by then. Then one process calls ``dashboard_data`` for finance
over every department on each database in turn, ``--repeat`` rounds after a warm one, so a busy
machine slows both alike. Prints seconds (best and median), statements and the ratio to the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.run import DEFAULT_PG, Scratch, _run_phase


def timed(urls: list[str], month: int, repeat: int) -> list[dict]:
    """In a child process: each database's dashboard, round after round."""
    from sqlalchemy import event

    from bench.run import _app
    from tracker.auth.models import User
    from tracker.extensions import db
    from tracker.reports.dashboard import dashboard_data

    finance = User(username="bench-finance", role="finance", password_hash="-", active=True)  # unstored
    apps = [_app(url) for url in urls]
    results = []
    for app in apps:
        with app.app_context():
            data = dashboard_data(finance, year=2023, month=month)
            statements: list[str] = []
            event.listen(db.engine, "before_cursor_execute", lambda *a, seen=statements: seen.append(a[2]))
            results.append({"departments": data["department_count"], "seconds": [], "sql": statements})
    for _ in range(repeat):
        for app, result in zip(apps, results, strict=True):
            with app.app_context():
                result["sql"].clear()
                started = time.perf_counter()
                dashboard_data(finance, year=2023, month=month)
                result["seconds"].append(time.perf_counter() - started)
                db.session.remove()
    return [
        {
            "departments": r["departments"],
            "best": min(r["seconds"]),
            "median": statistics.median(r["seconds"]),
            "statements": len(r["sql"]),
        }
        for r in results
    ]


def _vacuum(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _measure(urls: list[str], args: argparse.Namespace) -> list[dict]:
    command = [sys.executable, "-m", "bench.dashboard", "--child", ",".join(urls)]
    command += ["--month", str(args.month), "--repeat", str(args.repeat)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"dashboard timing failed:\n{done.stderr[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def main(args: argparse.Namespace) -> None:
    if args.urls:
        rows = _measure(args.urls.split(","), args)
    else:
        scratches = []
        with tempfile.TemporaryDirectory() as tmp:
            try:
                for size in (int(size) for size in args.sizes.split(",")):
                    scratch = Scratch("postgresql", args.pg_url, Path(tmp))
                    scratches.append(scratch)
                    phase_args = argparse.Namespace(departments=size, month=args.month, import_rows=0)
                    for phase in ("load", "monitoring", "self-assessment"):
                        result = _run_phase(phase, scratch.url, phase_args)
                        print(
                            f"  {size:>6} {phase:<16} {result['seconds']:.1f}s", file=sys.stderr, flush=True
                        )
                    _vacuum(scratch.url)
                rows = _measure([s.url for s in scratches], args)
            finally:
                for scratch in scratches:
                    scratch.drop()
    base = rows[0]["best"]
    print(f"\nfinance dashboard, month {args.month}, PostgreSQL, best and median of {args.repeat} rounds")
    print(f"{'departments':>12}{'best s':>9}{'median s':>10}{'statements':>12}{'× first':>9}")
    for r in rows:
        print(
            f"{r['departments']:>12}{r['best']:>9.3f}{r['median']:>10.3f}{r['statements']:>12}{r['best'] / base:>9.2f}"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="250,2000")
    parser.add_argument("--urls", help="time these loaded and evaluated databases instead")
    parser.add_argument("--month", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--child", metavar="URLS", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse()
    if arguments.child:
        print("RESULT " + json.dumps(timed(arguments.child.split(","), arguments.month, arguments.repeat)))
    else:
        main(arguments)
