"""The demo office: everything the newsletter's office needs, and nothing twice."""
import sqlalchemy as sa

from core.extensions import db


def counts() -> dict:
    from campaigns.models import Campaign, Designation
    from core.auth import User, UserRole
    from ledger.models import Account, Fund

    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (User, UserRole, Account, Fund, Campaign, Designation)}


def test_seed_office_creates_the_office(app):
    from campaigns.demo import seed_office
    from campaigns.services import campaign_by_slug
    from core.auth import authenticate
    from ledger.models import Fund

    result = seed_office(db.session)
    db.session.commit()
    assert [u["email"] for u in result["users"]] == [
        "staff@demo.wanjia", "finance@demo.wanjia", "admin@demo.wanjia", "auditor@demo.wanjia"]
    assert authenticate("staff@demo.wanjia", "wanjia-staff-demo").role_names == {"staff"}
    assert len(result["funds"]) == 38
    funds = {f.code: f for f in db.session.scalars(sa.select(Fund))}
    assert funds["SF-LJZ"].name_zh == "陆家嘴街道社区慈善专项基金"
    assert funds["SF-NHXC"].kind == "subfund" and funds["SF-NHXC"].restriction == "restricted"
    assert funds["GOODS-LY"].kind == "goods"

    drive = campaign_by_slug(db.session, "wanren-juan")
    assert (drive.title_zh, drive.kind, drive.status) == ("万人捐、帮万家", "pooled", "live")
    assert (drive.goal_fen, drive.donor_goal, drive.homes_goal) == (300_000_000, 10_000, 10_000)
    assert [d.fund_code for d in drive.designations] == [
        "C-WANREN-JUAN", "SF-LJZ", "SF-JYXC", "SF-HN", "SF-ZQ", "SF-NHXC", "GOODS-YN", "GOODS-LY"]
    assert funds["C-WANREN-JUAN"].kind == "campaign"
    wish = campaign_by_slug(db.session, "dongri-nuanyang")
    assert (wish.kind, wish.status, wish.fund_code) == ("wish", "live", "C-DONGRI-NUANYANG")
    assert result["campaigns"] == ["wanren-juan", "dongri-nuanyang"]


def test_seed_office_twice_changes_nothing(app):
    from campaigns.demo import seed_office

    first = seed_office(db.session)
    db.session.commit()
    before = counts()
    second = seed_office(db.session)
    db.session.commit()
    assert counts() == before
    assert first == second
    assert before["users"] == 4 and before["campaigns"] == 2 and before["designations"] == 9
