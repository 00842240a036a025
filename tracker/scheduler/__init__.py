"""tracker.scheduler — the scheduler process, named jobs, the run ledger and the leader lock."""

from __future__ import annotations

import click
from flask import Flask, current_app


@click.command("scheduler", help="启动定时任务进程（APScheduler，Asia/Shanghai；第二个进程自动待命）。")
@click.option("--catch-up-only", is_flag=True, help="只补跑漏掉的周期，然后退出。")
def scheduler_command(catch_up_only: bool) -> None:
    import logging

    from tracker.scheduler import runner

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if catch_up_only:
        lock = runner.leader_lock(app)
        if not lock.acquire():
            click.echo("另一个调度进程正在运行。")
            return
        try:
            click.echo(f"补跑 {len(runner.catch_up())} 个任务。")
        finally:
            lock.release()
        return
    runner.serve(app)


def init_app(app: Flask) -> None:
    """Register this domain's blueprints and CLI commands."""
    from tracker.cli import tracker_cli
    from tracker.scheduler.views import blueprint

    tracker_cli.add_command(scheduler_command)
    app.register_blueprint(blueprint)
