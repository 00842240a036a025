"""Upload of a targets or actuals file from a page: a preview (dry run) first, then a confirm step.

Between the two steps the file waits server-side under ``UPLOAD_DIR/imports``, keyed by a random
id bound to the user who uploaded it; nobody else can confirm it (issue 3 §6).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import replace
from pathlib import Path
from typing import IO

from flask import current_app

from tracker.auth import access
from tracker.auth.access import NotFound
from tracker.auth.models import User
from tracker.core.database import is_busy
from tracker.core.errors import ValidationFailed
from tracker.targets.imports import ImportReport, run_import
from tracker.targets.tables import Limits

__all__ = ["PAGE_IMPORT_KINDS", "stage_import", "confirm_import", "staged"]

#: What a department may upload from the page (the CLI knows the same kinds).
PAGE_IMPORT_KINDS = {
    "targets": "绩效目标",
    "actuals": "实际完成值",
    "projects": "项目预算",
    "spending": "支出",
    "department": "部门预算",
}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_AGE_SECONDS = 3600


def _directory() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _limits() -> Limits:
    limits = Limits.from_config(current_app.config)
    return replace(limits, max_bytes=int(current_app.config.get("MAX_CONTENT_LENGTH") or limits.max_bytes))


def _require(user: User) -> None:
    if not access.can_import(user):
        raise access.refuse(user, "import")


def stage_import(user: User, kind: str, stream: IO[bytes], filename: str) -> tuple[str, ImportReport]:
    """Keep the file and preview it: returns (token, dry-run report). Nothing is written to the database."""
    _require(user)
    if kind not in PAGE_IMPORT_KINDS:
        raise ValidationFailed({"kind": ["请选择文件类型"]})
    if not filename:
        raise ValidationFailed({"file": ["请选择要上传的文件"]})
    token = secrets.token_urlsafe(24)
    directory = _directory()
    data = stream.read()
    (directory / f"{token}.bin").write_bytes(data)
    (directory / f"{token}.json").write_text(
        json.dumps({"user_id": user.id, "kind": kind, "filename": filename, "created": time.time()})
    )
    with (directory / f"{token}.bin").open("rb") as handle:
        report = run_import(kind, handle, filename=filename, user=user, dry_run=True, limits=_limits())
    if not report.ok:
        _discard(token)
    return token, report


def staged(user: User, token: str) -> dict:
    """The metadata of a staged upload of this user; NotFound for anyone else's or an expired one."""
    _require(user)
    if not _TOKEN.match(token or ""):
        raise NotFound("import")
    meta_path = _directory() / f"{token}.json"
    if not meta_path.is_file():
        raise NotFound("import")
    meta = json.loads(meta_path.read_text())
    if meta.get("user_id") != user.id:
        raise access.not_found(user, f"staged import {token}")
    if time.time() - meta.get("created", 0) > MAX_AGE_SECONDS:
        _discard(token)
        raise NotFound("import expired")
    return meta


def confirm_import(user: User, token: str) -> ImportReport:
    """Import the staged file for real (all or nothing), then forget it — unless the database was
    too busy to take it (a lock or statement timeout): then the same confirmation may be tried again."""
    meta = staged(user, token)
    try:
        with (_directory() / f"{token}.bin").open("rb") as handle:
            report = run_import(
                meta["kind"], handle, filename=meta["filename"], user=user, dry_run=False, limits=_limits()
            )
    except BaseException as exc:
        if not is_busy(exc):
            _discard(token)
        raise
    _discard(token)
    return report


def _discard(token: str) -> None:
    for suffix in (".bin", ".json"):
        (_directory() / f"{token}{suffix}").unlink(missing_ok=True)
