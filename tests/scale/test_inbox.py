"""The webhook inbox (donate/inbox.py): an event is stored before it is booked; pending
events are booked together in one batch; a poisoned event is booked alone, recorded and left
to ``payments drain`` while the others go on; a replay changes nothing."""
import sqlalchemy as sa

from core.extensions import db
from donate.models import Donation, StripeEvent
from donate.inbox import store_event
from ledger.verify import verify_ledger
from tests.scale import support
from tests.scale.support import PEAK, post, succeeded

#: A Stripe nobody answers (the discard port), so that a charge lookup fails at once.
STRIPE_DOWN = dict(STRIPE_API_BASE="http://127.0.0.1:9", STRIPE_MAX_NETWORK_RETRIES=0)


def _setup(app, amounts, pool_fen=1_000_000, **config):
    app.config.update(PEAK, **config)
    drive, pledge = support.make_drive_with_pledge(pool_fen)
    return drive, pledge, support.pending_gifts(drive, amounts)


def _events():
    db.session.expire_all()
    return {row.event_id: row for row in db.session.scalars(sa.select(StripeEvent))}


def test_a_backlog_is_booked_in_one_batch_by_the_next_webhook(app, client):
    _drive, pledge, gifts = _setup(app, [1_000, 2_000, 3_000, 4_000])
    for gift in gifts[:3]:  # arrived while another batch held the locks
        store_event(db.session, succeeded(gift))
    db.session.commit()
    resp = post(client, succeeded(gifts[3]))
    assert resp.status_code == 200 and resp.get_json() == {"received": True, "outcome": "booked"}
    rows = _events()
    assert {r.outcome for r in rows.values()} == {"booked"} and support.pending_events() == 0
    # One batch, one transaction: all four share the processing time.
    assert len({r.processed_at for r in rows.values()}) == 1
    db.session.expire_all()
    booked = [db.session.get(Donation, g.id) for g in gifts]
    assert [g.status for g in booked] == ["succeeded"] * 4
    assert sorted(int(g.receipt_number[-6:]) for g in booked) == [1, 2, 3, 4]
    assert db.session.get(type(pledge), pledge.id).spent_fen == 10_000
    assert verify_ledger(db.session) == []


def test_a_poisoned_event_is_booked_alone_and_the_others_go_on(app, client, runner):
    _drive, _pledge, gifts = _setup(app, [1_000, 2_000, 3_000, 4_000], **STRIPE_DOWN)
    app.config["BOOK_FEES_AT_SUCCESS"] = True  # the poisoned gift's charge lookup fails
    store_event(db.session, succeeded(gifts[0]))
    store_event(db.session, succeeded(gifts[1], latest_charge="ch_unreachable"))
    store_event(db.session, succeeded(gifts[2]))
    db.session.commit()
    resp = post(client, succeeded(gifts[3]))
    assert resp.status_code == 200 and resp.get_json()["outcome"] == "booked"
    poisoned = _events()[f"evt_scale_{gifts[1].id}"]
    assert poisoned.processed_at is None and poisoned.attempts == 1
    assert "GatewayError" in poisoned.last_error
    db.session.expire_all()
    assert [db.session.get(Donation, g.id).status for g in gifts] == [
        "succeeded", "pending", "succeeded", "succeeded"]
    # The webhook's batches leave it alone: only the drain retries it.
    extra = support.pending_gifts(_drive, [5_000])[0]
    assert post(client, succeeded(extra)).get_json()["outcome"] == "booked"
    assert _events()[poisoned.event_id].attempts == 1
    result = runner.invoke(args=["payments", "drain"])
    assert result.exit_code == 0 and "0 event(s) processed, 1 failed" in result.output
    assert _events()[poisoned.event_id].attempts == 2
    app.config["BOOK_FEES_AT_SUCCESS"] = False  # Stripe is back, as far as this gift goes
    result = runner.invoke(args=["payments", "drain"])
    assert "1 event(s) processed, 0 failed" in result.output
    assert _events()[poisoned.event_id].outcome == "booked"
    assert db.session.get(Donation, gifts[1].id).status == "succeeded"
    assert support.pending_events() == 0 and verify_ledger(db.session) == []


def test_the_drain_gives_up_after_the_last_attempt(app, runner):
    _drive, _pledge, gifts = _setup(app, [1_000], WEBHOOK_MAX_ATTEMPTS=2, **STRIPE_DOWN)
    app.config["BOOK_FEES_AT_SUCCESS"] = True
    store_event(db.session, succeeded(gifts[0], latest_charge="ch_unreachable"))
    db.session.commit()
    outputs = [runner.invoke(args=["payments", "drain"]).output for _ in range(3)]
    assert "1 failed" in outputs[0] and "1 failed" in outputs[1]
    assert "0 event(s) processed, 0 failed (left for the next run), 1 given up" in outputs[2]
    assert _events()[f"evt_scale_{gifts[0].id}"].attempts == 2


def test_a_replay_of_a_waiting_event_changes_nothing(app, client):
    _drive, _pledge, gifts = _setup(app, [1_000])
    store_event(db.session, succeeded(gifts[0]))
    db.session.commit()
    assert post(client, succeeded(gifts[0])).get_json()["outcome"] == "duplicate"
    assert support.pending_events() == 1  # a replay books nothing: the inbox has it
    # A second event about the same gift: the waiting one, older, books it in the same batch.
    assert post(client, succeeded(gifts[0], n=99)).get_json()["outcome"] == "already_booked"
    assert _events()[f"evt_scale_{gifts[0].id}"].outcome == "booked"
    assert support.count(sa.select(Donation.id).where(Donation.status == "succeeded").subquery()) == 1
