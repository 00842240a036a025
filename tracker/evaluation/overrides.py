"""The reviewer's 审核意见 on a self-assessment (SPEC §6): a percent inside a qualitative grade's
band, and whether a target was set too low. Set here, in its own transaction; they take effect at
the next evaluation run."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from tracker.auth import access
from tracker.budget.models import Department
from tracker.budget.packs import department_rule_pack
from tracker.core import audit
from tracker.evaluation.models import ReviewerOverride
from tracker.extensions import db
from tracker.rules.grammar import Comparator
from tracker.targets.models import Indicator
from tracker.types import utcnow

__all__ = ["OverrideRejected", "override_for", "set_override"]


class OverrideRejected(ValueError):
    """A reviewer's override outside the rules (e.g. a percent outside the grade's band)."""


def _check_percent(indicator: Indicator, percent: Decimal, grade: str | None) -> None:
    """A 档内百分比 is for a qualitative indicator, inside the band of its reported ``grade``."""
    if indicator.comparator != Comparator.QUALITATIVE:
        raise OverrideRejected(gettext("只有定性指标可以设定档内百分比"))
    band = department_rule_pack(indicator.department).band(grade) if grade else None
    if band is None or not band.contains(percent):
        raise OverrideRejected(gettext("百分比必须在该等级的档次之内"))


def set_override(
    user: Any,
    indicator_id: int,
    *,
    qualitative_percent: Decimal | None,
    overachieved: bool | None,
    note: str | None,
    grade: str | None = None,
    not_applicable_zero: bool | None = None,
) -> ReviewerOverride:
    """审核意见 on one indicator's self-assessment (SPEC §6). ``grade`` is the indicator's reported
    grade, against whose band ``qualitative_percent`` is checked; ``not_applicable_zero`` scores a
    不适用 indicator 0 of its weight instead of sharing its points (issue 10 §3). Department admins of the
    indicator's department and finance may set it; takes effect at the next evaluation run."""
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or not access.can_read_department(user, indicator.department_id):
        raise access.NotFound(f"indicator {indicator_id}")
    if not access.can_review_self_assessment(user, indicator.department_id):
        raise access.Forbidden("review self-assessment")
    if qualitative_percent is not None:
        try:
            _check_percent(indicator, qualitative_percent, grade)
        except OverrideRejected:
            db.session.rollback()  # this unit of work ends here, refused
            raise
    override = db.session.scalar(
        select(ReviewerOverride).where(ReviewerOverride.indicator_id == indicator_id)
    )
    if override is None:
        override = ReviewerOverride(indicator_id=indicator_id)
        db.session.add(override)
    changes = {
        "qualitative_percent": qualitative_percent,
        "overachieved": overachieved,
        "note": (note or "").strip() or None,
        "not_applicable_zero": not_applicable_zero,
    }
    department = db.session.get(Department, indicator.department_id)
    for name, new in changes.items():
        old = getattr(override, name)
        if old != new:
            audit.record(
                "review",
                "reviewer_override",
                user=user,
                entity_id=indicator_id,
                field=name,
                old=old,
                new=new,
                department_code=department.code if department else None,
                year=indicator.year,
            )
        setattr(override, name, new)
    override.user_id = getattr(user, "id", None)
    override.updated_at = utcnow()
    db.session.commit()
    return override


def override_for(indicator_ids: Sequence[int]) -> dict[int, ReviewerOverride]:
    """The reviewer's overrides of these indicators, by indicator id."""
    rows = db.session.scalars(
        select(ReviewerOverride).where(ReviewerOverride.indicator_id.in_(list(indicator_ids)))
    )
    return {row.indicator_id: row for row in rows}
