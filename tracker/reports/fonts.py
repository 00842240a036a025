"""The PDFs need a Chinese font (issue 12 §12): WeasyPrint finds fonts through fontconfig, and without
one that covers Chinese it writes a PDF whose every 汉字 is an empty box — silently. So whatever
renders a PDF (``report``, the delivery job, the page's download) asks first, and refuses with the
install line instead of writing or sending an unreadable file. ``tracker doctor`` asks too.

fontconfig is asked through its own ``fc-list :lang=zh`` (package ``fontconfig``), in the process's
environment (``FONTCONFIG_FILE``, ``FONTCONFIG_PATH``), once per process and environment.
"""

from __future__ import annotations

import functools
import os
import subprocess

from flask_babel import gettext

__all__ = ["MissingFont", "INSTALL", "cjk_fonts", "require_cjk_font"]

INSTALL = "apt-get install fonts-noto-cjk"
#: The families the PDF template asks for first; another Chinese font still gives a readable PDF.
PREFERRED = ("Noto Sans CJK SC", "Noto Serif CJK SC")


class MissingFont(RuntimeError):
    """No font covers Chinese: a PDF would be unreadable. ``str()`` says so, with the install line."""


@functools.cache
def _families(fontconfig_file: str | None, fontconfig_path: str | None) -> tuple[str, ...] | None:
    """The font families fontconfig says cover Chinese (None: fc-list is not installed)."""
    try:
        done = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        return None
    names = {name.strip() for line in done.stdout.splitlines() for name in line.split(",")}
    return tuple(sorted(name for name in names if name))


def cjk_fonts() -> tuple[str, ...] | None:
    """The Chinese font families fontconfig knows here, the preferred ones first; None when fc-list
    (package fontconfig) is missing."""
    families = _families(os.environ.get("FONTCONFIG_FILE"), os.environ.get("FONTCONFIG_PATH"))
    if families is None:
        return None
    return tuple(sorted(families, key=lambda name: (name not in PREFERRED, name)))


def require_cjk_font() -> str:
    """The Chinese font the PDFs will use, or :class:`MissingFont` saying how to install one."""
    families = cjk_fonts()
    if families:
        return families[0]
    if families is None:
        raise MissingFont(
            gettext(
                "无法生成 PDF：本机没有 fontconfig 的 fc-list，查不到中文字体。"
                "请以管理员身份安装：apt-get install fontconfig fonts-noto-cjk，然后重启本程序。"
            )
        )
    raise MissingFont(
        gettext(
            "无法生成 PDF：本机没有中文字体（应为 fonts-noto-cjk 提供的 Noto Sans CJK），"
            "生成的 PDF 中文将无法阅读，因此未生成、也未发送任何 PDF。"
            "请以管理员身份安装：%(install)s，然后重启本程序。",
            install=INSTALL,
        )
    )
