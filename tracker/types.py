"""Column types shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import DateTime, Numeric
from sqlalchemy.orm import mapped_column

#: 万元 with 2 decimals, never float (SPEC §2).
Money = Annotated[Decimal, mapped_column(Numeric(16, 2))]
#: A target or actual number in the indicator's own unit.
Quantity = Annotated[Decimal, mapped_column(Numeric(24, 6))]


def utcnow() -> datetime:
    return datetime.now(UTC)


Timestamp = Annotated[datetime, mapped_column(DateTime(timezone=True), default=utcnow)]
