"""Importers of this domain's files (SPEC §8), one module each: targets (绩效目标表), projects (项目预算),
department (部门预算), spending (支出), goals (履职目标), over the checks they share (:mod:`.base`).
Each checks references in bulk, then upserts on natural keys; importing this package registers
them with :func:`tracker.targets.imports.register_importer`."""

from __future__ import annotations

from tracker.targets.importers import department, goals, projects, spending, targets

__all__ = ["department", "goals", "projects", "spending", "targets"]
