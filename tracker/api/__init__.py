"""tracker.api — the JSON API ``/api/v1`` (issue 6): flask-smorest resources over the same services
and access rules as the pages, personal bearer tokens, OpenAPI 3 with local interactive docs."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register the API, its documentation and the token pages of the account page."""
    from tracker.api.catalog import departments, indicators, projects, units
    from tracker.api.core import BEARER, api, register
    from tracker.api.docs import register_docs
    from tracker.api.evaluations import evaluations
    from tracker.api.monthly import department_reports, reports
    from tracker.api.operations import deliveries, job_runs
    from tracker.api.spending import spending
    from tracker.api.web import init_token_pages

    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": (
                    "绩效目标跟踪的 JSON 接口。认证：个人 API 令牌（`flask tracker create-token 用户名`，"
                    "或在“账户”页创建），放在请求头 `Authorization: Bearer <令牌>`；会话 Cookie 不能调用接口。"
                    "权限与页面相同：填报员只能看到本单位，其他单位、部门的资源一律 404。\n\n"
                    "分页：列表接口接受 `page`（从 1 起）和 `page_size`（1–100，缺省 20），分页信息在响应头 "
                    "`X-Pagination`（JSON：total、total_pages、page、previous_page、next_page …）。\n\n"
                    '错误：所有错误响应均为 `{"code": HTTP 状态码, "status": 英文标识, "message": 中文说明, '
                    '"errors": {字段: [说明…]}}`。\n\n'
                    "乐观锁：月度报告的 `ETag` 是其版本号；修改（PUT 及 submit/approve/return/unlock）须带 "
                    "`If-Match`，缺少为 428，版本已过期为 412 且不做任何修改。\n\n"
                    "限流：按令牌计（无有效令牌时按来源地址），超限返回 429。"
                ),
            },
            "security": [{BEARER: []}],
        },
    )
    api.spec.components.security_scheme(
        BEARER, {"type": "http", "scheme": "bearer", "description": "个人 API 令牌（trk_…）"}
    )
    register(
        app,
        [
            departments,
            units,
            projects,
            indicators,
            reports,
            department_reports,
            spending,
            evaluations,
            job_runs,
            deliveries,
        ],
    )
    register_docs(app)
    init_token_pages(app)
