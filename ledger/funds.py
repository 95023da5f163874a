"""Funds, and the per-session lookups from codes to ids that keep posting lean.

The lookups live in ``session.info`` and are dropped on any rollback, so an id is never
remembered from a transaction that did not happen.
"""
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from ledger.errors import InvalidFund, UnknownAccount, UnknownFund
from ledger.models import FUND_KINDS, RESTRICTIONS, Account, Fund

#: ASCII without colon or space: fund codes appear inside exported account names.
_FUND_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_ACCOUNTS, _FUNDS = "ledger.accounts", "ledger.funds"


@dataclass(frozen=True)
class AccountRef:
    id: int
    code: str
    type: str
    active: bool


@dataclass(frozen=True)
class FundRef:
    id: int
    code: str
    restricted: bool


@event.listens_for(Session, "after_soft_rollback")
def _forget_lookups(session, previous_transaction):
    session.info.pop(_ACCOUNTS, None)
    session.info.pop(_FUNDS, None)


def account_ref(session: Session, code: str) -> AccountRef:
    """The account with ``code``, from the session's cache; raises UnknownAccount."""
    cache = session.info.setdefault(_ACCOUNTS, {})
    if code not in cache:
        row = session.execute(sa.select(Account.id, Account.code, Account.type, Account.active)
                              .where(Account.code == code)).first()
        if row is None:
            raise UnknownAccount(code)
        cache[code] = AccountRef(*row)
    return cache[code]


def fund_ref(session: Session, code: str) -> FundRef:
    """The fund with ``code``, from the session's cache; raises UnknownFund."""
    cache = session.info.setdefault(_FUNDS, {})
    if code not in cache:
        row = session.execute(sa.select(Fund.id, Fund.code, Fund.restriction)
                              .where(Fund.code == code)).first()
        if row is None:
            raise UnknownFund(code)
        cache[code] = FundRef(row.id, row.code, row.restriction == "restricted")
    return cache[code]


def ensure_fund(session: Session, code: str, *, name_zh: str, name_en: str = "",
                restriction: str = "restricted", kind: str = "general",
                parent_code: str | None = None) -> Fund:
    """Get or create the fund ``code``; flushes. Idempotent.

    An existing fund is returned unchanged (names are not overwritten); asking for it with
    another restriction or kind is refused, since that would change what it may spend.
    """
    if not isinstance(code, str) or not _FUND_CODE.match(code):
        raise InvalidFund(f"A fund code is 1 to 40 ASCII letters, digits, '-', '_' or '.', "
                          f"not {code!r}.")
    if restriction not in RESTRICTIONS or kind not in FUND_KINDS:
        raise InvalidFund(f"Unknown restriction {restriction!r} or kind {kind!r} for fund {code}.")
    fund = session.scalar(sa.select(Fund).filter_by(code=code))
    if fund is None:
        parent = _parent(session, parent_code)
        fund = Fund(code=code, name_zh=name_zh or code, name_en=name_en or "",
                    restriction=restriction, kind=kind, parent=parent)
        session.add(fund)
        session.flush()
        return fund
    if (fund.restriction, fund.kind) != (restriction, kind):
        raise InvalidFund(f"Fund {code} already exists as {fund.restriction} {fund.kind}, "
                          f"not {restriction} {kind}.")
    return fund


def _parent(session: Session, parent_code: str | None) -> Fund | None:
    if not parent_code:
        return None
    parent = session.scalar(sa.select(Fund).filter_by(code=parent_code))
    if parent is None:
        raise UnknownFund(parent_code)
    return parent
