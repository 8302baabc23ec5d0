"""What reminders went to whom, and the secret calendar feeds users subscribe to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from riskapp.accounts.models import User
from riskapp.database import UTCDateTime, db, utcnow


class DeliveryStatus(enum.StrEnum):
    SENDING = "sending"  # claimed; a row left here means the sender died before it knew
    SENT = "sent"  # accepted by the SMTP server
    LOGGED = "logged"  # no SMTP server configured: written to the log instead
    FAILED = "failed"  # the SMTP server refused or could not be reached: tried again

    @property
    def label(self) -> str:
        return {
            "sending": "Unconfirmed (the run stopped while sending)",
            "sent": "Sent",
            "logged": "Logged (no mail server configured)",
            "failed": "Failed, will retry",
        }[self.value]


class ReminderDelivery(db.Model):
    """One reminder (or digest) to one person: the row is the once-only guarantee.

    ``once_key`` names the deadline, its date and the step (90 days before, overdue...), or
    the digest's week; the unique constraint lets exactly one run claim it. The row is
    committed before the mail is sent, so a run that dies half-way leaves ``sending``
    behind and the reminder is not sent again: a missed mail shows in the app, a duplicate
    would not.
    """

    __tablename__ = "reminder_deliveries"
    __table_args__ = (
        UniqueConstraint("once_key", "recipient", name="uq_reminder_deliveries_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    once_key: Mapped[str] = mapped_column(String(160), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    vendor_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendors.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.SENDING.value,
                                        index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def status_enum(self) -> DeliveryStatus:
        return DeliveryStatus(self.status)


class CalendarFeed(db.Model):
    """A user's secret iCalendar URL; only the token's hash is kept."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
