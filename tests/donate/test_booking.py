"""Textbook cases of a gift in the books, without Stripe: the fee cover, a gift with a fee
borne by the general fund, refunds pro rata, disputes won and lost, and the receipt number."""
import pytest

from core.extensions import db
from donate import receipts, services
from donate.booking import refund_fee_share
from donate.models import Donation, OutboxMessage

from tests.donate.giving_support import count, designation, trial_balance


@pytest.mark.parametrize("gift, bps, fixed, cover", [
    (10_000, 60, 0, 60),        # ¥100 at 0.60% → exactly ¥0.60
    (101, 60, 0, 1),            # 0.606 fen rounds UP to 1 fen
    (100, 60, 0, 1),
    (12_345, 290, 30, 389),     # 358.005 → 359, + 30 fixed
    (10_000, 0, 0, 0),
])
def test_fee_cover_is_integer_fen_rounded_up(gift, bps, fixed, cover):
    assert services.fee_cover_for(gift, bps, fixed) == cover


def test_refund_fee_shares_add_up_to_the_whole_fee():
    shares, refunded = [], 0
    for part in (3_000, 3_333, 3_667):
        shares.append(refund_fee_share(340, 10_000, refunded, part, "CNY"))
        refunded += part
    assert shares == [102, 113, 125] and sum(shares) == 340


def _offline_gift(campaign, amount_fen, fund="SF-LJZ", ref="t:1", **kw):
    donation = Donation(campaign=campaign, designation=designation(campaign, fund), source_ref=ref,
                        amount_fen=amount_fen, channel="bank_transfer", email="donor@example.org",
                        donor_name="李四", **kw)
    db.session.add(donation)
    db.session.flush()
    return donation


def test_a_100_yuan_gift_with_a_3_40_fee_borne_by_the_general_fund(make_drive):
    drive = make_drive("live", fee_bearer="general")
    gift = _offline_gift(drive, 10_000)
    assert services.book_donation_succeeded(db.session, gift, fee_fen=340) is True
    db.session.commit()
    assert trial_balance() == {
        ("PROCESSOR_CLEARING", "SF-LJZ"): 9_660,
        ("DONATION_INCOME", "SF-LJZ"): -10_000,
        ("INTERFUND", "SF-LJZ"): 340,
        ("FUNDRAISING_EXPENSE", "GEN"): 340,
        ("INTERFUND", "GEN"): -340,
    }
    assert gift.status == "succeeded" and gift.entry_id and gift.fee_fen == 340
    assert gift.receipt_number == f"{gift.succeeded_at.year}-000001"
    # Booking again changes nothing: no second entry, number or email.
    assert services.book_donation_succeeded(db.session, gift, fee_fen=340) is False
    db.session.commit()
    assert count(OutboxMessage) == 1 and trial_balance()[("DONATION_INCOME", "SF-LJZ")] == -10_000


def test_partial_then_full_refund_reverses_gift_and_fee_exactly(make_drive):
    drive = make_drive("live")
    gift = _offline_gift(drive, 10_000)
    services.book_donation_succeeded(db.session, gift, fee_fen=340)
    services.book_refund(db.session, gift, "re_part", 3_000, "finance@example.org")
    db.session.commit()
    assert gift.status == "partially_refunded" and gift.refunded_fen == 3_000
    assert trial_balance() == {
        ("PROCESSOR_CLEARING", "SF-LJZ"): 9_660 - 3_000 + 102,
        ("DONATION_INCOME", "SF-LJZ"): -7_000,
        ("FUNDRAISING_EXPENSE", "SF-LJZ"): 238,
    }
    services.book_refund(db.session, gift, "re_part", 3_000)  # the same refund again: nothing
    services.book_refund(db.session, gift, "re_rest", 7_000)
    db.session.commit()
    assert gift.status == "refunded" and gift.refunded_fen == 10_000
    assert trial_balance() == {}


@pytest.mark.parametrize("won, status, expected", [
    (True, "succeeded", {("PROCESSOR_CLEARING", "SF-LJZ"): 5_000, ("DONATION_INCOME", "SF-LJZ"): -5_000}),
    (False, "lost", {}),
])
def test_dispute_holds_the_amount_then_returns_or_loses_it(make_drive, won, status, expected):
    drive = make_drive("live")
    gift = _offline_gift(drive, 5_000)
    services.book_donation_succeeded(db.session, gift)
    dispute = services.open_dispute(db.session, gift, "dp_1", 5_000)
    db.session.commit()
    assert gift.status == "disputed"
    assert trial_balance() == {("DISPUTES_HELD", "SF-LJZ"): 5_000, ("DONATION_INCOME", "SF-LJZ"): -5_000}
    services.close_dispute(db.session, dispute, won=won)
    services.close_dispute(db.session, dispute, won=not won)  # a second close changes nothing
    db.session.commit()
    assert gift.status == status and dispute.status == ("won" if won else "lost")
    assert trial_balance() == expected


def test_receipt_numbers_run_on_within_a_year(make_drive):
    drive = make_drive("live")
    numbers = []
    for n in range(3):
        gift = _offline_gift(drive, 1_000 + n, ref=f"t:{n}")
        services.book_donation_succeeded(db.session, gift)
        numbers.append(gift.receipt_number)
    year = numbers[0][:4]
    assert numbers == [f"{year}-000001", f"{year}-000002", f"{year}-000003"]


def test_receipt_code_and_masked_name():
    code = receipts.receipt_code("k", "2026-000001")
    assert len(code) == 8 and code.isalnum() and code == code.upper()
    assert receipts.check_receipt_code("k", "2026-000001", code.lower())
    assert not receipts.check_receipt_code("k", "2026-000002", code)
    assert not receipts.check_receipt_code("other", "2026-000001", code)
    assert receipts.mask_name("张三丰") == "张**" and receipts.mask_name("Alice") == "A****"
    assert receipts.mask_name("王") == "王*" and receipts.mask_name("") == ""


def test_the_state_machine_allows_only_its_transitions():
    from donate import state

    assert state.next_status("pending", "succeed") == "succeeded"
    assert state.next_status("failed", "succeed") == "succeeded"  # a retry with another card
    assert state.next_status("succeeded", "refund_part") == "partially_refunded"
    assert state.next_status("disputed", "lose_dispute") == "lost"
    for status, action in [("pending", "refund_all"), ("refunded", "refund_part"),
                           ("succeeded", "fail"), ("lost", "win_dispute"), ("canceled", "succeed")]:
        with pytest.raises(state.TransitionError):
            state.next_status(status, action)


def test_a_late_evening_gift_in_shanghai_is_booked_on_the_local_date():
    from datetime import datetime

    from ledger.periods import books_date

    assert str(books_date(datetime(2025, 12, 31, 16, 30))) == "2026-01-01"
    assert str(books_date(datetime(2025, 12, 31, 15, 59))) == "2025-12-31"


def test_a_gift_from_a_closed_month_is_booked_in_the_next_open_month(make_drive):
    from datetime import date, datetime

    from ledger.models import JournalEntry
    from ledger.periods import close_period

    drive = make_drive("live")
    close_period(db.session, "2025-01", by="finance@example.org")
    gift = _offline_gift(drive, 10_000)
    assert services.book_donation_succeeded(db.session, gift, when=datetime(2025, 1, 15, 4, 0))
    db.session.commit()
    entry = db.session.get(JournalEntry, gift.entry_id)
    assert entry.entry_date == date(2025, 2, 1)
    assert entry.memo.endswith("(late: belongs to 2025-01)")
    assert trial_balance()[("DONATION_INCOME", "SF-LJZ")] == -10_000
