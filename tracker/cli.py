"""The ``flask --app wsgi tracker …`` command group (SPEC §9).

Flask finds this group as a plugin (the ``flask.commands`` entry point in pyproject.toml) before it
loads the app, so the group loads the app itself, knowing that the process will serve no request:
``wsgi`` then builds it without the web layer (``create_app(web=False)``), and a command's module is
imported only when that command runs. A one-department evaluation thus costs little more than reading
its rows (issue 4 §6). Without the entry point installed, Flask still finds the group among the app's
commands, over the full app.
"""

from __future__ import annotations

import importlib

import click
from flask import current_app
from flask.cli import AppGroup, ScriptInfo

#: Command name → ``module:attribute`` of the click command; each domain's commands live in its own module.
COMMANDS = {
    "import-targets": "tracker.targets.cli:import_targets",
    "import-projects": "tracker.targets.cli:import_projects",
    "import-department": "tracker.targets.cli:import_department",
    "import-spending": "tracker.targets.cli:import_spending",
    "import-actuals": "tracker.targets.cli:import_actuals",
    "import-goals": "tracker.targets.cli:import_goals",
    "import-bureaus": "tracker.targets.cli:import_bureaus",
    "import-departments": "tracker.targets.cli:import_departments",
    "move-department": "tracker.targets.cli:move_department",
    "rule-packs": "tracker.budget.cli:rule_packs_command",
    "load-demo": "tracker.targets.cli:load_demo",
    "evaluate": "tracker.evaluation.cli:evaluate",
    "report": "tracker.reports.cli:report_command",
    "send-reports": "tracker.reports.cli:send_reports_command",
    "scheduler": "tracker.scheduler.cli:scheduler_command",
    "create-user": "tracker.auth.cli:create_user_command",
    "create-token": "tracker.api.cli:create_token_command",
    "doctor": "tracker.doctor:doctor_command",
}

#: Set in the click context while a ``tracker`` command loads the app (see :func:`serving_no_requests`).
_NO_REQUESTS = "tracker.serving_no_requests"


class TrackerGroup(AppGroup):
    """Commands imported on first use; the app loaded (and its context pushed) before any of them runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, attribute = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        ctx.meta[_NO_REQUESTS] = True
        app = ctx.ensure_object(ScriptInfo).load_app()
        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return super().invoke(ctx)


def serving_no_requests() -> bool:
    """Whether the app is being loaded for a ``tracker`` command, which serves no request."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_NO_REQUESTS))


tracker_cli = TrackerGroup("tracker", help="绩效目标跟踪: imports, evaluation, reports, scheduler, users.")
