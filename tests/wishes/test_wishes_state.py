"""The wish state machine, creating and publishing wishes, and refusals that write nothing."""
import pytest
import sqlalchemy as sa

from campaigns.wishes import services, state
from campaigns.wishes.models import Wish, WishEvent
from core.extensions import db
from tests.wishes import support


def test_transitions_are_one_table():
    assert state.next_status("draft", "publish") == "open"
    assert state.next_status("reserved", "fund") == "funded"
    assert state.next_status("delivered", "close") == "closed"
    assert state.allowed_actions("funded") == ["purchase"]
    for action in ("fund", "publish", "reserve", "cancel"):
        with pytest.raises(state.WishError):
            state.next_status("closed", action)


def test_a_wish_is_created_as_a_draft_with_its_event(make_wish):
    wish = make_wish("draft")
    assert (wish.status, wish.price_fen, wish.street_code, wish.label) == ("draft", 15_000, "HN", "小雨，10–12岁")
    events = db.session.scalars(sa.select(WishEvent).filter_by(wish_id=wish.id)).all()
    assert [(e.action, e.from_status, e.to_status, e.actor) for e in events] == [
        ("create", "", "draft", support.STAFF)]


def test_an_unverified_wish_cannot_be_published(make_wish, english):
    wish = make_wish("draft")
    with pytest.raises(state.WishError, match="Verify the wish at a home visit"):
        services.publish_wish(db.session, wish, support.STAFF)
    db.session.rollback()
    assert db.session.get(Wish, wish.id).status == "draft"


def test_the_database_refuses_an_unverified_public_wish(make_wish):
    wish = make_wish("draft")
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Wish).where(Wish.id == wish.id).values(status="open"))
        db.session.flush()
    db.session.rollback()


def test_publishing_records_who_verified_and_when(make_wish):
    wish = make_wish("open")
    assert wish.status == "open" and wish.verified_by == support.STAFF and wish.verified_at
    assert [e.action for e in wish.events] == ["create", "verify", "publish"]


@pytest.mark.parametrize("field, value, message", [
    ("price", "0", "The price must be more than zero."),
    ("price", "-5", "The price must be more than zero."),
    ("price", "500.01", "This drive's wishes cost at most CN¥500.00."),
    ("price", "12.345", "Use at most two decimal places (fen)."),
    ("price", "abc", "Enter a price like 50 or 12.50."),
    ("category", "toys", "Unknown category."),
    ("street", "ATLANTIS", "Unknown street/town."),
    ("beneficiary", "", "This field is required."),
])
def test_bad_input_is_refused_with_a_clear_message(drive, english, field, value, message):
    with pytest.raises(state.WishError) as err:
        services.create_wish(db.session, drive, support.wish_input(**{field: value}), support.STAFF)
    assert str(err.value.message) == message and err.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Wish)) == 0


def test_the_cap_is_a_drive_setting(drive):
    services.drive_settings(db.session, drive).price_cap_fen = 100_000
    wish = services.create_wish(db.session, drive, support.wish_input(price="800"), support.STAFF)
    assert wish.price_fen == 80_000


def test_html_in_the_story_is_stored_as_text(make_wish):
    wish = make_wish("draft", story="<script>alert(1)</script>想要书包")
    assert wish.story == "<script>alert(1)</script>想要书包"


def test_only_open_wishes_may_be_cancelled(make_wish, english):
    wish = make_wish("cancelled")
    assert wish.status == "cancelled"
    with pytest.raises(state.WishError, match="not possible for a wish that is Cancelled"):
        services.publish_wish(db.session, wish, support.STAFF)
