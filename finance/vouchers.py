"""The voucher CSV for Chinese accounting packages (用友 / 金蝶 style imports).

One row per posting; one voucher (凭证) per journal entry, numbered 1, 2, 3 … within each
month in the order the entries were posted (entry id), so that a number never changes once
given: later entries get later numbers, and a closed month takes no new entries. The column
names are the import format's own, in Chinese whatever the page's language; the file is
UTF-8 with a byte-order mark, or GBK for packages that want it. See docs/finance.md.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from core.views import error_page
from ledger.forms import RangeForm
from ledger.models import Account, Fund, JournalEntry, Posting
from ledger.money import format_plain

#: The format's fixed column names (not UI text: importers match them literally).
HEADERS = ("日期", "凭证字", "凭证号", "摘要", "科目代码", "科目名称", "借方金额", "贷方金额",
           "辅助核算-基金")
#: 记 = 记账凭证, the general voucher word every package accepts.
VOUCHER_WORD = "记"
ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gbk"}


class VoucherForm(RangeForm):
    encoding = SelectField(_l("Encoding"), choices=[SelectChoice("utf-8", "UTF-8"),
                                                    SelectChoice("gbk", "GBK")],
                           default="utf-8", validate_choice=True)


@dataclass(frozen=True)
class VoucherRow:
    day: date
    number: int
    entry_id: int
    summary: str
    account_code: str
    account_name: str
    debit: int
    credit: int
    fund: str
    currency: str

    def cells(self) -> list[str]:
        return [self.day.isoformat(), VOUCHER_WORD, str(self.number), self.summary,
                self.account_code, self.account_name, self._plain(self.debit),
                self._plain(self.credit), self.fund]

    def _plain(self, amount: int) -> str:
        return format_plain(amount, self.currency) if amount else ""


def _month_start(day: date) -> date:
    return day.replace(day=1)


def voucher_rows(session: Session, start: date, end: date,
                 currency: str = "CNY") -> list[VoucherRow]:
    """Every posting of the entries dated ``start``..``end``, with its voucher number."""
    query = (sa.select(JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo, Account.code,
                       Account.name_zh, Fund.code, Posting.amount)
             .join(Posting, Posting.entry_id == JournalEntry.id)
             .join(Account, Account.id == Posting.account_id)
             .join(Fund, Fund.id == Posting.fund_id)
             # From the first of start's month, so that numbers count the whole month.
             .where(JournalEntry.entry_date.between(_month_start(start), end),
                    Posting.currency == currency)
             .order_by(JournalEntry.id, Posting.id))
    per_month, numbers, rows = {}, {}, []
    for entry_id, day, memo, code, name, fund, amount in session.execute(query):
        if entry_id not in numbers:
            month = (day.year, day.month)
            per_month[month] = numbers[entry_id] = per_month.get(month, 0) + 1
        if day >= start:
            rows.append(VoucherRow(day, numbers[entry_id], entry_id, _summary(memo), code,
                                   name, max(amount, 0), max(-amount, 0), fund, currency))
    rows.sort(key=lambda r: (r.day.year, r.day.month, r.number))
    return rows


def _summary(memo: str) -> str:
    # Importers read one line per cell: no line breaks inside a summary.
    return " ".join((memo or "").split())


def voucher_bytes(rows: list[VoucherRow], encoding: str) -> bytes:
    """The CSV file; raises UnicodeEncodeError when GBK cannot hold a character."""
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *(r.cells() for r in rows)])
    return out.getvalue().encode(ENCODINGS[encoding])


def voucher_response(rows: list[VoucherRow], start: date, end: date, encoding: str) -> Response:
    try:
        body = voucher_bytes(rows, encoding)
    except UnicodeEncodeError as err:
        bad = err.object[err.start:err.end]
        row = next((r for r in rows if bad in " ".join(r.cells())), None)
        return error_page(400, _("GBK cannot hold the character “%(char)s” (entry %(entry)s): "
                                 "download the file in UTF-8 instead.", char=bad,
                                 entry=row.entry_id if row else "?"))
    charset = "utf-8" if encoding == "utf-8" else "gbk"
    return Response(body, content_type=f"text/csv; charset={charset}", headers={
        "Content-Disposition": f'attachment; filename="vouchers-{start}-{end}-{encoding}.csv"'})
