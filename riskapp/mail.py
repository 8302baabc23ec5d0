"""Outgoing mail: through the SMTP server the settings name, or, with none, into the log.

With no ``RISKAPP_SMTP_HOST`` (the demo, a laptop) nothing leaves the machine: the message is
logged and handed back, so the page can show the officer what would have been sent.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app

from riskapp.one_line import one_line

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 15


@dataclass(frozen=True)
class Sent:
    """What happened to a message: ``delivered`` to the SMTP server, or only logged."""

    to: str
    subject: str
    body: str
    delivered: bool
    error: str = ""


def send(to: str, subject: str, body: str) -> Sent:
    config = current_app.config
    # A subject may name a vendor, and a vendor's name may hold a line break: a header is
    # one line, and the email package refuses (ValueError) rather than send a broken one.
    subject = one_line(subject)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config["MAIL_FROM"], to, subject
    message.set_content(body)
    if not config.get("SMTP_HOST"):
        log.info("No SMTP server configured; not sent:\n%s", message)
        return Sent(to, subject, body, delivered=False)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                          timeout=SMTP_TIMEOUT) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("Mail to %s failed: %s", to, exc)
        return Sent(to, subject, body, delivered=False, error=str(exc) or type(exc).__name__)
    return Sent(to, subject, body, delivered=True)
