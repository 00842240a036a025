"""Generated files kept by SHA-256 under ``REPORT_DIR``, so a retry or resend sends the very bytes
that were recorded, never a regenerated document."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app

__all__ = ["store", "load", "FileMissing"]


class FileMissing(Exception):
    """A stored file is gone or no longer matches its checksum."""


def _path(sha256: str, extension: str) -> Path:
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256) or not extension.isalnum():
        raise FileMissing(sha256)
    return Path(current_app.config["REPORT_DIR"]) / sha256[:2] / f"{sha256}.{extension}"


def store(content: bytes, extension: str) -> str:
    """Write ``content`` (once) and return its checksum."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = _path(sha256, extension)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # A part file of its own per call: threads of one worker storing the same bytes at once
        # (two clicks on 立即发送) would otherwise move one part file from under each other.
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f"{sha256}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return sha256


def load(sha256: str, extension: str) -> bytes:
    path = _path(sha256, extension)
    try:
        content = path.read_bytes()
    except FileNotFoundError as exc:
        raise FileMissing(f"报表文件缺失：{path.name}") from exc
    if hashlib.sha256(content).hexdigest() != sha256:
        raise FileMissing(f"报表文件校验失败：{path.name}")
    return content
