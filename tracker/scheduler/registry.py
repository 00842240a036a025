"""The registry of named jobs: what runs, when (APScheduler cron fields, Asia/Shanghai), and which
period a firing stands for. Other domains add their jobs with :func:`register_job`, or by exposing
``SCHEDULE = {name: (function_name, cron, description)}`` in ``tracker/<domain>/jobs.py`` (picked up by
:func:`load_domain_jobs`). Settings override schedules: ``SCHEDULER_JOBS = {name: cron | None}``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from tracker.core.text import N_

__all__ = [
    "JobSpec",
    "JOBS",
    "register_job",
    "load_domain_jobs",
    "configured_jobs",
    "resolve",
    "previous_month",
    "by_fire_date",
    "by_fire_minute",
]

#: (period key, keyword arguments) of one firing.
Period = tuple[str, dict[str, Any]]


def by_fire_date(fired: datetime) -> Period:
    """A job that works on "today" (the reports helper's convention: ``today: date``)."""
    return fired.date().isoformat(), {"today": fired.date()}


def by_fire_minute(fired: datetime) -> Period:
    return fired.strftime("%Y-%m-%dT%H:%M"), {"today": fired.date()}


def previous_month(fired: datetime) -> Period:
    """Monthly monitoring: the month before the firing."""
    year, month = (fired.year, fired.month - 1) if fired.month > 1 else (fired.year - 1, 12)
    return f"{year}-{month:02d}", {"year": year, "month": month}


def _midyear(fired: datetime) -> Period:
    return f"{fired.year}-H1", {"year": fired.year, "month": 7}


def _previous_year(fired: datetime) -> Period:
    return f"{fired.year - 1}", {"year": fired.year - 1}


def _current_month(fired: datetime) -> Period:
    return fired.date().isoformat(), {"year": fired.year, "month": fired.month}


def _a_month(year: int, month: int) -> Period:
    return f"{year}-{month:02d}", {"year": year, "month": month}


def _a_midyear(year: int, _month: int) -> Period:
    return f"{year}-H1", {"year": year, "month": 7}


def _a_year(year: int, _month: int) -> Period:
    return f"{year}", {"year": year}


@dataclass(frozen=True)
class JobSpec:
    """A named job: ``func`` is ``"module:function"`` called with the period's keyword arguments;
    it writes without committing (the runner commits when it returns) and returns rows written."""

    name: str
    func: str
    cron: dict[str, Any]
    period: Callable[[datetime], Period] = by_fire_date
    description: str = ""
    catch_up: bool = True
    #: What 立即运行 asks for ("year", "month"), and the period of a chosen (year, month); a job
    #: that works on "today" asks nothing.
    asks: tuple[str, ...] = ()
    chosen: Callable[[int, int], Period] | None = None


JOBS: dict[str, JobSpec] = {}


def register_job(
    name: str,
    func: str,
    cron: dict[str, Any],
    period: Callable[[datetime], Period] = by_fire_date,
    *,
    description: str = "",
    catch_up: bool = True,
    asks: tuple[str, ...] = (),
    chosen: Callable[[int, int], Period] | None = None,
) -> JobSpec:
    spec = JobSpec(name, func, dict(cron), period, description, catch_up, asks=asks, chosen=chosen)
    JOBS[name] = spec
    return spec


register_job(
    "monthly-monitoring",
    "tracker.scheduler.jobs:monthly_monitoring",
    {"day": 6, "hour": 2, "minute": 0},
    previous_month,
    description=N_("上月绩效运行监控（全部部门）"),
    asks=("year", "month"),
    chosen=_a_month,
)
register_job(
    "midyear-monitoring",
    "tracker.scheduler.jobs:midyear_monitoring",
    {"month": 8, "day": 10, "hour": 3, "minute": 0},
    _midyear,
    description=N_("1–7月双监控"),
    asks=("year",),
    chosen=_a_midyear,
)
register_job(
    "self-assessment",
    "tracker.scheduler.jobs:annual_self_assessment",
    {"month": 1, "day": 20, "hour": 3, "minute": 0},
    _previous_year,
    description=N_("上一年度绩效自评"),
    asks=("year",),
    chosen=_a_year,
)
register_job(
    "execution-metrics",
    "tracker.scheduler.jobs:execution_metrics",
    {"hour": 1, "minute": 0},
    _current_month,
    description=N_("本月预算执行率等部门指标"),
    asks=("year", "month"),
    chosen=_a_month,
)


def load_domain_jobs(domains: tuple[str, ...] = ("reporting", "reports")) -> None:
    """Register ``SCHEDULE`` entries of ``tracker.<domain>.jobs`` modules — ``name: (function, cron,
    description)``, the description marked with ``N_`` and without the schedule, which settings
    may change (functions take ``today``)."""
    for domain in domains:
        try:
            module = importlib.import_module(f"tracker.{domain}.jobs")
        except ModuleNotFoundError:
            continue
        for name, (function, cron, description) in getattr(module, "SCHEDULE", {}).items():
            frequent = "minute" in cron and not str(cron["minute"]).isdigit()
            register_job(
                name,
                f"{module.__name__}:{function}",
                cron,
                by_fire_minute if frequent else by_fire_date,
                description=description,
                catch_up=not frequent,
            )


def configured_jobs(overrides: dict[str, Any] | None = None) -> dict[str, JobSpec]:
    """The registry with the settings' schedule overrides applied (None disables a job)."""
    load_domain_jobs()
    jobs = dict(JOBS)
    for name, cron in (overrides or {}).items():
        if cron is None:
            jobs.pop(name, None)
        elif name in jobs:
            jobs[name] = replace(jobs[name], cron=dict(cron))
    return jobs


def resolve(func: str) -> Callable[..., Any]:
    module, _, attribute = func.partition(":")
    return getattr(importlib.import_module(module), attribute)


def jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in params.items()}


def from_json(params: dict[str, Any]) -> dict[str, Any]:
    """Plain parameters back into arguments: ISO dates (``today``) become dates."""
    result = dict(params)
    if isinstance(result.get("today"), str):
        result["today"] = date.fromisoformat(result["today"])
    return result
