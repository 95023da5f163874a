"""The checks a draft entry must pass before it touches the database (pure, no I/O).

Like beancount's validators, :func:`draft_problems` returns every problem it finds rather
than stopping at the first; ``post_entry`` raises the first and attaches the rest.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from ledger.chart import INTERFUND
from ledger.errors import InvalidEntry, LedgerError, UnbalancedEntry
from ledger.money import MAX_AMOUNT, MoneyError, check_currency, format_plain

LIMITS = {"memo": 500, "idempotency_key": 255, "source": 40, "posted_by": 254}


@dataclass(frozen=True)
class Line:
    account: str
    fund: str
    #: Minor units; debit positive, credit negative, never zero.
    amount: int
    currency: str = "CNY"


@dataclass(frozen=True)
class EntryDraft:
    date: date
    memo: str
    lines: tuple[Line, ...]
    #: Unique across the ledger; posting the same key twice posts once.
    idempotency_key: str
    source: str = ""
    posted_by: str = ""
    #: Set by ``reverse_entry``: the entry this one reverses.
    reverses_id: int | None = None


def draft_problems(draft: EntryDraft) -> list[LedgerError]:
    """Everything wrong with ``draft`` on its own (accounts and funds are checked later)."""
    problems = _field_problems(draft)
    lines = draft.lines if isinstance(draft.lines, (tuple, list)) else ()
    if not lines:
        problems.append(InvalidEntry("An entry needs at least two lines."))
    line_problems = [p for line in lines for p in _line_problems(line)]
    problems += line_problems
    if lines and not line_problems:
        problems += _balance_problems(lines)
    return problems


def raise_first(problems: list[LedgerError]) -> None:
    if problems:
        first = problems[0]
        first.problems = problems
        raise first


def _field_problems(draft: EntryDraft) -> list[LedgerError]:
    problems = []
    if not isinstance(draft.date, date) or isinstance(draft.date, datetime):
        problems.append(InvalidEntry("An entry needs an accounting date (a date, not a time)."))
    if not isinstance(draft.idempotency_key, str) or not draft.idempotency_key.strip():
        problems.append(InvalidEntry("An entry needs an idempotency key."))
    for field, limit in LIMITS.items():
        value = getattr(draft, field)
        if not isinstance(value, str) or len(value) > limit:
            problems.append(InvalidEntry(f"The {field.replace('_', ' ')} must be text of at "
                                         f"most {limit} characters."))
    return problems


def _line_problems(line) -> list[LedgerError]:
    if not isinstance(line, Line):
        return [InvalidEntry(f"{line!r} is not a ledger Line.")]
    problems = []
    if isinstance(line.amount, bool) or not isinstance(line.amount, int):
        problems.append(InvalidEntry(f"The amount on {line.account}/{line.fund} must be a whole "
                                     f"number of minor units, not {line.amount!r}."))
    elif line.amount == 0 or abs(line.amount) > MAX_AMOUNT:
        problems.append(InvalidEntry(f"The amount on {line.account}/{line.fund} must be "
                                     f"non-zero and at most {MAX_AMOUNT} minor units."))
    try:
        check_currency(line.currency)
    except MoneyError as err:
        problems.append(InvalidEntry(str(err)))
    if not line.account or not isinstance(line.account, str):
        problems.append(InvalidEntry("Every line needs an account code."))
    if not line.fund or not isinstance(line.fund, str):
        problems.append(InvalidEntry("Every line needs a fund code."))
    return problems


def _balance_problems(lines) -> list[LedgerError]:
    per_currency, per_fund, interfund = defaultdict(int), defaultdict(int), defaultdict(int)
    for line in lines:
        per_currency[line.currency] += line.amount
        per_fund[(line.fund, line.currency)] += line.amount
        if line.account == INTERFUND:
            interfund[line.currency] += line.amount
    problems = [UnbalancedEntry(f"The entry does not balance: {currency} debits exceed credits "
                                f"by {format_plain(total, currency)}.")
                for currency, total in sorted(per_currency.items()) if total]
    problems += [UnbalancedEntry(f"The entry does not balance within fund {fund}: {currency} "
                                 f"debits exceed credits by {format_plain(total, currency)}.")
                 for (fund, currency), total in sorted(per_fund.items()) if total]
    problems += [UnbalancedEntry(f"The interfund lines must cancel out across funds; in "
                                 f"{currency} they are off by {format_plain(total, currency)}.")
                 for currency, total in sorted(interfund.items()) if total]
    return problems
