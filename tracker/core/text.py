"""Messages defined where no request is (job registries, rule labels) and translated where shown."""

from __future__ import annotations

__all__ = ["N_"]


def N_(text: str) -> str:
    """Marks a message for ``pybabel extract -k N_``; translated with ``_()`` where it is shown."""
    return text
