"""Column types shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import DateTime, Numeric
from sqlalchemy.orm import mapped_column

from tracker.rules import round_half_up

#: 万元 exactly as printed, up to 6 decimals (元 and 分: real sheets print 89.974), never float;
#: shown and exported with 2 (SPEC §2).
Money = Annotated[Decimal, mapped_column(Numeric(22, 6))]
#: The largest amount a Money column holds (10^16 万元): a larger one is refused where it is read.
MONEY_LIMIT = Decimal(10) ** 16
#: A target or actual number in the indicator's own unit.
Quantity = Annotated[Decimal, mapped_column(Numeric(24, 6))]


def as_quantity(value: Decimal | None) -> Decimal | None:
    """A computed number as a :data:`Quantity` column keeps it (6 decimals, half up as the databases
    round), so what a page computes now equals what a stored run holds."""
    return None if value is None else round_half_up(value, 6)


def utcnow() -> datetime:
    return datetime.now(UTC)


Timestamp = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow)]
