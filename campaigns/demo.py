"""The demo office: the Pudong New Area office of a city charity foundation, as in the
newsletter the project grew from (``seed/000_…``): staff accounts, the chart of accounts, a
community charity sub-fund for each of Pudong's 36 streets and towns, two goods funds for the
paired regions, the "万人捐、帮万家" year-end drive and the "冬日暖阳" micro-wish drive, and
issue #5's goods, purchase order, fictitious households and deliveries (``campaigns.homes.demo``).

:func:`seed_office` is idempotent: running it again finds everything and changes nothing. It
needs only a SQLAlchemy session; ``flask demo seed`` (``donate.cli``) calls it, then adds gifts.
"""
import csv
from pathlib import Path

import sqlalchemy as sa

from campaigns import services
from campaigns.homes.demo import seed_homes
from campaigns.homes.pii import current_keys
from campaigns.wishes.demo import seed_wishes
from core.auth import User, UserRole
from ledger.chart import seed_chart
from ledger.posting import ensure_fund

STREETS_CSV = Path(__file__).resolve().parent / "data" / "pudong-streets-towns.csv"

#: email, demo password, roles. Demo only: printed by ``flask demo seed``.
DEMO_USERS = (
    ("staff@demo.wanjia", "wanjia-staff-demo", ("staff",)),
    ("finance@demo.wanjia", "wanjia-finance-demo", ("finance",)),
    ("admin@demo.wanjia", "wanjia-admin-demo", ("admin",)),
    ("auditor@demo.wanjia", "wanjia-auditor-demo", ("auditor",)),
)

#: code, Chinese name, English name of the paired-region goods funds.
GOODS_FUNDS = (
    ("GOODS-YN", "云南对口援建地区特产", "Goods from the paired regions in Yunnan"),
    ("GOODS-LY", "山东临沂革命老区特产", "Goods from the Linyi old revolutionary base, Shandong"),
)

#: The streets and towns the year-end drive offers by name (those the newsletter reports on).
DRIVE_STREETS = ("LJZ", "JYXC", "HN", "ZQ", "NHXC")

YEAR_END_STORY_ZH = """每年岁末年初，代表处都和各街镇、社区一起为困难家庭送温暖。“万人捐、帮万家”请一万位爱心人士，一起帮助一万个家庭过一个温暖、祥和的新春佳节。
您的捐款可以定向到所在街镇的社区慈善专项基金，由街镇用于低保、低收入和支出型困难家庭的节日帮困；也可以用于采购云南对口援建地区和山东临沂革命老区的小米、花生油、香肠、牛奶，打包成年货大礼包送到约2600户特殊困难家庭——既帮了困难家庭，也助力了产地的乡村振兴。
每一笔善款都记入基金会的账本，去向公开可查。"""

YEAR_END_STORY_EN = """Every year at New Year and Spring Festival, our office works with Pudong's streets, towns and neighbourhood committees to bring warmth to families in hardship. "10,000 donors help 10,000 homes" asks ten thousand people to help ten thousand households through the winter holidays.
You can give to the community charity sub-fund of a street or town, which uses it for holiday relief to families on subsistence allowances, low incomes or crushing medical bills; or to gift packs of millet, peanut oil, sausage and milk bought from our paired regions in Yunnan and the old revolutionary base of Linyi in Shandong, delivered to about 2,600 families in special hardship — helping the families and the farmers who grew the goods.
Every yuan is booked in the foundation's ledger, and where it went is public."""

WISH_STORY_ZH = """“冬日暖阳”青春送温暖行动已经连续开展多年。春节前，社工们走访孤残、重病和困难家庭的青少年，记下他们小小的心愿：一个新书包、一套学习用品、一件过冬的棉衣。
每个微心愿由一位爱心人士完整认领。工作人员采购物品、送到孩子手中，并在这里记录送达。"""

WISH_STORY_EN = """For many years the "Winter Sunshine" drive has brought warmth to young people in Pudong. Before Spring Festival, social workers visit teenagers who are orphaned, disabled, seriously ill or from families in hardship, and write down their small wishes: a new schoolbag, a set of stationery, a warm winter coat.
Each micro-wish is funded whole by one donor. Our staff buy the item, take it to the child, and record the delivery here."""


def _year_end_drive() -> services.CampaignInput:
    return services.CampaignInput(
        slug="wanren-juan", kind="pooled", title_zh="万人捐、帮万家",
        title_en="10,000 donors help 10,000 homes",
        story_zh=YEAR_END_STORY_ZH, story_en=YEAR_END_STORY_EN,
        goal_fen=300_000_000, donor_goal=10_000, homes_goal=10_000, fee_bearer="general",
        preset_amounts=(5_000, 10_000, 20_000, 50_000), min_gift_fen=100, max_gift_fen=5_000_000,
        designation_funds=tuple(f"SF-{code}" for code in DRIVE_STREETS) + tuple(g[0] for g in GOODS_FUNDS),
    )


def _wish_drive() -> services.CampaignInput:
    return services.CampaignInput(
        slug="dongri-nuanyang", kind="wish", title_zh="冬日暖阳·青少年微心愿",
        title_en="Winter Sunshine: micro-wishes of young people",
        story_zh=WISH_STORY_ZH, story_en=WISH_STORY_EN,
        goal_fen=9_000_000, donor_goal=1_000, homes_goal=600, fee_bearer="designated",
        preset_amounts=(15_000, 30_000), min_gift_fen=1_000, max_gift_fen=200_000,
    )


def street_rows() -> list[dict]:
    """Pudong's 36 streets and towns: code, name_zh, kind, name_en."""
    with STREETS_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_users(session) -> list[dict]:
    """One demo account per role; an existing account is left as it is."""
    accounts = []
    for email, password, roles in DEMO_USERS:
        if session.scalar(sa.select(User.id).where(User.email == email)) is None:
            user = User(email=email, display_name=email.split("@")[0])
            user.set_password(password)
            user.roles = [UserRole(role=r) for r in roles]
            session.add(user)
        accounts.append({"email": email, "password": password, "roles": list(roles)})
    session.flush()
    return accounts


def seed_funds(session) -> list[str]:
    """The chart, a restricted sub-fund per street/town, and the two goods funds."""
    seed_chart(session)
    codes = []
    for row in street_rows():
        code = f"SF-{row['code']}"
        ensure_fund(session, code, name_zh=f"{row['name_zh']}社区慈善专项基金",
                    name_en=f"{row['name_en']} community charity sub-fund",
                    restriction="restricted", kind="subfund")
        codes.append(code)
    for code, name_zh, name_en in GOODS_FUNDS:
        ensure_fund(session, code, name_zh=name_zh, name_en=name_en, restriction="restricted", kind="goods")
        codes.append(code)
    session.flush()
    return codes


def seed_campaigns(session) -> list[str]:
    """The two live drives; a drive already there (by slug) is left as it is."""
    slugs = []
    for data in (_year_end_drive(), _wish_drive()):
        campaign = services.campaign_by_slug(session, data.slug)
        if campaign is None:
            campaign = services.create_campaign(session, data)
            services.publish_campaign(session, campaign)
        slugs.append(campaign.slug)
    return slugs


def seed_office(session, pii_keys=None) -> dict:
    """Seed the demo office; returns what was there afterwards, passwords included for printing.

    Issue #5's demo (paired regions, goods, a received order, 300 fictitious households and
    the deliveries the goods fund can already pay for) comes with it; ``pii_keys`` default to
    the running app's (see ``campaigns.homes.pii``). Call ``campaigns.homes.demo.seed_deliveries`` again after
    booking demo gifts to deliver more packs.
    """
    users = seed_users(session)
    funds = seed_funds(session)
    campaigns = seed_campaigns(session)
    staff, finance = (session.scalar(sa.select(User).where(User.email == email))
                      for email in ("staff@demo.wanjia", "finance@demo.wanjia"))
    homes = seed_homes(session, pii_keys or current_keys(), staff, finance)
    seed_wishes(session)  # the funded ones wait for donate.wishes.seed_wish_gifts
    session.flush()
    return {"users": users, "funds": funds, "campaigns": campaigns, "homes": homes}
