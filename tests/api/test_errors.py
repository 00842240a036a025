"""Every error the API answers has the same body, ``{"code", "status", "message", "errors"}``,
with a Chinese message by default — including errors raised before a route is found."""

from __future__ import annotations

import pytest

from tracker.targets import reading


@pytest.mark.parametrize(
    ("method", "path", "code", "message"),
    [
        ("GET", "/api/v1/nothing-here", 404, "资源不存在。"),
        ("DELETE", "/api/v1/projects", 405, "不支持此请求方法。"),
        ("GET", "/api/v1/projects?year=abc", 422, "提交的数据有误。"),
        ("GET", "/api/v1/projects?page=0", 422, "提交的数据有误。"),
        ("GET", "/api/v1/evaluations/monitoring?year=2023", 422, "提交的数据有误。"),
        ("GET", "/api/v1/projects/nope", 404, "资源不存在。"),
        ("GET", "/api/v1/job-runs", 403, "没有权限执行此操作。"),
    ],
)
def test_errors_have_one_body_with_a_chinese_message(api, method, path, code, message):
    response = api.client.open(path, method=method, headers=api.headers("dept122"))

    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.json["code"] == code and response.json["message"] == message
    assert set(response.json) <= {"code", "status", "message", "errors"}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("year=abc&month=13", {"year": ["年度应为整数"], "month": ["月份应在 1–12 之间"]}),
        ("page_size=1000", {"page_size": ["应在 1 到 100 之间"]}),
        ("status=done", {"status": ["状态应为 draft / submitted / approved 之一"]}),
    ],
)
def test_validation_errors_name_each_field_in_chinese(api, query, errors):
    response = api.get(f"/reports?{query}", as_="dept122")

    assert response.status_code == 422 and response.json["errors"] == errors


def test_a_body_that_is_not_json_is_refused_in_chinese(api):
    response = api.put(
        "/reports/122201/2023/7",
        as_="unit122201",
        headers={"If-Match": '"0"'},
        data="{not json",
        content_type="application/json",
    )

    assert response.status_code == 400 and response.json["errors"] == {"_schema": ["请求体不是有效的 JSON"]}


def test_a_405_says_which_methods_the_route_takes(api):
    response = api.request("PATCH", "/reports/122201/2023/7", as_="unit122201")

    assert response.status_code == 405 and "PUT" in response.headers["Allow"]


def test_an_unexpected_failure_is_a_500_in_the_same_shape(app, api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reading, "departments_query", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = api.get("/departments", as_="dept122")
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None

    assert response.status_code == 500
    assert response.json == {"code": 500, "status": "server_error", "message": "服务器内部错误。"}


def test_pages_keep_their_own_error_pages(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404 and response.mimetype == "text/html"
