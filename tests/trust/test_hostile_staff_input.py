"""Hostile and broken input (issue #10), part 2: staff and finance forms and every CSV import
(households, wishes). Sent by one user holding staff, finance and admin, so that the refusal
is the input's fault and never the role's. Same promise as part 1: a 4xx or a form error
with a clear message, and not one row changed."""
import pytest

from tests.trust.hostile import Case, check, world_ids

SCRIPT = "<script>alert(1)</script>"
SQL = "1'; DROP TABLE journal_entries; --"
REQUIRED = "This field is required."
ZWSP, RLM = "\u200b", "\u200f"


def staff(case_id, url, text=None, status=(400,), **data):
    return Case(case_id, url, data=data, status=status, text=text)


CAMPAIGN = {"slug": "trust-drive", "kind": "pooled", "title_zh": "测试", "title_en": "Test",
            "currency": "CNY", "fee_bearer": "designated", "preset_amounts": "50, 100",
            "min_gift": "1", "max_gift": "50000"}


def campaign(case_id, text, **changes):
    data = {**CAMPAIGN, **changes}
    return Case(case_id, "/staff/campaigns/new", data={k: v for k, v in data.items() if v is not None},
                text=text)


CAMPAIGNS = [
    campaign("campaign-slug-missing", REQUIRED, slug=None),
    campaign("campaign-slug-script", "Use lower-case letters", slug=SCRIPT[:40]),
    campaign("campaign-slug-sql", "Use lower-case letters", slug="x'; drop table campaigns;--"),
    campaign("campaign-slug-taken", "already", slug="wanren-juan"),
    campaign("campaign-title-missing", REQUIRED, title_zh=""),
    campaign("campaign-kind-unknown", "Not a valid choice", kind="lottery"),
    campaign("campaign-currency-unknown", "Not a valid choice", currency="XBT"),
    campaign("campaign-goal-negative", "The amount must be more than zero.", goal="-100"),
    campaign("campaign-goal-three-decimals", "Use at most two decimal places (fen).",
             goal="100.001"),
    campaign("campaign-goal-huge", "The amount is too large.", goal="9" * 30),
    campaign("campaign-min-gift-letters", "Enter an amount like 50 or 12.50.", min_gift="abc"),
    campaign("campaign-max-gift-zero-width", "Enter an amount like 50 or 12.50.",
             max_gift=f"5{ZWSP}0"),
    campaign("campaign-presets-too-many", "At most eight preset amounts.",
             preset_amounts=",".join(["10"] * 9)),
    campaign("campaign-donor-goal-words", "Not a valid integer value.", donor_goal="many"),
    campaign("campaign-donor-goal-negative", "Number must be between 0 and 1000000000.",
             donor_goal="-1"),
    campaign("campaign-start-not-a-date", "Not a valid datetime value.", starts_at="tomorrow"),
    campaign("campaign-cover-javascript-url", "Use an https:// address or a /static/ path.",
             cover_image="javascript:alert(1)"),
    campaign("campaign-story-huge", "Field cannot be longer than 20000 characters.",
             story_zh="长" * 20001),
    staff("campaign-status-unknown-action", "/staff/campaigns/{campaign_id}/status",
          status=(400,), action="explode"),
    staff("campaign-status-unknown-campaign", "/staff/campaigns/987654/status", status=(404,),
          action="pause"),
]

LEDGER = [
    staff("account-code-letters", "/finance/accounts", "An account code is 4 to 12 digits (0–9).",
          code="ABCD", type="asset", name_zh="测试", name_en="Test"),
    staff("account-code-sql", "/finance/accounts", "An account code is 4 to 12 digits (0–9).",
          code=SQL, type="asset", name_zh="测试", name_en="Test"),
    staff("account-code-fullwidth", "/finance/accounts", "An account code is 4 to 12 digits (0–9).",
          code="１００９", type="asset", name_zh="测试", name_en="Test"),
    staff("account-type-mismatch", "/finance/accounts", "are not accounts of this type",
          code="5999", type="asset", name_zh="测试", name_en="Test"),
    staff("account-name-missing", "/finance/accounts", REQUIRED, code="1999", type="asset",
          name_zh="", name_en="Test"),
    staff("account-code-taken", "/finance/accounts", "already", code="1002", type="asset",
          name_zh="测试", name_en="Test"),
    staff("reverse-unconfirmed", "/finance/entries/{entry}/reverse", "Tick the box to confirm.",
          memo="mistake"),
    staff("reverse-no-memo", "/finance/entries/{entry}/reverse", REQUIRED, memo="", confirm="y"),
    staff("reverse-bad-date", "/finance/entries/{entry}/reverse", "date", memo="mistake",
          confirm="y", entry_date="2024-02-30"),
    staff("reverse-unknown-entry", "/finance/entries/987654/reverse", status=(404,),
          memo="mistake", confirm="y"),
    staff("close-month-not-a-month", "/finance/periods/2024-13/close", status=(400, 404)),
    staff("close-month-sql", "/finance/periods/2024'--/close", status=(400, 404)),
    staff("reopen-without-reason", "/finance/periods/2024-01/reopen", REQUIRED, reason=""),
    staff("reopen-open-month", "/finance/periods/2031-01/reopen", "not closed", status=(409, 400),
          reason="typo"),
    staff("refund-letters", "/finance/donations/{donation}/refund",
          "Enter an amount in yuan, like 50 or 12.50", amount="abc", reason="asked"),
    staff("refund-negative", "/finance/donations/{donation}/refund",
          "The amount must be more than zero.", amount="-1", reason="asked"),
    staff("refund-offline-gift", "/finance/donations/{donation}/refund",
          "This gift was not paid online", status=(409,), amount="1", reason="asked"),
    staff("refund-no-reason", "/finance/donations/{donation}/refund", REQUIRED, amount="1",
          reason=""),
]

HOMES = [
    staff("disbursement-amount-letters", "/staff/homes/subfunds/SF-HN/disbursements",
          "Enter a price like 50 or 12.50.", amount="lots", purpose="school fees"),
    staff("disbursement-amount-negative", "/staff/homes/subfunds/SF-HN/disbursements",
          "more than zero", amount="-50", purpose="school fees"),
    staff("disbursement-no-purpose", "/staff/homes/subfunds/SF-HN/disbursements", REQUIRED,
          amount="50", purpose=""),
    staff("disbursement-unknown-fund", "/staff/homes/subfunds/NOPE/disbursements", status=(404,),
          amount="50", purpose="x"),
    staff("region-name-missing", "/staff/homes/goods/regions", REQUIRED, name="",
          province="云南", pairing_type="aid", fund_code="GOODS-YN"),
    staff("region-pairing-unknown", "/staff/homes/goods/regions", "Not a valid choice",
          name="大理", province="云南", pairing_type="evil", fund_code="GOODS-YN"),
    staff("supplier-region-letters", "/staff/homes/goods/suppliers", "Invalid Choice",
          region_id="abc", name="x"),
    staff("good-price-three-decimals", "/staff/homes/goods/items", "two decimal",
          region_id="1", name_zh="米", unit="袋", unit_price="1.001"),
    staff("good-price-script", "/staff/homes/goods/items", "At most 20 characters.",
          region_id="1", name_zh="米", unit="袋", unit_price=SCRIPT),
    staff("order-lines-garbage", "/staff/homes/orders", "line", supplier_id="1",
          lines="one, two, three"),
    staff("order-lines-negative-quantity", "/staff/homes/orders", "line", supplier_id="1",
          lines="1, -5, 30"),
    staff("order-lines-huge", "/staff/homes/orders", "At most 5000 characters.", supplier_id="1",
          lines="1, 1, 1\n" * 1000),
    staff("order-pay-letters", "/staff/homes/orders/{order}/pay", "Enter a price like 50 or 12.50.",
          status=(409,), amount="abc",
          paid_on="2024-01-20"),
    # InputRequired keeps the date parser's own message (DataRequired said "required").
    staff("order-pay-bad-date", "/staff/homes/orders/{order}/pay", "Paid on: Not a valid date value.",
          amount="10", paid_on="2024-02-30"),
    staff("assign-street-unknown", "/staff/homes/campaigns/{campaign_id}/distribution", "street",
          street="ZZZ", recipe_id="1"),
    staff("deliver-no-date", "/staff/homes/distributions/{distribution}/deliver",
          REQUIRED, delivered_on="", delivered_by="李"),
    staff("liaison-unknown-email", "/staff/homes/liaisons/new", "no-one@example.org",
          email="no-one@example.org", street="HN"),
    staff("confirm-import-unknown-upload", "/staff/homes/households/import/987654/confirm",
          status=(404,), mode="all"),
]

WISHES = [
    staff("wish-price-letters", "/staff/wishes/drives/{wish}/wishes", "Enter", beneficiary="小明",
          age_band="10–12岁", street="HN", category="study", item="书包", price="cheap"),
    staff("wish-price-above-cap", "/staff/wishes/drives/{wish}/wishes", "cap", beneficiary="小明",
          age_band="10–12岁", street="HN", category="study", item="书包", price="100000"),
    staff("wish-category-unknown", "/staff/wishes/drives/{wish}/wishes", "Not a valid choice",
          beneficiary="小明", age_band="10–12岁", street="HN", category="weapons", item="书包",
          price="50"),
    staff("wish-no-item", "/staff/wishes/drives/{wish}/wishes", REQUIRED, beneficiary="小明",
          age_band="10–12岁", street="HN", category="study", item="", price="50"),
    staff("wish-settings-minutes-zero", "/staff/wishes/drives/{wish}/settings",
          "Between 1 and 1,440 minutes.", price_cap="300", reservation_minutes="0"),
    staff("wish-settings-minutes-words", "/staff/wishes/drives/{wish}/settings",
          "Not a valid integer value.", price_cap="300", reservation_minutes="ten"),
    staff("wish-action-unknown", "/staff/wishes/{wish_id}/do/explode", status=(400, 404)),
    staff("wish-purchase-letters", "/staff/wishes/{wish_id}/purchase", "Enter", amount="abc",
          supplier="文具店"),
    Case("wish-reserve-unknown", "/c/{wish}/wishes/987654/reserve", data={}, who="anon",
         status=(404,)),
    Case("wish-reservation-unknown-token", "/wishes/r/no-such-token", data={}, who="anon",
         status=(409,), text="This reservation belongs to someone else."),
]


@pytest.mark.parametrize("case", CAMPAIGNS + LEDGER + HOMES + WISHES, ids=lambda c: c.id)
def test_staff_input_is_refused_and_writes_nothing(world, writer, case):
    client = writer if case.who == "writer" else world.test_client()
    check(client, case, world_ids())


# -- CSV imports ----------------------------------------------------------------------------

HOUSEHOLD_HEADER = "street,committee,category,head_name,id_number,phone,members\n"
WISH_HEADER = "beneficiary,age_band,street,category,item,price,story\n"


def upload(case_id, url, raw: bytes, text, filename="list.csv"):
    return Case(case_id, url, files={"file": (raw, filename)}, text=text)


HOUSEHOLDS_URL = "/staff/homes/households/import"
WISHES_URL = "/staff/wishes/drives/{wish}/import"
NOT_TEXT = "This file is neither UTF-8 nor GBK text."
IMPORTS = [
    upload("households-utf16", HOUSEHOLDS_URL, HOUSEHOLD_HEADER.encode("utf-16"), NOT_TEXT),
    upload("households-binary", HOUSEHOLDS_URL, bytes(range(256)) * 4, NOT_TEXT),
    upload("households-no-header", HOUSEHOLDS_URL, b"HN,1,dibao,x,1,1,1\n",
           "The header row must name these columns"),
    upload("households-empty", HOUSEHOLDS_URL, b"", "The header row must name these columns"),
    upload("households-huge-field", HOUSEHOLDS_URL,
           (HOUSEHOLD_HEADER + "HN," + "x" * 200_000 + "\n").encode(), "cannot be read"),
    upload("households-too-many-rows", HOUSEHOLDS_URL,
           (HOUSEHOLD_HEADER + "HN,1,dibao,x,1,1,1\n" * 5001).encode(), "At most"),
    upload("households-oversized", HOUSEHOLDS_URL, b"x" * (9 * 1024 * 1024), None),
    Case("households-no-file", HOUSEHOLDS_URL, data={}, status=(200,),
         text="Household list (CSV): This field is required."),
    upload("wishes-utf16", WISHES_URL, WISH_HEADER.encode("utf-16"), NOT_TEXT),
    upload("wishes-header-only", WISHES_URL, WISH_HEADER.encode(), "The file has no wishes in it."),
    upload("wishes-missing-column", WISHES_URL, b"beneficiary,item\nx,y\n",
           "The header row must name these columns"),
    upload("wishes-bad-rows", WISHES_URL,
           (WISH_HEADER + f"{SCRIPT},10岁,ZZZ,weapons,{SQL},-5,x\n").encode(), "line"),
    upload("wishes-huge-field", WISHES_URL, (WISH_HEADER + "x" * 200_000 + "\n").encode(),
           "cannot be read"),
    Case("wishes-no-file", WISHES_URL, data={}, text=REQUIRED),
]


@pytest.mark.parametrize("case", IMPORTS, ids=lambda c: c.id)
def test_bad_uploads_are_refused_and_write_nothing(world, writer, case):
    status = (413,) if case.id.endswith("oversized") else case.status
    check(writer, Case(**{**case.__dict__, "status": status}), world_ids())
