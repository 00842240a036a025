"""The 财政局 tree and each department's bureau (SPEC §1a): ``import-bureaus``, ``import-departments``,
``move-department`` and ``create-user --bureau`` — all or nothing, idempotent, moves audited."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tests.conftest import DATA
from tests.factories import UserFactory
from tracker.auth.models import User
from tracker.budget import bureaus
from tracker.budget.models import Bureau, Department
from tracker.core.audit import AuditEntry
from tracker.extensions import db
from tracker.targets.imports import run_import

TREE = "财政局编码,财政局名称,上级财政局编码\n410000,河南省财政厅,\n410800,焦作市财政局,410000\n410821,修武县财政局,410800\n410822,博爱县财政局,410800\n"
PLACES = "部门编码,部门名称,财政局编码\n122,焦作市政务服务和大数据管理局,410800\n821,修武县农业农村局,410821\n822,博爱县教育局,410822\n"


def _import(kind: str, text: str, **kwargs):
    return run_import(kind, io.BytesIO(text.encode("utf-8")), filename=f"{kind}.csv", **kwargs)


def _errors(report) -> list[str]:
    return [str(error) for error in report.errors]


@pytest.fixture
def tree(session):
    assert _import("bureaus", TREE).ok
    assert _import("departments", PLACES).ok
    return {b.code: b for b in session.scalars(select(Bureau))}


def _department(code: str) -> Department:
    return db.session.scalar(select(Department).where(Department.code == code))


def test_the_tree_gets_levels_by_depth_and_paths_from_the_root(tree):
    assert {code: (b.level, b.path) for code, b in tree.items()} == {
        "410000": ("province", "/410000/"),
        "410800": ("city", "/410000/410800/"),
        "410821": ("county", "/410000/410800/410821/"),
        "410822": ("county", "/410000/410800/410822/"),
    }
    assert tree["410821"].parent.code == "410800"


def test_a_level_column_overrides_the_depth(session):
    report = _import(
        "bureaus",
        "财政局编码,财政局名称,上级财政局编码,级次\n410800,焦作市财政局,,市\n410882,沁阳市财政局,410800,县\n",
    )
    assert report.ok, _errors(report)
    assert [b.level for b in session.scalars(select(Bureau).order_by(Bureau.code))] == ["city", "county"]


def test_importing_the_same_files_again_changes_nothing(tree):
    again = _import("bureaus", TREE)
    places = _import("departments", PLACES)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert (places.inserted, places.updated, places.unchanged) == (0, 0, 3)


def test_subtrees_hold_exactly_the_departments_below(tree):
    ids = {code: _department(code).id for code in ("122", "821", "822")}
    assert bureaus.subtree_department_ids(tree["410821"]) == {ids["821"]}
    assert bureaus.subtree_department_ids(tree["410800"]) == set(ids.values())
    assert bureaus.subtree_department_ids(tree["410000"]) is None  # the root: everything
    assert bureaus.subtree_department_ids(None) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "财政局编码,财政局名称,上级财政局编码\nA,甲,\nB,乙,\n",
            "行 3 列 上级财政局编码: 只能有一个根财政局（上级为空），已有 A",
        ),
        (
            "财政局编码,财政局名称,上级财政局编码\nA,甲,\nB,乙,C\n",
            "行 3 列 上级财政局编码: 上级财政局编码 C 不存在",
        ),
        (
            "财政局编码,财政局名称,上级财政局编码\nA,甲,\nB,乙,C\nC,丙,B\n",
            "行 3 列 上级财政局编码: 财政局 B 的上级形成循环",
        ),
        ("财政局编码,财政局名称,上级财政局编码\nA,甲,A\n", "行 2 列 上级财政局编码: 财政局 A 的上级形成循环"),
        (
            "财政局编码,财政局名称,上级财政局编码\nA,甲,\nA,乙,\n",
            "行 3 列 财政局编码: 财政局编码 A 与第 2 行重复",
        ),
        (
            "财政局编码,财政局名称,上级财政局编码,规则包\nA,甲,,no-such-pack\n",
            "行 2 列 规则包: 规则包 no-such-pack 不存在（tracker rule-packs 列出可用的规则包）",
        ),
        ("财政局编码,财政局名称,上级财政局编码\nA/1,甲,\n", "行 2 列 财政局编码: 财政局编码格式不正确"),
    ],
)
def test_a_bad_tree_is_refused_whole_naming_its_rows(session, text, message):
    report = _import("bureaus", text)
    assert message in _errors(report)
    assert session.scalars(select(Bureau)).all() == []


def test_a_second_root_is_refused_when_the_tree_has_one(tree):
    report = _import("bureaus", "财政局编码,财政局名称,上级财政局编码\n510000,四川省财政厅,\n")
    assert _errors(report) == ["行 2 列 上级财政局编码: 只能有一个根财政局（上级为空），已有 410000"]


def test_a_bureau_moved_to_another_parent_takes_its_subtree_along(tree, session):
    report = _import("bureaus", "财政局编码,财政局名称,上级财政局编码\n410821,修武县财政局,410000\n")
    assert (report.updated, report.ok) == (1, True)
    session.expire_all()
    assert tree["410821"].path == "/410000/410821/"
    assert bureaus.subtree_department_ids(tree["410800"]) == {_department("122").id, _department("822").id}
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "bureau", AuditEntry.field == "parent")
    )
    assert (entry.old_value, entry.new_value) == ("410800", "410000")


def test_moving_a_department_by_import_is_audited(tree, session):
    report = _import("departments", "部门编码,部门名称,财政局编码\n821,修武县农业农村局,410822\n")
    assert (report.updated, report.ok) == (1, True)
    assert _department("821").bureau.code == "410822"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "move"))
    assert (entry.entity, entry.field, entry.old_value, entry.new_value, entry.department_code) == (
        "department",
        "bureau",
        "410821",
        "410822",
        "821",
    )


def test_a_department_file_naming_an_unknown_bureau_writes_nothing(tree, session):
    report = _import("departments", "部门编码,部门名称,财政局编码\n821,改名,410822\n823,新部门,999999\n")
    assert _errors(report) == [
        "行 3 列 财政局编码: 财政局编码 999999 不存在（先导入财政局：tracker import-bureaus）"
    ]
    session.expire_all()
    assert (_department("821").name, _department("821").bureau.code, _department("823")) == (
        "修武县农业农村局",
        "410821",
        None,
    )


def test_a_blank_bureau_places_the_department_at_the_root(tree):
    assert _import("departments", "部门编码,部门名称,财政局编码\n900,省直部门,\n").ok
    assert _department("900").bureau_id is None


@pytest.mark.parametrize("kind", ["bureaus", "departments"])
def test_only_the_command_line_changes_the_tree(tree, kind):
    admin = UserFactory(role="admin")
    report = _import(kind, TREE if kind == "bureaus" else PLACES, user=admin)
    assert _errors(report) == [
        f"{'财政局' if kind == 'bureaus' else '部门所属财政局'}只能在命令行导入（flask --app wsgi tracker import-{kind}）"
    ]


def test_the_commands_import_move_and_place_a_finance_user(cli, session, tmp_path):
    (tmp_path / "b.csv").write_text(TREE, encoding="utf-8")
    (tmp_path / "d.csv").write_text(PLACES, encoding="utf-8")
    assert cli.invoke(args=["tracker", "import-bureaus", str(tmp_path / "b.csv")]).exit_code == 0
    assert cli.invoke(args=["tracker", "import-departments", str(tmp_path / "d.csv")]).exit_code == 0

    moved = cli.invoke(args=["tracker", "move-department", "822", "410821"])
    again = cli.invoke(args=["tracker", "move-department", "822", "410821"])
    unknown = cli.invoke(args=["tracker", "move-department", "822", "999"])
    created = cli.invoke(
        args=[
            "tracker",
            "create-user",
            "xw",
            "--role",
            "finance",
            "--bureau",
            "410821",
            "--password",
            "long enough",
        ]
    )

    assert moved.exit_code == 0 and "已移到 410821 修武县财政局" in moved.output
    assert again.exit_code == 0 and "未改变" in again.output
    assert unknown.exit_code == 1 and "财政局 999 不存在" in unknown.output
    assert created.exit_code == 0, created.output
    session.expire_all()
    assert _department("822").bureau.code == "410821"
    assert session.scalar(select(User).where(User.username == "xw")).bureau.code == "410821"
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "move")).all()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "finance", "--bureau", "999"], "财政局“999”不存在。"),
        (["--role", "admin", "--bureau", "410821"], "只有财政局用户属于某个财政局。"),
    ],
)
def test_create_user_refuses_a_bad_bureau(cli, tree, args, message):
    result = cli.invoke(args=["tracker", "create-user", "x", *args, "--password", "long enough"])
    assert result.exit_code == 1 and message in result.output


def test_the_demo_places_jiaozuo_under_henan_and_a_synthetic_county_department_under_jiaozuo(cli, session):
    assert cli.invoke(args=["tracker", "load-demo"]).exit_code == 0
    places = {d.code: (d.name, d.bureau.code) for d in session.scalars(select(Department))}
    assert places == {
        "122": ("焦作市政务服务和大数据管理局", "410800"),
        "821": ("修武县农业农村局（演示数据）", "410821"),
    }
    finance = {u.username: u.bureau.code for u in session.scalars(select(User).where(User.role == "finance"))}
    assert finance == {"finance": "410800", "finance-henan": "410000", "finance-xiuwu": "410821"}
    assert (DATA / "henan-bureaus.csv").exists()
