"""``flask tracker scheduler``: the scheduler process (issue 4 §5)."""

from __future__ import annotations

import logging

import click
from flask import current_app

from tracker.core.log_ids import configure_logging
from tracker.reports.fonts import MissingFont, require_cjk_font
from tracker.scheduler import runner

log = logging.getLogger("tracker.scheduler")


@click.command("scheduler", help="启动定时任务进程（APScheduler，Asia/Shanghai；第二个进程自动待命）。")
@click.option("--catch-up-only", is_flag=True, help="只补跑漏掉的周期，然后退出。")
def scheduler_command(catch_up_only: bool) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Every line with the id of the job run it was written in (``[job-…]``), or ``[-]`` outside one.
    configure_logging(str(app.config.get("LOG_LEVEL") or "INFO"))
    logging.getLogger().setLevel(logging.INFO)
    try:  # the delivery jobs render PDFs: say at start-up, not at the first Feb 28th, what is missing
        log.info("PDF 中文字体：%s", require_cjk_font())
    except MissingFont as exc:
        log.error("报送任务将失败：%s", exc)
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
