"""Short-hands for posting in ledger tests."""
import datetime as dt

from ledger import chart
from ledger.posting import EntryDraft, Line, post_entry

OCT = dt.date(2026, 10, 5)


def post(session, key, *lines, date=OCT, memo="", reverses_id=None):
    """Post ``(account, fund, amount)`` triples as one entry under ``key``."""
    return post_entry(session, EntryDraft(
        date=date, memo=memo or key, idempotency_key=key,
        lines=tuple(Line(a, f, m) for a, f, m in lines), reverses_id=reverses_id))


def gift(session, key, fund, gross, fee=0, date=OCT):
    """An online gift: clearing/income for the gross, and the fee as fundraising expense."""
    lines = [(chart.PROCESSOR_CLEARING, fund, gross), (chart.DONATION_INCOME, fund, -gross)]
    if fee:
        lines += [(chart.FUNDRAISING_EXPENSE, fund, fee), (chart.PROCESSOR_CLEARING, fund, -fee)]
    return post(session, key, *lines, date=date)
