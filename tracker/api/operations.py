"""Job runs (定时任务运行记录) and deliveries (报送记录) over the API, read-only (issues 4, 5)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from tracker.api.core import ApiBlueprint, current_api_user
from tracker.api.docs import errors
from tracker.api.paging import page
from tracker.api.schemas.operations import DeliveryArgs, DeliverySchema, JobRunArgs, JobRunSchema
from tracker.reports.delivery_reading import deliveries_query, readable_delivery
from tracker.reports.models import Delivery
from tracker.scheduler import service as scheduler

__all__ = ["job_runs", "deliveries"]

job_runs = ApiBlueprint(
    "job-runs", __name__, url_prefix="/api/v1/job-runs", description="定时任务运行记录（财政局、系统管理员）"
)
deliveries = ApiBlueprint(
    "deliveries",
    __name__,
    url_prefix="/api/v1/deliveries",
    description="报送记录：发给财政局的报表包及每次发送（部门管理员看本部门，财政局看全部）",
)


@job_runs.route("")
class JobRuns(MethodView):
    @job_runs.arguments(JobRunArgs, location="query")
    @job_runs.response(200, JobRunSchema(many=True))
    @job_runs.paginate(page_size=20)
    @errors(job_runs, 403)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[dict[str, Any]]:
        """定时任务运行记录，最新在前（可按任务名、状态筛选）；每次运行按财政局分行（财政局只见本级及下级）"""
        user = current_api_user()
        query = scheduler.job_runs_query(user, args.get("job"), args.get("status"))
        return scheduler.run_documents(user, page(query, pagination_parameters))


@job_runs.route("/<int(max=2147483647):run_id>")
class JobRunItem(MethodView):
    @job_runs.response(200, JobRunSchema)
    @errors(job_runs, 403, 404)
    def get(self, run_id: int) -> dict[str, Any]:
        """一次运行（含本级及下级财政局的分行）"""
        user = current_api_user()
        (document,) = scheduler.run_documents(user, [scheduler.job_run(user, run_id)])
        return document


@deliveries.route("")
class Deliveries(MethodView):
    @deliveries.arguments(DeliveryArgs, location="query")
    @deliveries.response(200, DeliverySchema(many=True))
    @deliveries.paginate(page_size=20)
    @errors(deliveries, 404)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[Delivery]:
        """报送记录，最新在前（可按年度、月份、部门、类型、状态筛选）"""
        query = deliveries_query(
            current_api_user(),
            year=args.get("year"),
            month=args.get("month"),
            status=args.get("status"),
            kind=args.get("kind"),
            department_code=args.get("department"),
        )
        return page(query, pagination_parameters)


@deliveries.route("/<int(max=2147483647):delivery_id>")
class DeliveryItem(MethodView):
    @deliveries.response(200, DeliverySchema)
    @errors(deliveries, 404)
    def get(self, delivery_id: int) -> Delivery:
        """一条报送记录（含每次发送尝试）"""
        return readable_delivery(current_api_user(), delivery_id)
