"""CSV import of wishes: the upload decoded as the households import decodes it (UTF-8 or
GBK), headers in English or Chinese, one dict per row with its line number. Checking each row
is :func:`campaigns.wishes.services.import_wishes`'s job; this module only reads the file."""

from flask_babel import lazy_gettext as _l

from campaigns.homes.households import decode_upload, read_csv_table
from campaigns.homes.state import HomesError
from campaigns.wishes.state import WishError

MAX_ROWS = 2000
#: Accepted headers (English or Chinese) → field of ``services.WishInput``.
HEADERS = {"beneficiary": "beneficiary", "化名": "beneficiary", "age_band": "age_band",
           "年龄段": "age_band", "street": "street", "街镇": "street", "category": "category",
           "类别": "category", "item": "item", "物品": "item", "price": "price", "价格": "price",
           "story": "story", "故事": "story"}
REQUIRED = ("beneficiary", "age_band", "street", "category", "item", "price")
#: Chinese category names staff may type instead of the codes.
CATEGORY_ZH = {"学习": "study", "生活": "daily", "健康": "health", "文化": "culture"}


def parse_wish_csv(raw: bytes) -> list[dict]:
    """``[{line, field: text, …}]`` from an upload; :class:`WishError` if the file is unusable."""
    try:
        text = decode_upload(raw)
    except HomesError as err:
        raise WishError(err.message, "file") from None
    rows = read_csv_table(text, HEADERS, set(REQUIRED), MAX_ROWS,
                          _l("At most %(max)d wishes per file.", max=MAX_ROWS), WishError)
    for row in rows:
        row["category"] = CATEGORY_ZH.get(row.get("category", ""), row.get("category", ""))
    if not rows:
        raise WishError(_l("The file has no wishes in it."), "file")
    return rows
