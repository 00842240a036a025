"""Rule packs (规则包, SPEC §6a): every number of §5–§6 a province may set differently.

A finance bureau picks one pack by name (setting ``RULE_PACK``); every stored result records the
pack's name and version so a score can be explained and reproduced years later. Adding a province
means adding a pack here, never an ``if province == …`` in the rules.

Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

__all__ = [
    "Thresholds",
    "QualitativeBand",
    "RulePack",
    "RULE_PACKS",
    "DEFAULT_RULE_PACK",
    "get_rule_pack",
    "UnknownRulePack",
]

D = Decimal


@dataclass(frozen=True)
class Thresholds:
    """Lamp thresholds on a completion ratio: ≥ ``green`` 绿灯, ≥ ``yellow`` 黄灯, else 红灯 (SPEC §5)."""

    green: Decimal = D("0.8")
    yellow: Decimal = D("0.6")


@dataclass(frozen=True)
class QualitativeBand:
    """The share of an indicator's weight a qualitative grade earns (SPEC §6): ``low``–``high``
    percent, ``default`` percent unless a reviewer sets one inside the band."""

    low: Decimal
    high: Decimal
    default: Decimal

    def contains(self, percent: Decimal) -> bool:
        return self.low <= percent <= self.high


@dataclass(frozen=True)
class RulePack:
    """One named, dated, versioned set of evaluation numbers and the regulation it follows."""

    name: str
    version: str
    effective: date
    regulation: str
    thresholds: Thresholds = field(default_factory=Thresholds)
    #: 自评 category → points (SPEC §6). 产出 is the pool shared by 产出指标 and 成本指标.
    category_points: tuple[tuple[str, Decimal], ...] = (
        ("产出", D(50)),
        ("效益", D(30)),
        ("满意度", D(10)),
    )
    #: 一级指标 → 自评 category.
    level1_categories: tuple[tuple[str, str], ...] = (
        ("产出指标", "产出"),
        ("成本指标", "产出"),
        ("效益指标", "效益"),
        ("满意度指标", "满意度"),
    )
    execution_points: Decimal = D(10)
    #: 部门整体 self-assessment total, split equally among its 一级指标 (SPEC §6).
    department_points: Decimal = D(100)
    bands: tuple[tuple[str, QualitativeBand], ...] = (
        ("达成", QualitativeBand(D(80), D(100), D(100))),
        ("部分达成", QualitativeBand(D(60), D(80), D(70))),
        ("未达成", QualitativeBand(D(0), D(60), D(30))),
    )
    #: actual ≥ factor × target on a GE/GT target is flagged 指标值设定偏低.
    overachievement_factor: Decimal = D("1.2")
    #: 等级: minimum total for 优, 良, 中; anything below is 差.
    grades: tuple[tuple[str, Decimal], ...] = (("优", D(90)), ("良", D(80)), ("中", D(60)))
    lowest_grade: str = "差"
    #: 不适用 (the event never arose, issue 10 §3): ``share`` leaves it out of scoring and shares its
    #: points among the other indicators of its category; ``zero`` scores it 0 of its weight.
    not_applicable_scoring: str = "share"
    #: A typed value above this × its target asks the clerk to confirm it (issue 11 §4).
    plausibility_factor: Decimal = D(3)
    #: A rate moving by more than this many points from last month asks for a confirmation.
    plausibility_level_jump: Decimal = D(50)
    #: Units' monthly reports are due on this day of the following month (SPEC §5).
    report_due_day: int = 5
    #: Monitoring of month m runs on this day of month m+1.
    monitoring_day: int = 6

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def band(self, grade: str) -> QualitativeBand:
        for name, band in self.bands:
            if name == grade:
                return band
        raise KeyError(grade)

    def category_of(self, level1: str) -> str | None:
        key = level1.strip()
        for name, category in self.level1_categories:
            if name == key:
                return category
        return None


class UnknownRulePack(KeyError):
    """No rule pack of that name."""


NATIONAL_2020 = RulePack(
    name="national-2020",
    version="2020.1",
    effective=date(2020, 2, 25),
    regulation=(
        "财政部《项目支出绩效评价管理办法》财预〔2020〕10号；"
        "《关于贯彻落实〈中共中央 国务院关于全面实施预算绩效管理的意见〉的通知》财预〔2019〕136号"
    ),
)

RULE_PACKS: dict[str, RulePack] = {NATIONAL_2020.name: NATIONAL_2020}
DEFAULT_RULE_PACK = NATIONAL_2020.name


def get_rule_pack(name: str | None = None) -> RulePack:
    """The rule pack ``name`` (default ``national-2020``); :class:`UnknownRulePack` if none."""
    key = name or DEFAULT_RULE_PACK
    try:
        return RULE_PACKS[key]
    except KeyError:
        raise UnknownRulePack(key) from None
