"""The campaign state machine: every allowed and every refused transition, and the ledger fund
that a campaign gets exactly once, when it first goes live."""
import pytest
import sqlalchemy as sa

from campaigns import services, state
from core.extensions import db

STATUSES = ("draft", "live", "paused", "closed")
ALLOWED = {
    ("draft", "publish"): "live",
    ("live", "pause"): "paused",
    ("paused", "resume"): "live",
    ("live", "close"): "closed",
    ("paused", "close"): "closed",
}
ALL_PAIRS = [(s, a) for s in STATUSES for a in state.TRANSITIONS]


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_next_status_allows_exactly_the_listed_transitions(status, action):
    if (status, action) in ALLOWED:
        assert state.next_status(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(state.TransitionError):
            state.next_status(status, action)


def test_allowed_actions_per_status():
    assert state.allowed_actions("draft") == ["publish"]
    assert state.allowed_actions("live") == ["pause", "close"]
    assert state.allowed_actions("paused") == ["resume", "close"]
    assert state.allowed_actions("closed") == []


def test_refusal_message_names_status_and_action(english):
    with pytest.raises(state.TransitionError) as err:
        state.next_status("closed", "resume")
    assert str(err.value.message) == "“Resume” is not possible for a campaign with status Closed."


def test_unknown_action_is_refused(english):
    with pytest.raises(state.TransitionError) as err:
        state.next_status("live", "delete")
    assert str(err.value.message) == "Unknown action: delete."


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_change_status_in_the_database(make_campaign, status, action):
    campaign = make_campaign(status)
    if (status, action) in ALLOWED:
        services.change_status(db.session, campaign, action)
        db.session.commit()
        assert campaign.status == ALLOWED[(status, action)]
    else:
        with pytest.raises(state.TransitionError):
            services.change_status(db.session, campaign, action)
        db.session.rollback()
        assert campaign.status == status


def test_a_stale_status_is_refused(make_campaign, english):
    """Two staff on the same page: the second click finds the status changed and fails."""
    from sqlalchemy.orm.attributes import set_committed_value

    from campaigns.models import Campaign

    campaign = make_campaign("live")
    db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id).values(status="paused"))
    set_committed_value(campaign, "status", "live")  # what the second request had read
    with pytest.raises(state.TransitionError) as err:
        services.change_status(db.session, campaign, "pause")
    assert "changed this campaign meanwhile" in str(err.value.message)


def test_the_fund_is_opened_once_on_first_publish(make_campaign, monkeypatch):
    from ledger.models import Fund

    calls = []
    real = services.ensure_fund
    monkeypatch.setattr(services, "ensure_fund", lambda *a, **kw: calls.append(a[1]) or real(*a, **kw))
    campaign = make_campaign("draft", slug="winter-2024", title_en="Winter relief")
    assert campaign.fund_code is None and calls == []
    for action in ("publish", "pause", "resume", "pause", "resume", "close"):
        services.change_status(db.session, campaign, action)
    db.session.commit()
    assert calls == ["C-WINTER-2024"]
    assert campaign.fund_code == "C-WINTER-2024"
    fund = db.session.scalar(sa.select(Fund).where(Fund.code == "C-WINTER-2024"))
    assert (fund.kind, fund.restriction, fund.name_zh, fund.name_en) == (
        "campaign", "restricted", "冬季帮困", "Winter relief")
    assert campaign.designations[0].fund_code == "C-WINTER-2024"
    assert campaign.designations[0].kind == "general"


def test_a_fund_the_ledger_refuses_leaves_the_campaign_a_draft(make_campaign, english):
    """A fund code already taken by another kind of fund: a clear refusal, nothing changed."""
    from ledger.posting import ensure_fund

    ensure_fund(db.session, "C-CLASH", name_zh="别的基金", restriction="restricted", kind="subfund")
    campaign = make_campaign("draft", slug="clash")
    with pytest.raises(state.TransitionError) as err:
        services.publish_campaign(db.session, campaign)
    assert str(err.value.message).startswith("The ledger could not open the campaign’s fund:")
    db.session.rollback()
    assert (campaign.status, campaign.fund_code) == ("draft", None)


def test_accepts_gifts_only_when_live_and_within_its_dates(make_campaign):
    from datetime import datetime

    campaign = make_campaign("live", starts_at=datetime(2025, 1, 1), ends_at=datetime(2025, 2, 1))
    assert not campaign.accepts_gifts(datetime(2024, 12, 31, 23, 59))
    assert campaign.accepts_gifts(datetime(2025, 1, 1))
    assert not campaign.accepts_gifts(datetime(2025, 2, 1))
    services.pause_campaign(db.session, campaign)
    assert not campaign.accepts_gifts(datetime(2025, 1, 15))
