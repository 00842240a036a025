"""SMTP through ``smtplib``, configured from the environment (``SMTP_*``, ``MAIL_FROM``)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

__all__ = ["build_message", "send_message", "check_server", "MailError"]


class MailError(Exception):
    """The message could not be handed to the SMTP server for every recipient; ``str()`` says why.
    ``accepted`` names the recipients the server took all the same (some refused, others not)."""

    def __init__(self, message: str, accepted: list[str] | None = None) -> None:
        super().__init__(message)
        self.accepted = accepted or []


def build_message(
    subject: str, recipients: list[str], body: str, attachments: list[tuple[str, bytes, str]]
) -> EmailMessage:
    """``attachments``: (file name, bytes, MIME type)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    for filename, content, mime_type in attachments:
        maintype, _, subtype = mime_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


def send_message(message: EmailMessage, recipients: list[str]) -> None:
    config = current_app.config
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    security = (config.get("SMTP_SECURITY") or "none").lower()
    timeout = float(config.get("SMTP_TIMEOUT", 30))
    try:
        if security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
            refused = smtp.send_message(message, from_addr=config["MAIL_FROM"], to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
    if refused:
        accepted = [address for address in recipients if address not in refused]
        raise MailError(f"收件人被拒绝：{', '.join(sorted(refused))}", accepted=accepted)


def check_server(timeout: float = 10) -> str:
    """Connect to the configured SMTP server as a send would (TLS, login) and leave: its greeting, or
    :class:`MailError` saying why not. Nothing is sent."""
    config = current_app.config
    host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
    security = (config.get("SMTP_SECURITY") or "none").lower()
    timeout = min(float(config.get("SMTP_TIMEOUT", 30)), timeout)
    try:
        if security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            code, greeting = smtp.ehlo()
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD", ""))
            smtp.noop()
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
    return greeting.decode("utf-8", "replace").splitlines()[0] if greeting else str(code)
