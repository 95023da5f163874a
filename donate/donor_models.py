"""A donor's sign-in links, the emails they proved to be theirs together, and their
communication preferences. Donors have no account: an email address is the identity."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.auth import utcnow
from core.extensions import db

LINK_PURPOSES = ("sign_in", "merge")


class DonorSignInLink(db.Model):
    """One emailed link: single use, short-lived; only the token's hash is stored."""

    __tablename__ = "donor_sign_in_links"
    __table_args__ = (
        sa.CheckConstraint(sa.column("purpose").in_(LINK_PURPOSES), name="known_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token in the link: a leaked table signs nobody in.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(10), default="sign_in")
    #: For a merge: the already-proven email that ``email`` joins.
    merge_into: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DonorEmailLink(db.Model):
    """Two emails proven by the same person (a merge): the donor page shows them together."""

    __tablename__ = "donor_email_links"
    __table_args__ = (sa.UniqueConstraint("email_a", "email_b"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email_a: Mapped[str] = mapped_column(sa.String(254), index=True)
    email_b: Mapped[str] = mapped_column(sa.String(254), index=True)
    #: The merge link whose use proved ``email_b`` (the record of the proof).
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("donor_sign_in_links.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DonorPreference(db.Model):
    """What a donor wants to hear from the foundation; receipts are always sent."""

    __tablename__ = "donor_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    #: News and updates about the drives (opt-in).
    updates: Mapped[bool] = mapped_column(default=False)
    #: A note when a wish the donor funded is delivered (opt-in).
    wish_notes: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
