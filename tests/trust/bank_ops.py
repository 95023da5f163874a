"""The bank test's operations and invariants (see ``bank.py``).

Refunds and disputes touch only gifts to funds that no operation here spends from (the
sub-funds and the drive's own fund): a refund that a restricted fund can no longer pay is
refused by the back office before Stripe is asked, which is its own test. Add an operation
that spends those funds (disbursements) together with that check."""
import sqlalchemy as sa

from core.extensions import db
from tests.trust.bank import CLOSABLE_MONTHS, DAY, in_session, pick

POOLED, WISHES = "wanren-juan", "dongri-nuanyang"
REFUNDABLE = ("SF-", "C-WANREN")
AMOUNTS = (100, 5_000, 10_000, 12_345, 50_000)


def _new_gift(run, rng, slug: str, amount: int | None = None, fund_prefixes=None):
    """A pending online gift and its PaymentIntent id (the donor is about to pay)."""
    from campaigns.services import campaign_by_slug
    from donate.models import Donation

    def make():
        campaign = campaign_by_slug(db.session, slug)
        choices = [d for d in campaign.designations
                   if fund_prefixes is None or d.fund_code.startswith(fund_prefixes)]
        pi = run.processor.new_id("pi")
        gift = Donation(campaign=campaign, designation=rng.choice(choices), channel="online",
                        amount_fen=amount or rng.choice(AMOUNTS), currency="CNY",
                        stripe_payment_intent=pi, email=f"donor{rng.randint(1, 40)}@example.org")
        db.session.add(gift)
        db.session.flush()
        return gift.id, pi, gift.amount_fen

    return in_session(run.app, make)


def _pi_object(pi: str, amount: int) -> dict:
    return {"id": pi, "object": "payment_intent", "status": "succeeded", "amount": amount,
            "currency": "cny", "latest_charge": None}


def op_gift(run, rng, client):
    """A gift paid and its events delivered: once, twice, or a refund before the success."""
    _id, pi, amount = _new_gift(run, rng, POOLED)  # goods funds too: they pay for the packs
    with run.pi_lock(pi):
        run.processor.charge(pi, amount)
        if rng.random() < 0.15:
            run.count(run.faults, "refund event before the success event")
            _refund(run, rng, client, pi)
        run.post_event(client, "payment_intent.succeeded", _pi_object(pi, amount),
                       duplicate=rng.random() < 0.2)


def _refund(run, rng, client, pi) -> None:
    wanted = rng.choice((100, 2_500, 10**9))
    refunded = run.processor.refund(pi, wanted)
    if not refunded:
        run.count(run.refusals, "nothing left to refund")
        return
    refund_id = run.processor.new_id("re")
    obj = {"id": run.processor.new_id("ch"), "object": "charge", "payment_intent": pi,
           "refunds": {"data": [{"id": refund_id, "amount": refunded}]}}
    run.post_event(client, "charge.refunded", obj, duplicate=rng.random() < 0.2)


def _booked_pi(run, rng, statuses=("succeeded", "partially_refunded")):
    from campaigns.models import Designation
    from donate.models import Donation

    def find():
        refundable = sa.or_(*(Designation.fund_code.startswith(p) for p in REFUNDABLE))
        gift = pick(db.session, sa.select(Donation).join(Designation).where(
            Donation.status.in_(statuses), Donation.stripe_payment_intent.like("pi_bank%"),
            refundable), rng)
        return gift.stripe_payment_intent if gift else None

    return in_session(run.app, find)


def op_refund(run, rng, client):
    pi = _booked_pi(run, rng)
    if pi is None:
        return run.count(run.refusals, "no gift to refund yet")
    with run.pi_lock(pi):
        _refund(run, rng, client, pi)


def op_dispute(run, rng, client):
    pi = _booked_pi(run, rng)
    if pi is None:
        return run.count(run.refusals, "no gift to dispute yet")
    with run.pi_lock(pi):
        amount = run.processor.dispute(pi)
        if not amount:
            return run.count(run.refusals, "already disputed")
        dispute = run.processor.new_id("dp")  # a gift may be disputed again after a win
        run.post_event(client, "charge.dispute.created",
                       {"id": dispute, "object": "dispute", "payment_intent": pi, "amount": amount},
                       duplicate=rng.random() < 0.2)
        won = rng.random() < 0.5
        run.processor.settle_dispute(pi, won)
        run.post_event(client, "charge.dispute.closed",
                       {"id": dispute, "object": "dispute", "payment_intent": pi, "amount": amount,
                        "status": "won" if won else "lost"}, duplicate=rng.random() < 0.2)


def op_wish(run, rng, client):
    """A donor holds an open wish and pays for it; others may be holding it at the same time."""
    from campaigns.services import campaign_by_slug
    from campaigns.wishes import services, state
    from campaigns.wishes.models import Wish

    def reserve():
        drive = campaign_by_slug(db.session, WISHES)
        wish = pick(db.session, sa.select(Wish).where(Wish.campaign_id == drive.id,
                                                      Wish.status == state.OPEN, Wish.pooled.is_(False)), rng)
        if wish is None:
            return None
        try:
            held = services.reserve_wish(db.session, wish, f"donor-{rng.randint(1, 99)}")
        except state.WishError:
            return None
        db.session.flush()
        return held.id, wish.price_fen

    held = in_session(run.app, reserve)
    if held is None:
        return run.count(run.refusals, "no wish to hold")
    gift_id, pi, amount = _new_gift(run, rng, WISHES, amount=held[1])

    def attach():
        from campaigns.wishes.models import WishReservation

        services.attach_donation(db.session, db.session.get(WishReservation, held[0]), gift_id)

    in_session(run.app, attach)
    run.processor.charge(pi, amount)
    run.post_event(client, "payment_intent.succeeded", _pi_object(pi, amount),
                   duplicate=rng.random() < 0.2)


def _act_on_one(run, rng, query, act, refusal, what: str) -> None:
    """Pick one row of ``query`` and ``act`` on it in its own session; a row missing, or
    ``refusal`` raised, is counted as a refusal named after ``what``."""
    def work():
        row = pick(db.session, query, rng)
        if row is None:
            return f"no {what}"
        try:
            act(row)
        except refusal:
            return f"{what} refused"
        return None

    refused = in_session(run.app, work)
    if refused:
        run.count(run.refusals, refused)


def op_wish_purchase(run, rng, client):
    from campaigns.wishes import services, state
    from campaigns.wishes.models import Wish

    _act_on_one(run, rng, sa.select(Wish).where(Wish.status == state.FUNDED),
                lambda wish: services.record_purchase(db.session, wish, wish.price_fen, "文具店", "bank"),
                state.WishError, "wish purchase")


def op_deliver(run, rng, client):
    from campaigns.homes import distribution
    from campaigns.homes.models import Distribution
    from campaigns.homes.state import HomesError

    _act_on_one(run, rng, sa.select(Distribution).where(Distribution.delivered_on.is_(None)),
                lambda dist: distribution.confirm_delivery(db.session, dist, DAY, "王社工"),
                HomesError, "pack delivery")


def op_period(run, rng, client):
    """Close a month, or reopen it (finance and admin racing each other)."""
    from ledger.errors import PeriodStateError
    from ledger.periods import close_period, period_status, reopen_period

    month = rng.choice(CLOSABLE_MONTHS)

    def flip():
        if period_status(db.session, month) == "closed":
            reopen_period(db.session, month, by="admin@example.org", reason="bank test")
        else:
            close_period(db.session, month, by="finance@example.org")

    try:
        in_session(run.app, flip)
    except PeriodStateError:
        run.count(run.refusals, "period changed meanwhile")


#: name → (operation, weight).
OPERATIONS = {
    "gift": (op_gift, 8), "refund": (op_refund, 3), "dispute": (op_dispute, 1),
    "wish": (op_wish, 3), "wish purchase": (op_wish_purchase, 1), "pack delivery": (op_deliver, 2),
    "period close/reopen": (op_period, 1),
}
