"""The bank test's operations and invariants (see ``bank.py``).

Refunds and disputes touch gifts to the sub-funds and the drive's own fund. The sub-funds
also pay out disbursements, so a refund may come after its fund spent the gift: Stripe's
refund is booked anyway, the general fund covering what the sub-fund lacks
(``donate/shortfall.py``); ``test_bank.check_shortfalls`` checks each cover."""
import sqlalchemy as sa

from core.extensions import db
from tests.trust.bank import (APPROVER, CLOSABLE_MONTHS, DAY, LIAISON, POOLED, WISH_BATCH,
                              WISH_BOARD, WISH_LOW, WISHES, in_session, pick, publish_wishes)

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
    # A third goes to the goods funds, which pay for the packs; the rest anywhere on the drive.
    _id, pi, amount = _new_gift(run, rng, POOLED,
                                fund_prefixes=("GOODS-",) if rng.random() < 0.3 else None)
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
        open_wishes = sa.select(Wish).where(Wish.campaign_id == drive.id, Wish.status == state.OPEN,
                                            Wish.pooled.is_(False))
        if db.session.scalar(sa.select(sa.func.count()).select_from(open_wishes.subquery())) < WISH_LOW:
            publish_wishes(db.session, WISH_BATCH, WISH_BOARD + next(run.wish_numbers) * WISH_BATCH)
            run.count(run.made, "wishes published to refill the board")
        wish = pick(db.session, open_wishes, rng)
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


def _user(email: str):
    from core.auth import User

    return db.session.scalar(sa.select(User).filter_by(email=email))


def op_disburse(run, rng, client):
    """A street's liaison asks for most of what its sub-fund holds (sometimes more) and
    finance approves it at once; refused when the sub-fund does not hold enough."""
    from campaigns.homes import subfunds
    from campaigns.homes.state import HomesError
    from ledger.balances import fund_net_assets
    from ledger.models import Balance, Fund

    def pay(fund):
        held = fund_net_assets(db.session, fund.code)
        amount = max(100, held * rng.choice((50, 90, 100, 120)) // 100)
        ask = subfunds.request_disbursement(db.session, fund, amount, "慰问困难家庭", _user(LIAISON))
        subfunds.approve_disbursement(db.session, ask, _user(APPROVER))

    # Sub-funds that gifts have reached (the others would only be refused).
    funded = sa.select(Fund).where(Fund.kind == "subfund", Fund.id.in_(sa.select(Balance.fund_id)))
    _act_on_one(run, rng, funded, pay, HomesError, "disbursement")


def op_purchase(run, rng, client):
    """Finance orders goods from a paired region's supplier, approves and receives them
    (inventory against the supplier payable), and pays for some of them."""
    from campaigns.homes import purchasing
    from campaigns.homes.books import books_today
    from campaigns.homes.models import Good, Supplier
    from campaigns.homes.state import HomesError

    def buy(supplier):
        goods = db.session.scalars(sa.select(Good).where(Good.region_id == supplier.region_id)).all()
        good = rng.choice(goods)
        order = purchasing.create_order(db.session, supplier, [(good, rng.randint(1, 20),
                                                                good.unit_price_fen)], _user(LIAISON))
        purchasing.approve_order(db.session, order, _user(APPROVER))
        day = rng.choice((DAY, books_today()))  # DAY's month may be closed: then refused
        purchasing.receive_goods(db.session, order, [(ln, ln.quantity, "BANK") for ln in order.lines], day)
        if rng.random() < 0.5:
            purchasing.pay_order(db.session, order, order.received_fen, _user(APPROVER), day)

    _act_on_one(run, rng, sa.select(Supplier), buy, HomesError, "purchase")


def op_assign_pack(run, rng, client):
    """Staff put a household on the drive's pack list; one already on it is refused."""
    from campaigns.homes import distribution
    from campaigns.homes.models import Household, PackRecipe
    from campaigns.homes.state import HomesError
    from campaigns.services import campaign_by_slug

    def assign(household):
        drive = campaign_by_slug(db.session, POOLED)
        recipe = db.session.scalars(sa.select(PackRecipe)).first()
        distribution.assign_pack(db.session, drive.id, household, recipe)

    query = sa.select(Household).order_by(Household.id).offset(rng.randrange(300))
    try:
        _act_on_one(run, rng, query, assign, HomesError, "pack assignment")
    except sa.exc.IntegrityError:  # two staff put the same household on the list at once
        run.count(run.refusals, "pack assignment refused by the database")


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
    "pack assignment": (op_assign_pack, 1), "disbursement": (op_disburse, 2),
    "goods purchase": (op_purchase, 1), "period close/reopen": (op_period, 1),
}
