"""Demo wishes of the "冬日暖阳" drive (fictitious children, pseudonyms only), one or more in
every status. The statuses after "funded" need a booked gift, which only ``donate`` can make:
``seed_wishes(session)`` (from ``campaigns.demo.seed_office``) goes as far as it can without
one, and ``seed_wishes(session, pay)`` — ``donate.wishes.seed_wish_gifts`` — takes the rest
through the real booking path. Idempotent: each wish is found by pseudonym and item, and moved
on only as far as its target status."""
import sqlalchemy as sa

from campaigns.services import campaign_by_slug
from campaigns.wishes import services, state
from campaigns.wishes.models import Wish, WishReservation

DRIVE = "dongri-nuanyang"
ACTOR = "staff@demo.wanjia"
#: pseudonym, age band, street, category, item, price (yuan), target status, story.
WISHES = (
    ("小雨", "10–12岁", "HN", "study", "新书包", "150", state.OPEN, "书包带子断了，想要一个结实的新书包。"),
    ("阿明", "7–9岁", "ZQ", "culture", "一套绘本", "88", state.OPEN, "喜欢听故事，想自己看绘本。"),
    ("婷婷", "13–15岁", "LJZ", "daily", "过冬棉衣", "260", state.OPEN, "去年的棉衣已经小了。"),
    ("小杰", "10–12岁", "NHXC", "health", "护眼台灯", "199", state.OPEN, "晚上写作业光线不好。"),
    ("乐乐", "4–6岁", "JYXC", "study", "学习用品套装", "60", state.RESERVED, "马上要上小学了。"),
    ("小军", "13–15岁", "HN", "culture", "篮球", "120", state.FUNDED, "想和同学一起打球。"),
    ("欣欣", "10–12岁", "ZQ", "study", "英语词典", "75", state.PURCHASED, "英语是她最喜欢的课。"),
    ("浩浩", "7–9岁", "LJZ", "daily", "保暖鞋", "139", state.DELIVERED, "冬天的鞋子漏风。"),
    ("小雪", "16–18岁", "NHXC", "study", "科学计算器", "98", state.CLOSED, "准备参加中考。"),
    ("明明", "10–12岁", "JYXC", "health", "血压计（给奶奶）", "180", state.DRAFT, "想照顾好奶奶。"),
    ("丫丫", "4–6岁", "HN", "daily", "毛绒玩具", "45", state.CANCELLED, "家庭已搬离本区。"),
)
_ORDER = (state.DRAFT, state.OPEN, state.RESERVED, state.FUNDED, state.PURCHASED,
          state.DELIVERED, state.CLOSED)


def _find_or_create(session, drive, spec) -> Wish:
    who, band, street, category, item, price, _target, story = spec
    wish = session.scalar(sa.select(Wish).filter_by(campaign_id=drive.id, beneficiary=who, item=item))
    if wish is None:
        wish = services.create_wish(session, drive, services.WishInput(
            beneficiary=who, age_band=band, street=street, category=category, item=item,
            price=price, story=story), ACTOR)
    return wish


def _advance(session, wish: Wish, target: str, pay) -> None:
    """Move ``wish`` towards ``target`` one step at a time (nothing if it is there already)."""
    if wish.status == state.DRAFT and target != state.DRAFT and wish.verified_at is None:
        services.verify_wish(session, wish, ACTOR, note="家访核实（演示）")
    if target == state.CANCELLED:
        if wish.status == state.DRAFT:
            services.publish_wish(session, wish, ACTOR)
        if wish.status == state.OPEN:
            services.cancel_wish(session, wish, ACTOR, "演示：家庭已搬离")
        return
    steps = {
        state.DRAFT: lambda: services.publish_wish(session, wish, ACTOR),
        state.OPEN: lambda: services.reserve_wish(session, wish, "demo"),
        state.RESERVED: lambda: pay(session, _held(session, wish) or services.reserve_wish(session, wish, "demo")),
        state.FUNDED: lambda: services.record_purchase(session, wish, wish.price_fen - 300, "演示文具店", ACTOR),
        state.PURCHASED: lambda: services.record_delivery(session, wish, "孩子收到了，谢谢您！（演示）", ACTOR),
        state.DELIVERED: lambda: services.close_wish(session, wish, ACTOR),
    }
    while _ORDER.index(wish.status) < _ORDER.index(target):
        if wish.status == state.OPEN and target != state.RESERVED and pay is None:
            return  # funding needs a booked gift: left open until ``pay`` is given
        if wish.status == state.RESERVED and pay is None:
            return
        steps[wish.status]()
        session.refresh(wish)


def _held(session, wish):
    return session.scalar(sa.select(WishReservation).filter_by(wish_id=wish.id, status=state.HELD))


def seed_wishes(session, pay=None) -> int:
    """Seed the demo wishes; ``pay(session, reservation)`` books a gift for a reservation.

    Returns how many demo wishes there are. Nothing happens without the demo drive.
    """
    drive = campaign_by_slug(session, DRIVE)
    if drive is None or drive.status != "live":
        return 0
    for spec in WISHES:
        _advance(session, _find_or_create(session, drive, spec), spec[6], pay)
    session.flush()
    return len(WISHES)


#: A pooled wish (拼好愿): dearer than the demo drive's ¥400 threshold, two parts paid so far.
POOLED = ("小宇", "10–12岁", "ZQ", "health", "助听器", "480", state.OPEN, "听力不好，上课听不清老师讲话。")
POOLED_THRESHOLD_FEN = 40_000
POOLED_PARTS_FEN = (20_000, 10_000)


def seed_pooled_wish(session, pay) -> Wish | None:
    """The demo drive's pooled wish, ¥300 of ¥480 paid by two donors; idempotent.

    Sets the drive's pooled threshold (¥400) if it has none: the other demo wishes, published
    before, stay whole. ``pay(session, reservation)`` books a gift for each part.
    """
    drive = campaign_by_slug(session, DRIVE)
    if drive is None or drive.status != "live":
        return None
    found = services.drive_settings(session, drive)
    if found.pooled_threshold_fen is None:
        found.pooled_threshold_fen = POOLED_THRESHOLD_FEN
    wish = _find_or_create(session, drive, POOLED)
    if wish.status == state.DRAFT:
        services.verify_wish(session, wish, ACTOR, note="家访核实（演示）")
        services.publish_wish(session, wish, ACTOR)
    if wish.funded_fen == 0 and wish.held_fen == 0:
        for n, part in enumerate(POOLED_PARTS_FEN):
            pay(session, services.reserve_wish(session, wish, f"demo-part-{n}", amount_fen=part))
    session.flush()
    return wish
