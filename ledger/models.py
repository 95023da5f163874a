"""The ledger's tables: accounts, funds, journal entries, postings, balances, periods.

Plain SQLAlchemy on ``core.model.Base`` (no Flask). Entries and postings are append-only,
enforced by database triggers (see ``ledger.schema``); balances and the chain head are
the only rows that change, and only inside ``ledger.posting``.
"""
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.model import Base
from ledger import schema

ACCOUNT_TYPES = ("asset", "liability", "net_assets", "revenue", "expense")
#: The account types whose balances make up what a fund holds (debit-positive).
HOLDING_TYPES = ("asset", "liability")
RESTRICTIONS = ("unrestricted", "restricted")
FUND_KINDS = ("general", "campaign", "subfund", "goods", "wish")
PERIOD_STATUSES = ("open", "closed")
PERIOD_ACTIONS = ("close", "reopen")

#: 64-bit ids on PostgreSQL; SQLite only autoincrements an INTEGER primary key.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Account(Base):
    """One line of the chart of accounts. Codes are never reused: accounts are not deleted."""

    __tablename__ = "accounts"
    __table_args__ = (sa.CheckConstraint(sa.column("type").in_(ACCOUNT_TYPES), name="known_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ASCII digits, e.g. "1002" or "100901"; unique for ever.
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    #: asset, liability, net_assets, revenue or expense.
    type: Mapped[str] = mapped_column(sa.String(12))
    name_zh: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    #: Inactive accounts stay in the books but take no new postings.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


class Fund(Base):
    """A pot every posting belongs to; each entry balances within every fund."""

    __tablename__ = "funds"
    __table_args__ = (
        sa.CheckConstraint(sa.column("restriction").in_(RESTRICTIONS), name="known_restriction"),
        sa.CheckConstraint(sa.column("kind").in_(FUND_KINDS), name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ASCII, no colon or space (it appears in exported account names), e.g. "GEN", "SUB-HUINAN".
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(120), default="")
    #: A restricted fund's holdings may never go below zero.
    restriction: Mapped[str] = mapped_column(sa.String(12), default="restricted")
    kind: Mapped[str] = mapped_column(sa.String(10), default="general")
    #: For roll-ups in reports (a sub-fund under its campaign's fund); no accounting effect.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("funds.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    parent: Mapped["Fund | None"] = relationship(remote_side=[id])

    @property
    def is_restricted(self) -> bool:
        return self.restriction == "restricted"

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


class JournalEntry(Base):
    """A balanced set of postings (凭证). Never updated or deleted; reversed instead."""

    __tablename__ = "journal_entries"

    #: Assigned from the chain head under its lock, so ids are gapless and in chain order.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    #: The accounting date; its month decides which period the entry belongs to.
    entry_date: Mapped[date] = mapped_column(index=True)
    memo: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Where it came from, e.g. "stripe", "bank", "manual", "import".
    source: Mapped[str] = mapped_column(sa.String(40), default="")
    posted_by: Mapped[str] = mapped_column(sa.String(254), default="")
    #: Posting the same key twice returns the first entry and writes nothing.
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    #: The entry this one reverses; unique, so an entry is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(
        BigId, sa.ForeignKey("journal_entries.id"), unique=True
    )
    #: sha256 of this entry's canonical content and the previous entry's hash.
    hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    postings: Mapped[list["Posting"]] = relationship(
        back_populates="entry", order_by="Posting.id", lazy="selectin"
    )

    @property
    def month(self) -> str:
        return self.entry_date.strftime("%Y-%m")


class Posting(Base):
    """One line (分录): a signed amount, debit positive, on an account within a fund."""

    __tablename__ = "postings"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="nonzero_amount"),
        sa.Index("ix_postings_account_fund", "account_id", "fund_id", "currency"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: Minor units; debit positive, credit negative, never zero.
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[Account] = relationship(lazy="joined")
    fund: Mapped[Fund] = relationship(lazy="joined")


class Balance(Base):
    """The running sum of postings per account, fund and currency (debit positive).

    Updated in the same transaction as the postings, so that "how much is in this fund" is
    one indexed read; ``verify_ledger`` proves it equals the sum of postings.
    """

    __tablename__ = "balances"

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("funds.id"), primary_key=True, index=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class ChainHead(Base):
    """One row: the last entry's id and hash. Locking it serialises posting (see posting.py)."""

    __tablename__ = "ledger_chain_heads"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_entry_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64), default="")


class Period(Base):
    """A calendar month of accounting dates; a closed one accepts no postings."""

    __tablename__ = "periods"
    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(PERIOD_STATUSES), name="known_status"),
    )

    #: "YYYY-MM".
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(6), default="open")
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str] = mapped_column(sa.String(254), default="")


class PeriodEvent(Base):
    """Who closed or reopened a period, when, and why (append-only history)."""

    __tablename__ = "period_events"
    __table_args__ = (
        sa.CheckConstraint(sa.column("action").in_(PERIOD_ACTIONS), name="known_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)
    action: Mapped[str] = mapped_column(sa.String(6))
    by: Mapped[str] = mapped_column(sa.String(254))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


schema.attach_triggers(Base.metadata)
