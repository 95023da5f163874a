"""Bank reconciliation's tables: bank accounts, saved CSV mappings, imported statements and
their lines, matches between bank lines and ledger postings, and monthly sign-offs.

A match is a group: one or more bank lines against one or more postings whose amounts sum
equal. A line and a posting each belong to at most one match — the unique constraints on
``bank_match_lines.bank_line_id`` and ``bank_match_postings.posting_id`` hold that in the
database, so two finance officers matching at once cannot count anything twice.
"""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth import utcnow
from core.extensions import db
from ledger.chart import BANK
from ledger.models import BigId

ENCODINGS = ("utf-8", "gbk")
#: The date layouts a mapping may name (strptime formats).
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d")
MATCH_KINDS = ("auto", "manual", "entry")


class BankAccount(db.Model):
    """One of the foundation's bank accounts, and the ledger account that mirrors it."""

    __tablename__ = "bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    #: The bank's name as people say it: 中国工商银行上海浦东分行.
    bank: Mapped[str] = mapped_column(sa.String(120))
    #: The last digits of the account number: enough to recognise it, not to use it.
    last_digits: Mapped[str] = mapped_column(sa.String(8))
    #: 1002 by default; a second account needs its own sub-account (100201 …), hence unique:
    #: a reconciliation compares the bank with exactly one ledger account.
    ledger_account_code: Mapped[str] = mapped_column(sa.String(20), unique=True, default=BANK)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: The saved column mapping this account's statements are read with.
    mapping_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_mappings.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    mapping: Mapped["BankMapping | None"] = relationship()


class BankMapping(db.Model):
    """How to read one bank's CSV export: which column holds what, and in which layout.

    Column names are the header's own text (交易日期, 借方发生额 …). Either ``amount_column``
    (signed, deposits positive) or both ``debit_column`` and ``credit_column`` — in the
    bank's own terms: its debit (借方) is money leaving the account, its credit (贷方) money
    arriving, the mirror image of the foundation's books.
    """

    __tablename__ = "bank_mappings"
    __table_args__ = (
        sa.CheckConstraint(sa.column("encoding").in_(ENCODINGS), name="known_encoding"),
        sa.CheckConstraint(sa.column("date_format").in_(DATE_FORMATS), name="known_date_format"),
        sa.CheckConstraint("(amount_column IS NULL) <> (debit_column IS NULL AND credit_column "
                           "IS NULL)", name="amount_or_debit_credit"),
        sa.CheckConstraint("header_row >= 1 AND skip_footer >= 0", name="row_counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    encoding: Mapped[str] = mapped_column(sa.String(10), default="utf-8")
    #: The line number (from 1) of the header; the lines above it are the bank's preamble.
    header_row: Mapped[int] = mapped_column(default=1)
    #: How many lines at the end are totals or notes, not transactions.
    skip_footer: Mapped[int] = mapped_column(default=0)
    date_column: Mapped[str] = mapped_column(sa.String(40))
    date_format: Mapped[str] = mapped_column(sa.String(10), default="%Y-%m-%d")
    amount_column: Mapped[str | None] = mapped_column(sa.String(40))
    debit_column: Mapped[str | None] = mapped_column(sa.String(40))
    credit_column: Mapped[str | None] = mapped_column(sa.String(40))
    #: Required: the running balance proves the file adds up and tells identical lines apart.
    balance_column: Mapped[str] = mapped_column(sa.String(40))
    counterparty_column: Mapped[str] = mapped_column(sa.String(40), default="")
    counterparty_account_column: Mapped[str] = mapped_column(sa.String(40), default="")
    reference_column: Mapped[str] = mapped_column(sa.String(40), default="")
    memo_column: Mapped[str] = mapped_column(sa.String(40), default="")


class BankStatement(db.Model):
    """One imported file (a re-import of the same lines adds a statement with no new line)."""

    __tablename__ = "bank_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_accounts.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    #: sha256 of the file's bytes, for the record.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    first_date: Mapped[date]
    last_date: Mapped[date]
    #: The balance before the first line and after the last, per the bank.
    opening_fen: Mapped[int] = mapped_column(sa.BigInteger)
    closing_fen: Mapped[int] = mapped_column(sa.BigInteger)
    line_count: Mapped[int] = mapped_column(default=0)
    new_count: Mapped[int] = mapped_column(default=0)
    imported_by: Mapped[str] = mapped_column(sa.String(254), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankLine(db.Model):
    """One transaction on a bank statement; amount signed from the foundation's side
    (money arriving positive), like a debit on the bank's ledger account."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        sa.UniqueConstraint("bank_account_id", "identity", name="one_per_identity"),
        sa.CheckConstraint("amount_fen <> 0", name="nonzero_amount"),
        sa.Index("ix_bank_lines_account_date", "bank_account_id", "txn_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_accounts.id"))
    statement_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_statements.id"), index=True)
    #: The line's number in the file it first came from (for messages and people).
    line_no: Mapped[int]
    #: Its place in time order within that file, for "the balance at the end of a day".
    position: Mapped[int]
    txn_date: Mapped[date]
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    #: The bank's running balance after this line.
    balance_fen: Mapped[int] = mapped_column(sa.BigInteger)
    counterparty: Mapped[str] = mapped_column(sa.String(120), default="")
    counterparty_account: Mapped[str] = mapped_column(sa.String(60), default="")
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    #: sha256 of (date, amount, reference, balance, occurrence): re-importing finds it.
    identity: Mapped[str] = mapped_column(sa.String(64))
    statement: Mapped[BankStatement] = relationship()


class BankMatch(db.Model):
    """A group of bank lines and postings that explain each other (equal sums)."""

    __tablename__ = "bank_matches"
    __table_args__ = (sa.CheckConstraint(sa.column("kind").in_(MATCH_KINDS), name="known_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_accounts.id"), index=True)
    #: auto (by amount, date and reference), manual, or entry (posted from the line).
    kind: Mapped[str] = mapped_column(sa.String(10))
    created_by: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lines: Mapped[list["BankMatchLine"]] = relationship(cascade="all, delete-orphan",
                                                        lazy="selectin")
    postings: Mapped[list["BankMatchPosting"]] = relationship(cascade="all, delete-orphan",
                                                              lazy="selectin")


class BankMatchLine(db.Model):
    __tablename__ = "bank_match_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_matches.id"), index=True)
    #: Unique: a bank line is explained once.
    bank_line_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_lines.id"), unique=True)
    line: Mapped[BankLine] = relationship(lazy="joined")


class BankMatchPosting(db.Model):
    __tablename__ = "bank_match_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_matches.id"), index=True)
    #: Unique: a posting is explained once.
    posting_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("postings.id"), unique=True)


class BankReconciliation(db.Model):
    """A month's reconciliation of one bank account, signed off by a named finance user.

    Only a reconciliation with zero difference can be signed; the check holds that in the
    database too.
    """

    __tablename__ = "bank_reconciliations"
    __table_args__ = (
        sa.UniqueConstraint("bank_account_id", "month", name="one_per_month"),
        sa.CheckConstraint("statement_fen - outstanding_bank_fen = "
                           "ledger_fen - outstanding_book_fen", name="zero_difference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_account_id: Mapped[int] = mapped_column(sa.ForeignKey("bank_accounts.id"))
    #: "YYYY-MM".
    month: Mapped[str] = mapped_column(sa.String(7))
    #: The bank's balance at the month's end, and the books'.
    statement_fen: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_fen: Mapped[int] = mapped_column(sa.BigInteger)
    #: Sums of the outstanding items: bank lines not in the books, postings not at the bank.
    outstanding_bank_fen: Mapped[int] = mapped_column(sa.BigInteger)
    outstanding_book_fen: Mapped[int] = mapped_column(sa.BigInteger)
    signed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    signed_by: Mapped[str] = mapped_column(sa.String(254))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
