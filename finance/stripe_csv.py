"""Reading the itemised CSV reports that Stripe's dashboard exports.

Two reports share the columns read here: "Balance change from activity" (itemised) and
"Payout reconciliation" (itemised). Amounts are decimal major units (``"100.00"``) and are
read with :class:`ledger.money.Money` into minor units exactly; dates are UTC. A file may
also carry the payouts' own balance transactions (reporting_category ``payout``, as the
"Payouts" itemised report lists them): then each payout's lines must add up to it.

:func:`parse_stripe_csv` reads everything before it refuses anything, and returns every
problem at once (each naming its line and column), so a finance officer fixes a file in
one round; nothing is written unless the whole file is clean.
"""
import csv
import dataclasses
import io
from collections import defaultdict
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l

from core.files import is_excel
from ledger.money import Money, MoneyError, format_plain, minor_digits

REQUIRED = ("balance_transaction_id", "created_utc", "currency", "gross", "fee", "net",
            "reporting_category")
#: Read when present; Stripe lets the user pick columns, and each report has its own set.
OPTIONAL = ("available_on_utc", "source_id", "description", "payment_intent_id", "charge_id",
            "automatic_payout_id", "automatic_payout_effective_at",
            "automatic_payout_effective_at_utc")
#: Without an explicit ``_utc`` column, the plain one is UTC too (no timezone was asked for).
ALIASES = {"created_utc": "created", "available_on_utc": "available_on"}
#: The forms Stripe's exports use besides ISO 8601: "2026-11-03 08:15" and with seconds.
_STRIPE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
MAX_LINES = 200_000


class StripeFileError(ValueError):
    """A file that cannot be imported; ``problems`` are translated strings, one per fault."""

    def __init__(self, problems: list):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclasses.dataclass(frozen=True)
class ParsedLine:
    line_no: int
    balance_transaction_id: str
    created_utc: datetime
    available_on_utc: datetime | None
    currency: str
    gross_fen: int
    fee_fen: int
    net_fen: int
    reporting_category: str
    source_id: str = ""
    description: str = ""
    payment_intent_id: str = ""
    charge_id: str = ""
    payout_id: str = ""
    payout_effective_utc: datetime | None = None


def parse_stripe_csv(data: bytes) -> list[ParsedLine]:
    """Every line of the file; :class:`StripeFileError` listing every problem otherwise."""
    rows = _read_rows(data)
    problems, lines, first_seen = [], [], {}
    for line_no, row in rows:
        before = len(problems)
        line = _parse_row(line_no, row, problems)
        if len(problems) > before:
            continue
        txn = line.balance_transaction_id
        if txn in first_seen:
            problems.append(_l("Line %(line)s repeats balance transaction %(txn)s, first seen on "
                               "line %(first)s.", line=line_no, txn=txn, first=first_seen[txn]))
            continue
        first_seen[txn] = line_no
        lines.append(line)
    problems += payout_total_problems(lines)
    if problems:
        raise StripeFileError(problems)
    return lines


def _read_rows(data: bytes):
    if is_excel(data):
        raise StripeFileError([_l("This is an Excel workbook, not a CSV file. In Stripe's "
                                  "dashboard choose the CSV download, or save the sheet as "
                                  "CSV (UTF-8).")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise StripeFileError([_l("The file is not UTF-8 text (byte %(pos)s cannot be read). "
                                  "Stripe exports UTF-8; re-export it, or save it as CSV "
                                  "(UTF-8).", pos=err.start)]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header and ALIASES.get(c) not in header]
    if not header or missing:
        raise StripeFileError([_l("Columns missing from the file: %(columns)s.",
                                  columns=", ".join(missing or REQUIRED))])
    rows = [(n, row) for n, row in enumerate(reader, start=2) if any((v or "").strip()
                                                                      for v in row.values())]
    if not rows:
        raise StripeFileError([_l("The file has a header but no lines.")])
    if len(rows) > MAX_LINES:
        raise StripeFileError([_l("The file has more than %(max)s lines; export a shorter "
                                  "date range.", max=MAX_LINES)])
    return rows


def _cell(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None and column in ALIASES:
        value = row.get(ALIASES[column])
    return (value or "").strip()


def _parse_row(line_no: int, row: dict, problems: list) -> ParsedLine | None:
    txn = _cell(row, "balance_transaction_id")
    if not txn:
        problems.append(_l("Line %(line)s: balance_transaction_id is empty.", line=line_no))
    currency = _cell(row, "currency").upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.append(_l("Line %(line)s: %(value)s in currency is not a currency code.",
                           line=line_no, value=_cell(row, "currency") or "''"))
        return None
    gross, fee, net = (_amount(line_no, row, c, currency, problems) for c in ("gross", "fee", "net"))
    created = _when(line_no, row, "created_utc", problems, required=True)
    available = _when(line_no, row, "available_on_utc", problems)
    effective = (_when(line_no, row, "automatic_payout_effective_at_utc", problems)
                 or _when(line_no, row, "automatic_payout_effective_at", problems))
    if None not in (gross, fee, net) and gross - fee != net:
        problems.append(_l("Line %(line)s: gross %(gross)s less fee %(fee)s is not net %(net)s.",
                           line=line_no, gross=format_plain(gross, currency),
                           fee=format_plain(fee, currency), net=format_plain(net, currency)))
    category = _cell(row, "reporting_category")
    if not category:
        problems.append(_l("Line %(line)s: reporting_category is empty.", line=line_no))
    return ParsedLine(
        line_no=line_no, balance_transaction_id=txn, created_utc=created,
        available_on_utc=available, currency=currency, gross_fen=gross, fee_fen=fee,
        net_fen=net, reporting_category=category, source_id=_cell(row, "source_id"),
        description=_cell(row, "description")[:500],
        payment_intent_id=_cell(row, "payment_intent_id"), charge_id=_cell(row, "charge_id"),
        payout_id=_cell(row, "automatic_payout_id"), payout_effective_utc=effective)


def _amount(line_no: int, row: dict, column: str, currency: str, problems: list) -> int | None:
    raw = _cell(row, column)
    try:
        # "1.000" is refused too, zeros or not: in a European export it means one thousand.
        if len(raw.partition(".")[2]) > minor_digits(currency):
            raise MoneyError(raw, "too_many_decimals")
        return Money.parse(raw, currency, allow_negative=True).amount
    except MoneyError as err:
        if err.code == "too_many_decimals":
            problems.append(_l("Line %(line)s: %(value)s in %(column)s has more decimals than "
                               "%(currency)s allows.", line=line_no, value=raw, column=column,
                               currency=currency))
        else:
            problems.append(_l("Line %(line)s: %(value)s in %(column)s is not an amount like "
                               "100.00 or -3.40.", line=line_no, value=raw or "''", column=column))
        return None


def parse_when(raw: str) -> datetime | None:
    """ISO 8601 (``2026-11-03T08:15:00Z``, with an offset, or a plain date) or Stripe's
    ``2026-11-03 08:15[:00]``, as naive UTC; None for anything else."""
    for fmt in _STRIPE_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            pass
    if len(raw) < 10 or raw[4:5] != "-" or raw[7:8] != "-":
        return None  # fromisoformat also takes "20261103", which no Stripe export writes
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def _when(line_no: int, row: dict, column: str, problems: list, required=False):
    raw = _cell(row, column)
    if not raw:
        if required:
            problems.append(_l("Line %(line)s: %(column)s is empty.", line=line_no, column=column))
        return None
    when = parse_when(raw)
    if when is None:
        problems.append(_l("Line %(line)s: %(value)s in %(column)s is not a date we can read; "
                           "use 2026-11-03 08:15 or ISO 8601 (2026-11-03T08:15:00Z).",
                           line=line_no, value=raw, column=column))
    return when


def payout_total_problems(lines: list[ParsedLine]) -> list:
    """A payout listed with its own line must equal the sum of the lines it carried."""
    carried = defaultdict(int)
    for line in lines:
        if line.payout_id and line.reporting_category != "payout":
            carried[line.payout_id] += line.net_fen
    problems = []
    for line in lines:
        if line.reporting_category == "payout" and line.source_id in carried \
                and carried[line.source_id] != -line.gross_fen:
            problems.append(_l(
                "Line %(line)s: payout %(payout)s is %(amount)s but the lines it carried add up "
                "to %(sum)s.", line=line.line_no, payout=line.source_id,
                amount=format_plain(-line.gross_fen, line.currency),
                sum=format_plain(carried[line.source_id], line.currency)))
    return problems
