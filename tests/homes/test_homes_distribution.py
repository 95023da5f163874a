"""Distribution lists and deliveries; homes helped."""
from datetime import date

import pytest
import sqlalchemy as sa

from campaigns.homes import distribution, households
from campaigns.homes.households import HouseholdInput
from campaigns.homes.models import Distribution
from campaigns.homes.state import HomesError
from core.extensions import db
from ledger import chart
from ledger.balances import account_balance
from ledger.verify import verify_ledger
from tests.homes.homes_support import fake_id


@pytest.fixture
def drive(funds):
    from campaigns.demo import seed_campaigns

    seed_campaigns(db.session)
    db.session.commit()
    from campaigns.services import campaign_by_slug

    return campaign_by_slug(db.session, "wanren-juan")


@pytest.fixture
def homes(funds, keys):
    made = [households.register_household(db.session, keys, HouseholdInput(
        street="HN", committee="城南居委", category="dibao", head_name=f"测试户{n:03d}",
        id_number=fake_id(n), phone="", members="2")) for n in range(1, 4)]
    db.session.commit()
    return made


def test_delivery_moves_one_pack_from_inventory_to_expense(drive, homes, linyi, give, english):
    from donate.progress import homes_helped

    give("GOODS-LY", 100_000)
    recipe = linyi["recipe"]
    assert distribution.assign_packs(db.session, drive.id, recipe, homes) == 3
    assert distribution.assign_packs(db.session, drive.id, recipe, homes) == 0
    first = distribution.distribution_list(db.session, drive.id)[0]
    distribution.confirm_delivery(db.session, first, date(2024, 1, 18), "王社工", "本人签收")
    db.session.commit()
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, "GOODS-LY") == 20_000
    assert account_balance(db.session, chart.INVENTORY, "GOODS-LY") == -20_000
    assert distribution.count_homes_helped(db.session, drive.id) == 1
    assert homes_helped(drive) == 1
    with pytest.raises(HomesError) as err:
        distribution.confirm_delivery(db.session, first, date(2024, 1, 19), "李社工")
    assert "already delivered on 2024-01-18" in str(err.value.message)
    assert account_balance(db.session, chart.PROGRAM_EXPENSE, "GOODS-LY") == 20_000
    assert verify_ledger(db.session) == []


def test_a_second_pack_for_the_same_household_is_refused(drive, homes, linyi, english):
    distribution.assign_pack(db.session, drive.id, homes[0], linyi["recipe"])
    db.session.commit()
    with pytest.raises(HomesError) as err:
        distribution.assign_pack(db.session, drive.id, homes[0], linyi["recipe"])
    assert "already has a gift pack in this drive" in str(err.value.message)
    db.session.add(Distribution(campaign_id=drive.id, household_id=homes[0].id,
                                recipe_id=linyi["recipe"].id))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Distribution.id))) == 1


def test_a_delivery_the_goods_fund_cannot_cover_is_refused(drive, homes, linyi, english):
    dist = distribution.assign_pack(db.session, drive.id, homes[0], linyi["recipe"])
    db.session.commit()
    with pytest.raises(HomesError) as err:
        distribution.confirm_delivery(db.session, dist, date(2024, 1, 18), "王社工")
    db.session.rollback()
    assert "GOODS-LY does not hold enough for this pack: it is 200.00 yuan short" in str(err.value.message)
    assert db.session.get(Distribution, dist.id).delivered_on is None
