"""Households (困难家庭): registration with the ID number as the dedupe key, and CSV import
with a preview. The ID number is validated (GB 11643), stored only as a keyed hash plus
ciphertext (``pii``) and shown masked; it is never logged. A household is registered once:
a second record with the same number is refused, here and by the unique hash."""
import csv
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from campaigns.homes import idnumber
from campaigns.homes.models import HOUSEHOLD_CATEGORIES, Household, HouseholdImport
from campaigns.homes.pii import PiiKeys
from campaigns.homes.state import HomesError
from core.auth import utcnow

STREETS_CSV = Path(__file__).resolve().parents[1] / "data" / "pudong-streets-towns.csv"
MAX_ROWS = 5000

CATEGORY_LABELS = {
    "dibao": _l("Subsistence allowance (低保)"), "low_income": _l("Low income (低收入)"),
    "expense_poverty": _l("Poverty from expenses (支出型贫困)"),
    "disabled_jobless": _l("Severely disabled, no work (重残无业)"),
    "destitute": _l("Destitute, state-supported (特困供养)"),
    "entitled": _l("Entitled groups (优抚对象)"), "elderly_alone": _l("Elderly living alone (独居老人)"),
}
_CATEGORY_ZH = {"低保": "dibao", "低收入": "low_income", "支出型贫困": "expense_poverty",
                "重残无业": "disabled_jobless", "特困供养": "destitute", "优抚对象": "entitled",
                "独居老人": "elderly_alone"}

#: Why a row cannot be imported; the codes are kept in the preview, the words shown.
ROW_ERRORS = {
    "malformed_id": _l("The ID number must be 17 digits and a digit or X."),
    "bad_date": _l("The ID number's date of birth is not a real date."),
    "bad_check": _l("The ID number's check digit is wrong."),
    "unknown_street": _l("Unknown street/town."),
    "bad_category": _l("Unknown category."),
    "bad_members": _l("Members must be a whole number of at least 1."),
    "missing_name": _l("The head of household's name is missing."),
    "duplicate_in_file": _l("The same ID number appears on an earlier line of this file."),
    "already_registered": _l("This household is already registered."),
}
_ID_ERRORS = {idnumber.MALFORMED: "malformed_id", idnumber.BAD_DATE: "bad_date",
              idnumber.BAD_CHECK: "bad_check"}
_ID_FIELD_ERRORS = ("malformed_id", "bad_date", "bad_check", "already_registered")
#: Accepted headers (English or Chinese) → field.
HEADERS = {"street": "street", "街镇": "street", "committee": "committee", "居委": "committee",
           "居村委": "committee", "category": "category", "类别": "category",
           "head_name": "head_name", "户主姓名": "head_name", "id_number": "id_number",
           "身份证号": "id_number", "phone": "phone", "电话": "phone", "members": "members",
           "人数": "members"}


@lru_cache(maxsize=1)
def streets() -> dict[str, dict]:
    """code → {code, name_zh, name_en} of Pudong's 36 streets and towns."""
    with STREETS_CSV.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)}


def street_code(text: str) -> str | None:
    """The code of a street/town given by code or by Chinese name."""
    text = (text or "").strip()
    if text.upper() in streets():
        return text.upper()
    return next((c for c, row in streets().items() if row["name_zh"] == text), None)


@dataclass
class HouseholdInput:
    street: str
    committee: str
    category: str
    head_name: str
    id_number: str
    phone: str
    members: str


def row_errors(data: HouseholdInput) -> list[str]:
    """Every problem with one row on its own (codes of ROW_ERRORS)."""
    errors = []
    problem = idnumber.id_problem(idnumber.normalise(data.id_number))
    if problem:
        errors.append(_ID_ERRORS[problem])
    if street_code(data.street) is None:
        errors.append("unknown_street")
    if _category(data.category) is None:
        errors.append("bad_category")
    members = (data.members or "").strip()
    if not members.isdigit() or int(members) < 1:
        errors.append("bad_members")
    if not (data.head_name or "").strip():
        errors.append("missing_name")
    return errors


def _category(text: str) -> str | None:
    text = (text or "").strip()
    return text if text in HOUSEHOLD_CATEGORIES else _CATEGORY_ZH.get(text)


def is_registered(session, keys: PiiKeys, number: str) -> bool:
    return session.scalar(sa.select(Household.id).where(
        Household.id_hash == keys.digest(idnumber.normalise(number)))) is not None


def register_household(session, keys: PiiKeys, data: HouseholdInput) -> Household:
    """Register one household; HomesError with the first problem, nothing written."""
    errors = row_errors(data)
    if not errors and is_registered(session, keys, data.id_number):
        errors = ["already_registered"]
    if errors:
        field = "id_number" if errors[0] in _ID_FIELD_ERRORS else None
        raise HomesError(ROW_ERRORS[errors[0]], field)
    number = idnumber.normalise(data.id_number)
    household = Household(
        street_code=street_code(data.street), committee=(data.committee or "").strip()[:80],
        category=_category(data.category), head_name=data.head_name.strip()[:60],
        id_hash=keys.digest(number), id_encrypted=keys.encrypt(number),
        id_masked=idnumber.mask(number), phone_encrypted=keys.encrypt((data.phone or "").strip()),
        members=int(data.members.strip()))
    session.add(household)
    session.flush()
    return household


# -- CSV import ------------------------------------------------------------------------------

def decode_upload(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (GBK's superset); anything else refused."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise HomesError(_l("This file is neither UTF-8 nor GBK text. Save it as CSV (UTF-8) and "
                        "upload it again."), "file")


def parse_rows(text: str) -> list[dict]:
    """``[{line, fields…}]`` from CSV text with a header row; HomesError if unusable."""
    return read_csv_table(text, HEADERS, set(HouseholdInput.__dataclass_fields__), MAX_ROWS,
                          _l("At most %(max)d households per file.", max=MAX_ROWS), HomesError)


def read_csv_table(text: str, headers: dict, required: set, max_rows: int, too_many, error):
    """Rows of a CSV with a header row, columns renamed by ``headers`` (English or Chinese).

    Shared by every import: ``error(message, "file")`` is raised for a missing column or
    more than ``max_rows`` rows; blank lines are skipped; each row keeps its line number.
    """
    try:
        return _csv_rows(csv.reader(io.StringIO(text)), headers, required, max_rows, too_many, error)
    except csv.Error:  # e.g. one field over the csv module's 128 KiB limit
        raise error(_l("This file cannot be read as a CSV table: a line is too long or "
                       "malformed."), "file") from None


def _csv_rows(reader, headers: dict, required: set, max_rows: int, too_many, error) -> list[dict]:
    header = next(reader, None) or []
    fields = [headers.get((h or "").strip().lower(), headers.get((h or "").strip())) for h in header]
    missing = set(required) - set(fields)
    if missing:
        raise error(_l("The header row must name these columns: %(cols)s.",
                       cols=", ".join(sorted(missing))), "file")
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= max_rows:
            raise error(too_many, "file")
        row = {f: (values[i].strip() if i < len(values) else "") for i, f in enumerate(fields) if f}
        rows.append({"line": reader.line_num, **row})
    return rows


def check_rows(session, keys: PiiKeys, rows: list[dict]) -> list[dict]:
    """Each row with its ``errors`` (codes), including duplicates and registered households."""
    seen: dict[str, int] = {}
    for row in rows:
        data = HouseholdInput(**{k: row.get(k, "") for k in HouseholdInput.__dataclass_fields__})
        errors = row_errors(data)
        number = idnumber.normalise(data.id_number)
        if not errors:
            if number in seen:
                errors.append("duplicate_in_file")
            elif is_registered(session, keys, number):
                errors.append("already_registered")
            seen.setdefault(number, row["line"])
        row["errors"] = errors
    return rows


def preview_import(session, keys: PiiKeys, raw: bytes, filename: str, user_id: int) -> HouseholdImport:
    """Parse and check an upload, keep it (encrypted) for :func:`confirm_import`."""
    rows = check_rows(session, keys, parse_rows(decode_upload(raw)))
    if not rows:
        raise HomesError(_l("The file has no households in it."), "file")
    upload = HouseholdImport(uploaded_by_id=user_id, filename=(filename or "")[:200],
                             payload=keys.encrypt(json.dumps(rows, ensure_ascii=False)))
    session.add(upload)
    session.flush()
    return upload


def import_rows(session, keys: PiiKeys, upload: HouseholdImport) -> list[dict]:
    """The upload's rows, re-checked against what is registered now."""
    if upload.imported_at is not None:
        raise HomesError(_l("This file was already imported."))
    return check_rows(session, keys, json.loads(keys.decrypt(upload.payload)))


def confirm_import(session, keys: PiiKeys, upload: HouseholdImport, good_rows_only: bool) -> int:
    """Import the clean rows: all of them if the file is clean, or the good ones if asked."""
    rows = import_rows(session, keys, upload)
    bad = [r for r in rows if r["errors"]]
    if bad and not good_rows_only:
        raise HomesError(_l("%(count)d rows have problems: fix the file, or import only the "
                            "good rows.", count=len(bad)))
    made = 0
    for row in rows:
        if not row["errors"]:
            fields = {k: row[k] for k in HouseholdInput.__dataclass_fields__}
            register_household(session, keys, HouseholdInput(**fields))
            made += 1
    # The personal data is in the households table now; the preview keeps none of it.
    upload.imported_at, upload.payload = utcnow(), ""
    session.flush()
    return made


def list_households(session, street: str | None = None, limit: int = 200,
                    only: frozenset | None = None) -> list[Household]:
    """Households of ``street`` (or all), within the streets ``only`` when given (a liaison's)."""
    query = sa.select(Household).order_by(Household.street_code, Household.id).limit(limit)
    if street:
        query = query.where(Household.street_code == street)
    if only is not None:
        query = query.where(Household.street_code.in_(only))
    return list(session.scalars(query))
