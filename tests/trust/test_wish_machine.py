"""A hypothesis state machine over the micro-wish services (issue #10): donors reserve wishes,
holds run out, gifts are paid on time or late (for a hold that ran out, or one someone else
took over), staff record purchases. After every step: no wish is funded twice, a funded wish
has exactly the one funded reservation its gift points at, every booked gift is accounted for
(funded a wish, or kept in the drive's fund and the donor told), the drive's fund holds
exactly gifts minus purchases, and the ledger verifies. Each example runs on a new drive of
one shared database (fast); ``make soak`` runs many more."""
import itertools
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from campaigns.wishes import services, state
from campaigns.wishes.models import Wish, WishReservation
from core.auth import utcnow
from core.extensions import db
from ledger.balances import fund_net_assets
from ledger.verify import verify_ledger
from tests.trust.profiles import run_machine
from tests.wishes import support

DRIVES = itertools.count(1)
DONORS = ("donor-a", "donor-b", "donor-c")
#: What a booked gift's reservation may end as: nothing is lost, nothing is silent.
SETTLED = {state.RES_FUNDED, state.REDIRECTED, state.REFUND_REQUESTED}


class WishMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.drive = support.make_drive(db.session, slug=f"wish-machine-{next(DRIVES)}")
        self.wishes = [support.make_wish(db.session, self.drive, price=str(price)).id
                       for price in (150, 80, 300)]
        db.session.commit()
        self.gifts = {}  # donation id → amount (fen)
        self.purchases = 0

    def _reservations(self, *where):
        return list(db.session.scalars(sa.select(WishReservation).where(
            WishReservation.wish_id.in_(self.wishes), *where).order_by(WishReservation.id)))

    @rule(pick=st.integers(0, 2), donor=st.sampled_from(DONORS), hours_later=st.sampled_from([0, 0, 3]))
    def reserve(self, pick, donor, hours_later):
        """A donor holds a wish now, or hours later (when any earlier hold has run out)."""
        wish = db.session.get(Wish, self.wishes[pick])
        try:
            services.reserve_wish(db.session, wish, donor, utcnow() + timedelta(hours=hours_later))
            db.session.commit()
        except state.WishError:
            db.session.rollback()

    @precondition(lambda self: self._reservations(WishReservation.donation_id.is_(None)))
    @rule(pick=st.integers(0, 1000))
    def pay(self, pick):
        """The donor of a reservation pays, whether or not the hold is still theirs."""
        waiting = self._reservations(WishReservation.donation_id.is_(None))
        reservation = waiting[pick % len(waiting)]
        donation = support.pay_for(db.session, reservation)
        db.session.commit()
        self.gifts[donation.id] = donation.amount_fen

    @rule()
    def holds_run_out(self):
        services.release_expired(db.session, utcnow() + timedelta(days=1))
        db.session.commit()

    @rule(pick=st.integers(0, 2), fen=st.integers(1, 40_000))
    def purchase(self, pick, fen):
        wish = db.session.get(Wish, self.wishes[pick])
        try:
            services.record_purchase(db.session, wish, fen, "文具店", "staff@example.org")
            db.session.commit()
            self.purchases += fen
        except state.WishError:
            db.session.rollback()

    @invariant()
    def no_wish_funded_twice_and_no_gift_lost(self):
        db.session.expire_all()
        for wish in db.session.scalars(sa.select(Wish).where(Wish.id.in_(self.wishes))):
            funded = self._reservations(WishReservation.wish_id == wish.id,
                                        WishReservation.status == state.RES_FUNDED)
            assert len(funded) <= 1
            if wish.status in (state.FUNDED, state.PURCHASED):
                assert [r.donation_id for r in funded] == [wish.funded_donation_id]
            else:
                assert funded == [] and wish.funded_donation_id is None
        paid = self._reservations(WishReservation.donation_id.is_not(None))
        assert {r.donation_id for r in paid} == set(self.gifts)
        assert {r.status for r in paid} <= SETTLED

    @invariant()
    def the_fund_holds_gifts_minus_purchases(self):
        assert fund_net_assets(db.session, self.drive.fund_code) == sum(self.gifts.values()) - self.purchases
        assert verify_ledger(db.session) == []


def test_wish_state_machine(machine_app):
    run_machine(WishMachine, 15, 20)
