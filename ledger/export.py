"""Exports for auditors: an hledger journal, a CSV of postings, a beancount file.

Each streams the entries in id order into a text file object and returns how many entries
it wrote. Account names are ``type:code:fund`` in ASCII (``assets:1002:GEN``) so that the
books balance per fund in any tool; amounts carry their currency and every minor digit.
"""
import csv
import re
from itertools import groupby
from typing import TextIO

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.models import Account, Fund, JournalEntry, Posting
from ledger.money import format_plain

HLEDGER_ROOTS = {"asset": "assets", "liability": "liabilities", "net_assets": "equity",
                 "revenue": "revenues", "expense": "expenses"}
BEANCOUNT_ROOTS = {"asset": "Assets", "liability": "Liabilities", "net_assets": "Equity",
                   "revenue": "Income", "expense": "Expenses"}
CSV_HEADER = ["entry_id", "date", "memo", "source", "idempotency_key", "reverses_id",
              "account_code", "account_type", "account_name_zh", "account_name_en", "fund",
              "currency", "amount", "debit", "credit"]
_BATCH = 5000


def _entries(session: Session):
    """``(entry_row, [posting_row, …])`` in entry id order, streamed."""
    rows = session.execute(
        sa.select(JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo,
                  JournalEntry.source, JournalEntry.idempotency_key, JournalEntry.reverses_id,
                  Posting.account_id, Posting.fund_id, Posting.currency, Posting.amount)
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .order_by(JournalEntry.id, Posting.id).execution_options(yield_per=_BATCH))
    for _id, group in groupby(rows, key=lambda r: r.id):
        group = list(group)
        yield group[0], group


def _names(session: Session, roots: dict[str, str], fund_name=lambda code: code):
    accounts = {a.id: a for a in session.scalars(sa.select(Account))}
    funds = {i: c for i, c in session.execute(sa.select(Fund.id, Fund.code))}
    return accounts, {i: fund_name(c) for i, c in funds.items()}, \
        lambda a, f: f"{roots[accounts[a].type]}:{accounts[a].code}:{fund_name(funds[f])}"


def _description(memo: str, entry_id: int) -> str:
    # ';' would start a comment, and a leading '*', '!' or '(' a status or code.
    text = re.sub(r"[;\s]+", " ", memo or "").strip().lstrip("*!( ")
    return text or f"entry {entry_id}"


def export_hledger(session: Session, out: TextIO) -> int:
    """Write an hledger journal that ``hledger check`` accepts unchanged."""
    accounts, _funds, name = _names(session, HLEDGER_ROOTS)
    used = session.execute(sa.select(Posting.account_id, Posting.fund_id, Posting.currency)
                           .distinct()).all()
    out.write("; Wanjia (万家) ledger export: account names are type:code:fund\n")
    for currency in sorted({c for _a, _f, c in used}):
        out.write(f"commodity {currency} {format_plain(100000, currency)}\n")
    for account_id, fund_id in sorted({(a, f) for a, f, _c in used}, key=lambda k: name(*k)):
        out.write(f"account {name(account_id, fund_id)}  ; {accounts[account_id].name_en}\n")
    count = 0
    for entry, postings in _entries(session):
        out.write(f"\n{entry.entry_date.isoformat()} {_description(entry.memo, entry.id)}"
                  f"  ; entry:{entry.id}, source:{entry.source or 'none'}\n")
        for p in postings:
            out.write(f"    {name(p.account_id, p.fund_id)}    "
                      f"{p.currency} {format_plain(p.amount, p.currency)}\n")
        count += 1
    return count


def export_csv(session: Session, out: TextIO) -> int:
    """One row per posting, with the entry's fields repeated; debit and credit split out."""
    accounts, funds, _name = _names(session, HLEDGER_ROOTS)
    writer, count = csv.writer(out), 0
    writer.writerow(CSV_HEADER)
    for entry, postings in _entries(session):
        for p in postings:
            account, plain = accounts[p.account_id], format_plain(p.amount, p.currency)
            writer.writerow([
                entry.id, entry.entry_date.isoformat(), entry.memo, entry.source,
                entry.idempotency_key, entry.reverses_id or "", account.code, account.type,
                account.name_zh, account.name_en, funds[p.fund_id], p.currency, plain,
                plain if p.amount > 0 else "", format_plain(-p.amount, p.currency)
                if p.amount < 0 else "",
            ])
        count += 1
    return count


def _beancount_fund(code: str) -> str:
    # Components start with a capital or a digit and hold letters, digits and '-'.
    safe = re.sub(r"[^A-Za-z0-9-]", "-", code)
    return safe if safe[0].isdigit() or safe[0].isupper() else "F" + safe


def export_beancount(session: Session, out: TextIO) -> int:
    """A beancount file: open directives, then one transaction per entry."""
    _accounts, _funds, name = _names(session, BEANCOUNT_ROOTS, _beancount_fund)
    used = sorted({name(a, f) for a, f in session.execute(
        sa.select(Posting.account_id, Posting.fund_id).distinct())})
    out.write("; Wanjia (万家) ledger export\n")
    for account in used:
        out.write(f"1970-01-01 open {account}\n")
    count = 0
    for entry, postings in _entries(session):
        memo = (entry.memo or "").replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
        out.write(f'\n{entry.entry_date.isoformat()} * "{memo}"\n  entry: "{entry.id}"\n')
        for p in postings:
            out.write(f"  {name(p.account_id, p.fund_id)}  "
                      f"{format_plain(p.amount, p.currency)} {p.currency}\n")
        count += 1
    return count


EXPORTERS = {"hledger": export_hledger, "csv": export_csv, "beancount": export_beancount}
