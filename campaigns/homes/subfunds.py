"""Community sub-funds (社区慈善专项基金 ``SF-<street>``): liaisons, the sub-fund page's
figures, and disbursement requests that finance approves (four eyes) or rejects."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.homes import books, state
from campaigns.homes.models import Disbursement, StreetLiaison
from campaigns.homes.state import HomesError
from core.access import ADMIN, AUDITOR, FINANCE
from core.auth import User, utcnow
from ledger import chart
from ledger.balances import account_balance, fund_net_assets
from ledger.errors import InsufficientFunds
from ledger.models import Fund
from ledger.money import format_plain
from ledger.posting import post_entry

SUBFUND_PREFIX = "SF-"
PURPOSE_MAX = 300


@dataclass(frozen=True)
class SubfundSummary:
    fund: Fund
    balance_fen: int
    gifts_in_fen: int
    disbursed_fen: int


def street_code_of(fund_code: str) -> str:
    return fund_code[len(SUBFUND_PREFIX):]


def list_subfunds(session) -> list[Fund]:
    return list(session.scalars(sa.select(Fund).where(Fund.kind == "subfund").order_by(Fund.code)))


def subfund_or_none(session, code: str) -> Fund | None:
    return session.scalar(sa.select(Fund).where(Fund.code == code, Fund.kind == "subfund"))


def subfund_summary(session, fund: Fund) -> SubfundSummary:
    """Balance (net assets), gifts in (donation income) and disbursed (program expense)."""
    return SubfundSummary(
        fund=fund, balance_fen=fund_net_assets(session, fund.code),
        gifts_in_fen=-account_balance(session, chart.DONATION_INCOME, fund.code),
        disbursed_fen=account_balance(session, chart.PROGRAM_EXPENSE, fund.code))


def add_liaison(session, user: User, street_code: str) -> StreetLiaison:
    found = session.scalar(sa.select(StreetLiaison).filter_by(user_id=user.id, street_code=street_code))
    if found:
        return found
    liaison = StreetLiaison(user_id=user.id, street_code=street_code)
    session.add(liaison)
    session.flush()
    return liaison


def liaison_streets(session, user) -> frozenset | None:
    """The streets a liaison may see (their households, their sub-funds' requests); None for
    everyone who sees every street: finance, admins, auditors and staff who are no liaison."""
    if user.has_any_role((FINANCE, ADMIN, AUDITOR)):
        return None
    streets = frozenset(session.scalars(sa.select(StreetLiaison.street_code).filter_by(user_id=user.id)))
    return streets or None


def is_liaison(session, user_id: int, street_code: str) -> bool:
    return session.scalar(sa.select(StreetLiaison.id).filter_by(
        user_id=user_id, street_code=street_code)) is not None


def request_disbursement(session, fund: Fund, amount_fen: int, purpose: str, user: User) -> Disbursement:
    """A liaison of the street asks for ``amount_fen`` from its sub-fund."""
    purpose = (purpose or "").strip()
    if not is_liaison(session, user.id, street_code_of(fund.code)):
        raise HomesError(_l("Only a liaison of this street/town may ask for its sub-fund's money."))
    if amount_fen <= 0:
        raise HomesError(_l("The amount must be more than zero."), "amount")
    if not purpose or len(purpose) > PURPOSE_MAX:
        raise HomesError(_l("Say what the money is for (at most %(max)d characters).",
                            max=PURPOSE_MAX), "purpose")
    request = Disbursement(fund_code=fund.code, amount_fen=amount_fen, purpose=purpose,
                           requested_by_id=user.id)
    session.add(request)
    session.flush()
    return request


def _decide(d: Disbursement, action: str, user: User) -> str:
    target = state.check_transition(state.DISBURSEMENT_TRANSITIONS, d.status, action)
    if d.requested_by_id == user.id:
        raise HomesError(_l("You asked for this disbursement, so someone else in finance "
                            "must decide on it."))
    return target


def approve_disbursement(session, d: Disbursement, user: User) -> Disbursement:
    """Approve and post the expense; refuses if the sub-fund falls short (the caller rolls back)."""
    target = _decide(d, "approve", user)
    day = books.books_today()
    try:
        entry = post_entry(session, books.disbursement_draft(d, day, user.email))
    except InsufficientFunds as err:
        raise HomesError(_l("The sub-fund %(fund)s does not hold enough: this disbursement is "
                            "%(short)s yuan short.", fund=d.fund_code,
                            short=format_plain(err.shortfall, err.currency))) from None
    d.status, d.decided_by_id, d.decided_at = target, user.id, utcnow()
    d.paid_on, d.entry_id = day, entry.id
    session.flush()
    return d


def reject_disbursement(session, d: Disbursement, user: User, note: str = "") -> Disbursement:
    d.status = _decide(d, "reject", user)
    d.decided_by_id, d.decided_at, d.note = user.id, utcnow(), (note or "")[:300]
    session.flush()
    return d


def disbursements_of(session, fund_code: str) -> list[Disbursement]:
    return list(session.scalars(sa.select(Disbursement).where(Disbursement.fund_code == fund_code)
                                .order_by(Disbursement.id.desc())))
