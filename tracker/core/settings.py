"""Settings the domains read from the app's configuration, each once."""

from __future__ import annotations

from flask import current_app

from tracker.rules.packs import RulePack, get_rule_pack

__all__ = ["current_rule_pack"]


def current_rule_pack() -> RulePack:
    """The rule pack this installation's finance bureau chose (setting ``RULE_PACK``, SPEC §6a)."""
    return get_rule_pack(current_app.config.get("RULE_PACK"))
