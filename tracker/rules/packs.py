"""Rule packs (规则包, SPEC §6a): every number of §5–§6 a province may set differently.

A pack is data: one TOML file per pack version, read and validated by
:mod:`tracker.rules.pack_files` (the shipped ones are in ``tracker/rules/pack_data/``). A finance
bureau picks one by name (``Bureau.rule_pack``, inherited down the tree; the installation's default
is the setting ``RULE_PACK``); every stored result records the pack's name and version so a score
can be explained and reproduced years later. Adding a province means adding a file, never an
``if province == …`` in the rules.

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

__all__ = [
    "Thresholds",
    "QualitativeBand",
    "RulePack",
    "RulePackSet",
    "SCORING_METHODS",
    "DEFAULT_RULE_PACK",
    "get_rule_pack",
    "shipped_rule_packs",
    "UnknownRulePack",
]

#: How a 自评 category's (or 预算执行率's) points are earned. ``proportional``: SPEC §6, full points
#: when met, else points × completion ratio. A province's banded scores with deductions or execution
#: checkpoints would be further names here, each with its own keys in the pack file.
SCORING_METHODS = ("proportional",)


@dataclass(frozen=True)
class Thresholds:
    """Lamp thresholds on a completion ratio: ≥ ``green`` 绿灯, ≥ ``yellow`` 黄灯, else 红灯 (SPEC §5)."""

    green: Decimal
    yellow: Decimal


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
    """One named, dated, versioned set of evaluation numbers and the regulation it follows; made
    from its file by :mod:`tracker.rules.pack_files`, which says what each key means."""

    name: str
    version: str
    effective: date
    regulation: str
    thresholds: Thresholds
    #: 自评 category → points (SPEC §6). 产出 is the pool shared by 产出指标 and 成本指标.
    category_points: tuple[tuple[str, Decimal], ...]
    #: 自评 category → its scoring method (one of :data:`SCORING_METHODS`).
    category_methods: tuple[tuple[str, str], ...]
    #: 一级指标 → 自评 category.
    level1_categories: tuple[tuple[str, str], ...]
    #: 预算执行率: ``min(execution, 1) × execution_points`` (SPEC §6).
    execution_points: Decimal
    execution_method: str
    #: 部门整体 self-assessment total, split equally among its 一级指标 (SPEC §6).
    department_points: Decimal
    #: 达成 / 部分达成 / 未达成 → its band.
    bands: tuple[tuple[str, QualitativeBand], ...]
    #: actual ≥ factor × target on a GE/GT target is flagged 指标值设定偏低.
    overachievement_factor: Decimal
    #: 等级: minimum total for 优, 良, 中; anything below is ``lowest_grade`` (差).
    grades: tuple[tuple[str, Decimal], ...]
    lowest_grade: str
    #: 不适用 (the event never arose, issue 10 §3): ``share`` leaves it out of scoring and shares its
    #: points among the other indicators of its category; ``zero`` scores it 0 of its weight.
    not_applicable_scoring: str
    #: A typed value above this × its target asks the clerk to confirm it (issue 11 §4).
    plausibility_factor: Decimal
    #: A rate moving by more than this many points from last month asks for a confirmation.
    plausibility_level_jump: Decimal
    #: Units' monthly reports are due on this day of the following month (SPEC §5).
    report_due_day: int
    #: Monitoring of month m runs on this day of month m+1.
    monitoring_day: int
    #: Where the numbers were seen, when not in the regulation itself (a published 自评表).
    source: str = ""

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


DEFAULT_RULE_PACK = "national-2020"


@dataclass(frozen=True)
class RulePackSet:
    """The packs an installation knows, every version of each, and the file each was read from."""

    versions: dict[str, tuple[RulePack, ...]]  # name → versions, oldest effective first
    files: dict[str, str] = field(default_factory=dict)  # label (name@version) → file

    @classmethod
    def collect(cls, packs: list[tuple[RulePack, str]]) -> RulePackSet:
        by_name: dict[str, list[RulePack]] = {}
        for pack, _file in packs:
            by_name.setdefault(pack.name, []).append(pack)
        versions = {
            name: tuple(sorted(found, key=lambda p: (p.effective, p.version)))
            for name, found in sorted(by_name.items())
        }
        return cls(versions, {pack.label: file for pack, file in packs})

    def __contains__(self, name: object) -> bool:
        return name in self.versions

    def __iter__(self) -> Iterator[RulePack]:
        for versions in self.versions.values():
            yield from versions

    def names(self) -> list[str]:
        return list(self.versions)

    def get(self, name: str | None = None, on: date | None = None) -> RulePack:
        """The version of pack ``name`` (default ``national-2020``) in effect ``on`` that day: the
        newest whose ``effective`` date has come (SPEC §6a); with no day, the newest of all; when
        none has come yet, the oldest. :class:`UnknownRulePack` if there is no such pack."""
        key = name or DEFAULT_RULE_PACK
        versions = self.versions.get(key)
        if not versions:
            raise UnknownRulePack(key)
        if on is None:
            return versions[-1]
        started = [pack for pack in versions if pack.effective <= on]
        return started[-1] if started else versions[0]


@lru_cache(maxsize=1)
def shipped_rule_packs() -> RulePackSet:
    """The packs shipped with the tracker (``tracker/rules/pack_data/*.toml``), read once."""
    from tracker.rules.pack_files import SHIPPED_DIR, load_pack_dirs

    return load_pack_dirs([SHIPPED_DIR])


def get_rule_pack(name: str | None = None) -> RulePack:
    """The shipped rule pack ``name`` (default ``national-2020``), newest version;
    :class:`UnknownRulePack` if none. An app's packs (with its own files) are in
    :func:`tracker.core.settings.rule_packs`."""
    return shipped_rule_packs().get(name)
