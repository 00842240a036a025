"""Two departments, three units, a project each, users of every role: the cast of the web tests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.factories import DepartmentFactory, IndicatorFactory, ProjectFactory, UnitFactory, UserFactory
from tracker.auth.services import hash_password
from tracker.extensions import db

PASSWORD = "correct horse"
_HASH: list[str] = []


def password_hash() -> str:
    """One argon2 hash for every test user: hashing is deliberately slow."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def user(username: str, role: str, **fields) -> object:
    return UserFactory(username=username, role=role, password_hash=password_hash(), **fields)


@dataclass
class World:
    department: object
    other_department: object
    unit: object
    sibling: object  # another unit of the same department
    foreign_unit: object  # a unit of the other department
    project: object
    foreign_project: object
    count: object  # ≥100个, cumulative
    rate: object  # ≥90%, level
    quality: object  # 明显, qualitative
    department_indicator: object  # 部门整体, typed
    computed: object  # 部门整体, 预算执行率 (computed)
    reporter: object
    sibling_reporter: object
    foreign_reporter: object
    department_user: object
    foreign_department_user: object
    finance: object
    admin: object

    def users(self) -> dict[str, object]:
        return {
            "reporter": self.reporter,
            "sibling_reporter": self.sibling_reporter,
            "foreign_reporter": self.foreign_reporter,
            "department": self.department_user,
            "foreign_department": self.foreign_department_user,
            "finance": self.finance,
            "admin": self.admin,
        }


def build_world() -> World:
    department = DepartmentFactory(code="801", name="测试部门甲")
    other = DepartmentFactory(code="802", name="测试部门乙")
    unit = UnitFactory(department=department, code="801001", name="甲一单位")
    sibling = UnitFactory(department=department, code="801002", name="甲二单位")
    foreign = UnitFactory(department=other, code="802001", name="乙一单位")
    project = ProjectFactory(unit=unit, code="41080023000000090001", name="窗口服务")
    foreign_project = ProjectFactory(unit=foreign, code="41080023000000090002", name="外部门项目")
    count = IndicatorFactory(project=project, name="办件数量", target="≥120件", mode="cumulative", position=1)
    rate = IndicatorFactory(
        project=project,
        level1="满意度指标",
        level2="服务对象满意度指标",
        name="群众满意度",
        target="≥90%",
        mode="level",
        position=2,
    )
    quality = IndicatorFactory(
        project=project,
        level1="效益指标",
        level2="社会效益指标",
        name="服务水平提升",
        target="明显",
        mode="qualitative",
        position=3,
    )
    IndicatorFactory(project=foreign_project, name="外部指标", target="≥10个", mode="cumulative")
    department_indicator = IndicatorFactory(
        project=None,
        department=department,
        name="重点工作完成数",
        target="≥12项",
        mode="cumulative",
        position=1,
    )
    computed = IndicatorFactory(
        project=None,
        department=department,
        level1="产出指标",
        name="预算执行率",
        target="≥95%",
        mode="budget",
        computed_metric="预算执行率",
        position=2,
    )
    world = World(
        department=department,
        other_department=other,
        unit=unit,
        sibling=sibling,
        foreign_unit=foreign,
        project=project,
        foreign_project=foreign_project,
        count=count,
        rate=rate,
        quality=quality,
        department_indicator=department_indicator,
        computed=computed,
        reporter=user("r801001", "reporter", unit=unit),
        sibling_reporter=user("r801002", "reporter", unit=sibling),
        foreign_reporter=user("r802001", "reporter", unit=foreign),
        department_user=user("d801", "department", department=department),
        foreign_department_user=user("d802", "department", department=other),
        finance=user("fin", "finance"),
        admin=user("adm", "admin"),
    )
    # Committed (a SAVEPOINT in tests): a service's rollback after a refused action keeps the cast.
    db.session.commit()
    return world
