"""The SPEC §9 JSON documents, built from result rows (fresh or stored: the same function, so a
stored result prints exactly as it did when computed). Rounding to 2 places happens here only."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from tracker import rules

__all__ = ["monitoring_document", "self_assessment_document", "number"]


def number(value: Decimal | str | None) -> float | None:
    """A Decimal as a JSON number with 2 decimals (half-up), None as null."""
    if value is None:
        return None
    return float(rules.round2(Decimal(value)))


def _percent(value: Decimal | str | None) -> float | None:
    return None if value is None else float(rules.as_percent(Decimal(value)))


def _actual(row: dict[str, Any]) -> float | str | None:
    return row["actual_text"] if row["actual_text"] is not None else number(row["actual"])


def _by_project(indicators: list[dict[str, Any]]) -> dict[int | None, list[dict[str, Any]]]:
    grouped: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(indicators, key=lambda r: (r["position"], r["indicator_id"])):
        grouped[row["project_id"]].append(row)
    return grouped


def _monitoring_indicator(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "level1": row["level1"],
        "name": row["name"],
        "target": row["target"],
        "mode": row["mode"],
        "actual": _actual(row),
        "expected": number(row["expected"]),
        "status": row["status"],
        "needs_cause": bool(row["needs_cause"]),
        "explain": row["explain"],
        "indicator_id": row["indicator_id"],
    }


def monitoring_document(
    run: dict[str, Any], projects: list[dict[str, Any]], indicators: list[dict[str, Any]]
) -> dict[str, Any]:
    """``evaluate monitoring --json`` (SPEC §9) of one department. ``run`` carries year, month,
    department code/name, rule pack and the stored summary."""
    grouped = _by_project(indicators)
    summary = run["summary"]
    missing_causes = []
    project_documents = []
    for project in projects:
        rows = grouped.get(project["project_id"], [])
        project_documents.append(
            {
                "code": project["code"],
                "name": project["name"],
                "unit": project["unit_code"],
                "budget": number(project["budget"]),
                "spent": number(project["spent"]),
                "execution": _percent(project["execution"]) or 0.0,
                "budget_status": project["budget_status"],
                "explain": project["explain"],
                "indicators": [_monitoring_indicator(r) for r in rows],
            }
        )
        missing_causes += [
            {
                "project": project["code"],
                "unit": project["unit_code"],
                "name": r["name"],
                "status": r["status"],
            }
            for r in rows
            if r["needs_cause"]
        ]
    own = grouped.get(None, [])
    missing_causes += [
        {"project": None, "unit": None, "name": r["name"], "status": r["status"]}
        for r in own
        if r["needs_cause"]
    ]
    return {
        "year": run["year"],
        "month": run["month"],
        "time_progress": _percent(summary["time_progress"]),
        "rule_pack": {"name": run["rule_pack"], "version": run["rule_version"]},
        "projects": project_documents,
        "department": {
            "code": run["department_code"],
            "name": run["department_name"],
            "metrics": {name: _percent(value) for name, value in summary["metrics"].items()},
            "indicators": [_monitoring_indicator(r) for r in own],
            "missing_reports": summary["missing_reports"],
            "missing_causes": missing_causes,
        },
    }


def _assessed_indicator(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "level1": row["level1"],
        "name": row["name"],
        "target": row["target"],
        "actual": _actual(row),
        "weight": number(row["weight"]),
        "score": number(row["score"]),
        "met": bool(row["met"]),
        "flags": [flag for flag in (row["flags"] or "").split("|") if flag],
        "explain": row["explain"],
        "indicator_id": row["indicator_id"],
    }


def self_assessment_document(
    run: dict[str, Any], projects: list[dict[str, Any]], indicators: list[dict[str, Any]]
) -> dict[str, Any]:
    """``evaluate self-assessment --json`` (SPEC §9) of one department."""
    grouped = _by_project(indicators)
    summary = run["summary"]
    return {
        "year": run["year"],
        "rule_pack": {"name": run["rule_pack"], "version": run["rule_version"]},
        "projects": [
            {
                "code": project["code"],
                "name": project["name"],
                "unit": project["unit_code"],
                "total": number(project["total"]),
                "grade": project["grade"],
                "budget": number(project["budget"]),
                "spent": number(project["spent"]),
                "execution": {
                    "rate": _percent(project["execution"]) or 0.0,
                    "score": number(project["execution_score"]),
                },
                "explain": project["explain"],
                "indicators": [_assessed_indicator(r) for r in grouped.get(project["project_id"], [])],
            }
            for project in projects
        ],
        "department": {
            "code": run["department_code"],
            "name": run["department_name"],
            "total": number(summary["total"]),
            "grade": summary["grade"],
            "metrics": {name: _percent(value) for name, value in summary["metrics"].items()},
            "indicators": [_assessed_indicator(r) for r in grouped.get(None, [])],
            "missing_reports": summary["missing_reports"],
        },
    }
