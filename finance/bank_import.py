"""Reading a bank's CSV statement through a saved column mapping, and importing its lines.

All or nothing: the whole file is read and checked first (encoding, columns, every date and
amount, the running balance); any problem is reported with its line number and nothing is
written. Then only the lines not seen before are added.

A line's identity is (account, date, amount, reference, balance after it, occurrence).
Real statements do show two identical ¥100 transfers on one day; they are two transactions,
and the bank's running balance tells them apart (it moves by ¥100 between them), so both
are kept. Lines that look alike (same day, amount and reference) are counted and reported.
The occurrence number only matters for a bank that repeats a balance; re-importing the
same file, or an overlapping one, therefore changes nothing.
"""
import csv
import dataclasses
import hashlib
import io
import re
from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from core.audit import actor_label, record_audit
from core.files import is_excel
from finance.bank_models import BankLine, BankMapping, BankStatement
from ledger.money import Money, MoneyError, format_plain

MAX_ERRORS = 20
_DATE_SHAPES = {"%Y-%m-%d": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
                "%Y/%m/%d": re.compile(r"^\d{4}/\d{2}/\d{2}$"),
                "%Y%m%d": re.compile(r"^\d{8}$")}
#: Optional sign, optional yuan sign (either width), digits grouped by commas or not.
_AMOUNT = re.compile(r"^([+-]?)[¥￥]?([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d*)?$")


class StatementError(ValueError):
    """The file cannot be imported; ``messages`` (lazy strings) say why, line by line."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("; ".join(str(m) for m in self.messages))


@dataclasses.dataclass(frozen=True)
class ParsedLine:
    line_no: int
    txn_date: date
    amount_fen: int
    balance_fen: int
    counterparty: str = ""
    counterparty_account: str = ""
    reference: str = ""
    memo: str = ""


@dataclasses.dataclass
class ImportResult:
    statement: BankStatement
    new_lines: list
    known_count: int
    #: Lines that share day, amount and reference with another line of the file (all kept).
    alike_count: int


# -- reading --------------------------------------------------------------------------------

def parse_amount(text: str) -> int:
    """``1,234.56``, ``-1234.56``, ``¥1,234.56`` → fen; raises MoneyError (three decimals…)."""
    raw = (text or "").strip().replace(" ", "")
    found = _AMOUNT.match(raw)
    if not found or (found.group(1) and found.group(2)):
        raise MoneyError(f"{text!r} is not an amount", "not_a_number")
    sign = found.group(1) or found.group(2)
    number = sign + found.group(3).replace(",", "") + (found.group(4) or "")
    return Money.parse(number, "CNY", allow_negative=True).amount


def _cell_amount(text: str) -> int:
    """A debit or credit cell: empty means zero."""
    return parse_amount(text) if (text or "").strip() else 0


def parse_date(text: str, fmt: str) -> date:
    """A date in the mapping's layout; a time after a space (10:12:33) is ignored."""
    token = (text or "").strip().split(" ")[0]
    if not _DATE_SHAPES[fmt].match(token):
        raise ValueError(token)
    return datetime.strptime(token, fmt).date()


def decode(data: bytes, encoding: str) -> str:
    """The file's text, or StatementError naming the problem (Excel, wrong encoding)."""
    if is_excel(data):
        raise StatementError([_l("This is an Excel workbook, not a CSV file. Open it in Excel "
                                 "and save it as CSV, then import that file.")])
    if encoding == "gbk" and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise StatementError([_l("The file is UTF-8 text, but the mapping says GBK. "
                                     "Choose a mapping with the UTF-8 encoding.")])
    try:
        return data.decode("utf-8-sig" if encoding == "utf-8" else "gbk")
    except UnicodeDecodeError as err:
        other = "GBK" if encoding == "utf-8" else "UTF-8"
        raise StatementError([_l("The file is not %(encoding)s text (byte %(byte)s cannot be "
                                 "read). Is it %(other)s? Choose a mapping with that encoding.",
                                 encoding=encoding.upper(), byte=err.start + 1,
                                 other=other)]) from None


def _columns(header: list[str], mapping: BankMapping, header_no: int) -> dict[str, int]:
    names = [c.strip().lstrip("\ufeff") for c in header]
    wanted = {field: getattr(mapping, f"{field}_column") for field in (
        "date", "amount", "debit", "credit", "balance", "counterparty", "counterparty_account",
        "reference", "memo")}
    wanted = {k: v for k, v in wanted.items() if v}
    missing = [v for v in wanted.values() if v not in names]
    if missing:
        raise StatementError([_l("The header on line %(line)s has no column %(missing)s "
                                 "(it has: %(found)s). Is this the right mapping and encoding?",
                                 line=header_no, missing="、".join(missing),
                                 found="、".join(n for n in names if n) or "—")])
    return {field: names.index(name) for field, name in wanted.items()}


def _data_rows(text: str, mapping: BankMapping) -> tuple[list[str], list[tuple[int, list]]]:
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if len(rows) < mapping.header_row:
        raise StatementError([_l("The file has no header on line %(line)s.",
                                 line=mapping.header_row)])
    body = rows[mapping.header_row:len(rows) - mapping.skip_footer]
    numbered = [(mapping.header_row + 1 + i, row) for i, row in enumerate(body)]
    return rows[mapping.header_row - 1], [(n, r) for n, r in numbered if any(c.strip() for c in r)]


def _parse_row(row: list[str], cols: dict[str, int], mapping: BankMapping, no: int) -> ParsedLine:
    def cell(field):
        return row[cols[field]].strip() if field in cols and cols[field] < len(row) else ""

    try:
        day = parse_date(cell("date"), mapping.date_format)
    except ValueError:
        raise StatementError([_l("Line %(line)s: %(value)s is not a date in the layout %(fmt)s.",
                                 line=no, value=cell("date") or "—",
                                 fmt=mapping.date_format.replace("%", ""))]) from None
    try:
        if "amount" in cols:
            amount = parse_amount(cell("amount"))
        else:
            debit, credit = _cell_amount(cell("debit")), _cell_amount(cell("credit"))
            if debit and credit:
                raise MoneyError("both", "both")
            amount = credit - debit  # the bank's credit is money arriving
        balance = parse_amount(cell("balance"))
    except MoneyError as err:
        raise StatementError([_amount_message(err, no)]) from None
    if amount == 0:
        raise StatementError([_l("Line %(line)s has no amount.", line=no)])
    return ParsedLine(no, day, amount, balance, cell("counterparty")[:120],
                      cell("counterparty_account")[:60], cell("reference")[:120],
                      cell("memo")[:200])


def _amount_message(err: MoneyError, no: int):
    if err.code == "too_many_decimals":
        return _l("Line %(line)s: an amount has more than two decimal places.", line=no)
    if err.code == "both":
        return _l("Line %(line)s has both a debit and a credit amount.", line=no)
    return _l("Line %(line)s: an amount or the balance is not a number like 1,234.56.", line=no)


def parse_statement(data: bytes, mapping: BankMapping) -> list[ParsedLine]:
    """Every transaction of the file in time order; StatementError lists what is wrong."""
    header, rows = _data_rows(decode(data, mapping.encoding), mapping)
    cols = _columns(header, mapping, mapping.header_row)
    lines, errors = [], []
    for no, row in rows:
        try:
            lines.append(_parse_row(row, cols, mapping, no))
        except StatementError as err:
            errors += err.messages
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([_l("The file has no transactions.")])
    if lines[0].txn_date > lines[-1].txn_date:  # newest first, as some banks export
        lines.reverse()
    check_running_balance(lines)
    return lines


def check_running_balance(lines: list[ParsedLine]) -> None:
    """Opening balance plus the lines must give each balance; names the first that breaks."""
    for before, line in zip(lines, lines[1:]):
        if before.txn_date > line.txn_date:
            raise StatementError([_l("Line %(line)s is dated before the line above it; the "
                                     "statement is not in date order.", line=line.line_no)])
        if before.balance_fen + line.amount_fen != line.balance_fen:
            raise StatementError([_l(
                "Line %(line)s: the balance does not add up: %(before)s plus %(amount)s is "
                "%(expected)s, but the file says %(balance)s. Nothing was imported.",
                line=line.line_no, before=_plain(before.balance_fen),
                amount=_plain(line.amount_fen),
                expected=_plain(before.balance_fen + line.amount_fen),
                balance=_plain(line.balance_fen))])


def _plain(fen: int) -> str:
    return format_plain(fen, "CNY")


# -- importing ------------------------------------------------------------------------------

def line_identity(line: ParsedLine, occurrence: int) -> str:
    text = "|".join(map(str, (line.txn_date.isoformat(), line.amount_fen, line.reference,
                              line.balance_fen, occurrence)))
    return hashlib.sha256(text.encode()).hexdigest()


def _identities(parsed: list[ParsedLine]) -> list[str]:
    """Each line's identity; identical lines count their occurrence (1, 2 …) in the file."""
    seen, out = Counter(), []
    for line in parsed:
        key = (line.txn_date, line.amount_fen, line.reference, line.balance_fen)
        seen[key] += 1
        out.append(line_identity(line, seen[key]))
    return out


def import_statement(session, account, data: bytes, *, actor, filename: str = "") -> ImportResult:
    """Read ``data`` with the account's mapping and add its new lines; flushes only."""
    if account.mapping is None:
        raise StatementError([_l("This bank account has no column mapping yet.")])
    parsed = parse_statement(data, account.mapping)
    identities = _identities(parsed)
    alike = Counter((ln.txn_date, ln.amount_fen, ln.reference) for ln in parsed)
    known = set(session.scalars(sa.select(BankLine.identity).where(
        BankLine.bank_account_id == account.id, BankLine.identity.in_(identities))))
    statement = BankStatement(
        bank_account_id=account.id, filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(), first_date=parsed[0].txn_date,
        last_date=parsed[-1].txn_date, opening_fen=parsed[0].balance_fen - parsed[0].amount_fen,
        closing_fen=parsed[-1].balance_fen, line_count=len(parsed),
        imported_by=actor_label(actor))
    session.add(statement)
    session.flush()
    new = [BankLine(bank_account_id=account.id, statement_id=statement.id, position=i,
                    identity=ident, currency=account.currency, **dataclasses.asdict(line))
           for i, (line, ident) in enumerate(zip(parsed, identities)) if ident not in known]
    session.add_all(new)
    statement.new_count = len(new)
    session.flush()
    record_audit(session, actor, "bank.import", statement, None, {
        "account": account.id, "file": statement.filename, "sha256": statement.sha256,
        "lines": len(parsed), "new": len(new), "from": statement.first_date,
        "to": statement.last_date, "closing": statement.closing_fen})
    return ImportResult(statement, new, len(parsed) - len(new),
                        sum(n for n in alike.values() if n > 1))
