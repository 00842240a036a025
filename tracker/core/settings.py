"""Settings the domains read from the app's configuration, each once; the app's rule packs.

The packs (SPEC §6a) are read and validated when the app is made (:func:`init_rule_packs`): the
shipped files, then those of each directory in the setting ``RULE_PACK_DIRS`` (a province's own).
A bad file stops the start with a message naming the file and key. ``RULE_PACK`` names the
installation's default, the pack of the root bureau and of every bureau that picks none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, current_app

from tracker.core.clock import local_time
from tracker.rules.pack_files import SHIPPED_DIR, RulePackError, load_pack_dirs
from tracker.rules.packs import DEFAULT_RULE_PACK, RulePack, RulePackSet

__all__ = [
    "init_rule_packs",
    "rule_packs",
    "rule_pack_named",
    "default_rule_pack_name",
    "current_rule_pack",
    "evaluation_day",
    "RulePackError",
]

_EXTENSION = "tracker.rule_packs"


def init_rule_packs(app: Flask) -> None:
    """Read every pack file; :class:`RulePackError` (naming file and key) if one is invalid or the
    setting ``RULE_PACK`` names no pack."""
    directories = [SHIPPED_DIR, *(app.config.get("RULE_PACK_DIRS") or ())]
    packs = load_pack_dirs(directories)
    default = app.config.get("RULE_PACK") or DEFAULT_RULE_PACK
    if default not in packs:
        raise RulePackError(f"设置 RULE_PACK={default}：没有这个规则包（可用：{'、'.join(packs.names())}）")
    app.extensions[_EXTENSION] = packs


def rule_packs() -> RulePackSet:
    """The packs this app read at start-up."""
    return current_app.extensions[_EXTENSION]


def default_rule_pack_name() -> str:
    """The installation's default pack (setting ``RULE_PACK``): the root bureau's."""
    return current_app.config.get("RULE_PACK") or DEFAULT_RULE_PACK


def evaluation_day() -> date:
    """Today in the bureau's time zone: the day whose pack versions are in effect (SPEC §6a)."""
    return local_time(datetime.now(UTC)).date()


def rule_pack_named(name: str | None, on: date | None = None) -> RulePack:
    """The version of pack ``name`` (default: the installation's) in effect ``on`` (default today)."""
    return rule_packs().get(name or default_rule_pack_name(), on or evaluation_day())


def current_rule_pack() -> RulePack:
    """The installation's default pack as in effect today (setting ``RULE_PACK``, SPEC §6a). A
    department is evaluated with its bureau's: :func:`tracker.budget.packs.department_rule_packs`."""
    return rule_pack_named(None)
