"""部门, 预算单位, 项目 (with budget and indicators) and 绩效指标: read-only resources (issue 6)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from tracker.api.core import ApiBlueprint, current_api_user
from tracker.api.docs import errors
from tracker.api.paging import page
from tracker.api.schemas.catalog import (
    DepartmentArgs,
    DepartmentSchema,
    IndicatorArgs,
    IndicatorSchema,
    ProjectArgs,
    ProjectSchema,
    UnitSchema,
)
from tracker.api.schemas.common import ScopeArgs
from tracker.auth import access
from tracker.budget import money
from tracker.budget.models import Department, Project, Unit
from tracker.extensions import db
from tracker.targets import reading
from tracker.targets.models import Indicator

__all__ = ["departments", "units", "projects", "indicators"]

departments = ApiBlueprint("departments", __name__, url_prefix="/api/v1/departments", description="部门")
units = ApiBlueprint("units", __name__, url_prefix="/api/v1/units", description="预算单位")
projects = ApiBlueprint(
    "projects", __name__, url_prefix="/api/v1/projects", description="项目（含预算和绩效指标）"
)
indicators = ApiBlueprint("indicators", __name__, url_prefix="/api/v1/indicators", description="绩效指标")

ZERO = Decimal(0)


@departments.route("")
class Departments(MethodView):
    @departments.response(200, DepartmentSchema(many=True))
    @departments.paginate(page_size=20)
    @errors(departments)
    def get(self, pagination_parameters: PaginationParameters) -> list[Department]:
        """部门列表（当前用户可见的）"""
        return page(reading.departments_query(current_api_user()), pagination_parameters)


@departments.route("/<code>")
class DepartmentItem(MethodView):
    @departments.response(200, DepartmentSchema)
    @errors(departments, 404)
    def get(self, code: str) -> Department:
        """一个部门"""
        return access.require_department(current_api_user(), code)


@units.route("")
class Units(MethodView):
    @units.arguments(DepartmentArgs, location="query")
    @units.response(200, UnitSchema(many=True))
    @units.paginate(page_size=20)
    @errors(units, 404)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[Unit]:
        """预算单位列表（可按部门筛选）"""
        query = reading.units_query(current_api_user(), args.get("department"))
        return page(query, pagination_parameters)


@units.route("/<code>")
class UnitItem(MethodView):
    @units.response(200, UnitSchema)
    @errors(units, 404)
    def get(self, code: str) -> Unit:
        """一个预算单位"""
        return access.require_unit(current_api_user(), code)


def _present(items: list[Project]) -> list[dict[str, Any]]:
    spending = money.project_spending(db.session.connection(), [p.id for p in items])
    out = []
    for project in items:
        sums, through = spending[project.id].by_category, spending[project.id].through_month
        out.append(
            {
                "year": project.year,
                "code": project.code,
                "name": project.name,
                "kind": project.kind,
                "department": project.department.code,
                "unit": project.unit.code,
                "annual_goal": project.annual_goal,
                "budget": {
                    "initial": project.initial_budget,
                    "general_public": project.general_budget,
                    "adjustments": sums.get("预算调整", ZERO),
                    "spent": sums.get("支出", ZERO),
                    "through_month": through,
                },
                "indicators": list(project.indicators),
            }
        )
    return out


@projects.route("")
class Projects(MethodView):
    @projects.arguments(ScopeArgs, location="query")
    @projects.response(200, ProjectSchema(many=True))
    @projects.paginate(page_size=20)
    @errors(projects, 404)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[dict[str, Any]]:
        """项目列表（可按年度、部门、预算单位筛选），含预算和绩效指标"""
        query = reading.projects_query(
            current_api_user(),
            year=args.get("year"),
            department_code=args.get("department"),
            unit_code=args.get("unit"),
        )
        return _present(page(query, pagination_parameters))


@projects.route("/<code>")
class ProjectItem(MethodView):
    @projects.arguments(ProjectArgs, location="query")
    @projects.response(200, ProjectSchema)
    @errors(projects, 404)
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """一个项目（按项目编码；缺省年度为最近一年）"""
        project = reading.readable_project(current_api_user(), code, args.get("year"))
        return _present([project])[0]


@indicators.route("")
class Indicators(MethodView):
    @indicators.arguments(IndicatorArgs, location="query")
    @indicators.response(200, IndicatorSchema(many=True))
    @indicators.paginate(page_size=20)
    @errors(indicators, 404)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[Indicator]:
        """绩效指标列表（项目指标和部门整体指标；可按年度、部门、单位、项目筛选）"""
        query = reading.indicators_query(
            current_api_user(),
            year=args.get("year"),
            department_code=args.get("department"),
            unit_code=args.get("unit"),
            project_code=args.get("project"),
        )
        return page(query, pagination_parameters)


@indicators.route("/<int(max=2147483647):indicator_id>")
class IndicatorItem(MethodView):
    @indicators.response(200, IndicatorSchema)
    @errors(indicators, 404)
    def get(self, indicator_id: int) -> Indicator:
        """一个绩效指标"""
        return reading.readable_indicator(current_api_user(), indicator_id)
