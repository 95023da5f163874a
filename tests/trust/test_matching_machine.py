"""A hypothesis state machine over the matching (配捐) services (issue #10): donors give to a
drive covered by two pledges (a small 1:1 pool with a cap per gift that goes first, then a
2:1 pool with a cap per donor and day), gifts are refunded in part or whole, sponsors pause
and resume. After every step: no pool over-spent, each pool's ``spent_fen`` equal to what its
live matches hold, no match above its pledge's cap per gift, no donor above a pledge's cap for
the day, the drive's pledges receivable equal to its booked matches net of reversals, and the
ledger verifies. Each example runs on a new drive of one shared database; ``make soak`` runs
many more."""
import itertools
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from campaigns.matching import services as matching
from campaigns.matching import state
from campaigns.matching.engine import IN_USE
from campaigns.matching.models import Match, MatchingPledge
from core.auth import utcnow
from core.extensions import db
from donate import services as giving
from donate.models import Donation
from ledger import chart
from ledger.balances import account_balance
from ledger.verify import verify_ledger
from tests.matching import support
from tests.trust.profiles import run_machine

DRIVES, REFUNDS = itertools.count(1), itertools.count(1)
DONORS = ("a@example.org", "b@example.org", "c@example.org")
AMOUNTS = (100, 1_000, 5_000, 10_000, 60_000)


class MatchingMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        now = utcnow().replace(microsecond=0)
        window = dict(starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30))
        self.drive = support.make_drive(db.session, slug=f"match-machine-{next(DRIVES)}")
        self.pledges = [
            support.make_pledge(db.session, self.drive, pool_fen=20_000, cap_per_gift_fen=5_000,
                                priority=1, **window).id,
            support.make_pledge(db.session, self.drive, pool_fen=50_000, ratio_num=2,
                                cap_per_donor_day_fen=10_000, priority=10, **window).id]
        self.gifts = []

    @rule(amount=st.sampled_from(AMOUNTS), donor=st.sampled_from(DONORS),
          to_subfund=st.booleans())
    def give(self, amount, donor, to_subfund):
        gift = support.give(db.session, self.drive, amount, at=utcnow(), email=donor,
                            fund="SF-LJZ" if to_subfund else None)
        self.gifts.append(gift.id)

    @precondition(lambda self: self.gifts)
    @rule(pick=st.integers(0, 1000), share=st.sampled_from((1, 3, 10)))
    def refund(self, pick, share):
        """Stripe refunds a tenth, a third or all of what is left of a gift."""
        gift = db.session.get(Donation, self.gifts[pick % len(self.gifts)])
        if gift.net_fen > 0:
            giving.book_refund(db.session, gift, f"re_mm{next(REFUNDS)}",
                               max(1, gift.net_fen // share))
            db.session.commit()

    @rule(pick=st.integers(0, 1), action=st.sampled_from(("pause", "resume")))
    def sponsor_pauses_or_resumes(self, pick, action):
        pledge = db.session.get(MatchingPledge, self.pledges[pick])
        try:
            matching.change_pledge_status(db.session, pledge, action, support.STAFF)
            db.session.commit()
        except state.MatchingError:
            db.session.rollback()

    def _matches(self):
        db.session.expire_all()
        return list(db.session.scalars(sa.select(Match).where(Match.pledge_id.in_(self.pledges))))

    @invariant()
    def pools_hold_what_their_matches_use(self):
        matches = self._matches()
        for pledge in db.session.scalars(sa.select(MatchingPledge).where(
                MatchingPledge.id.in_(self.pledges))):
            mine = [m for m in matches if m.pledge_id == pledge.id]
            assert 0 <= pledge.spent_fen <= pledge.pool_fen
            assert pledge.spent_fen == sum(m.net_fen for m in mine if m.status in IN_USE)
            assert all(m.amount_fen <= (pledge.cap_per_gift_fen or m.amount_fen) for m in mine)
            per_donor_day = defaultdict(int)
            for m in mine:
                if m.status in IN_USE:
                    per_donor_day[(m.donor_fingerprint, m.books_day)] += m.net_fen
            cap = pledge.cap_per_donor_day_fen
            assert cap is None or max(per_donor_day.values(), default=0) <= cap

    @invariant()
    def the_books_hold_the_booked_matches(self):
        booked = sum(m.net_fen for m in self._matches() if m.status == state.MATCHED)
        assert account_balance(db.session, chart.PLEDGES_RECEIVABLE, self.drive.fund_code) == booked
        assert verify_ledger(db.session) == []


def test_matching_state_machine(machine_app):
    run_machine(MatchingMachine, 8, 15)
