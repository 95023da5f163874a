"""Helpers for the homes tests (importable: ``from tests.homes.homes_support import …``)."""
from datetime import date

HEADER = "street,committee,category,head_name,id_number,phone,members\n"


def fake_id(serial: int, region: str = "310115") -> str:
    """A valid 18-digit ID number (correct check digit) for test household ``serial``."""
    from campaigns.homes.idnumber import make_fake

    return make_fake(region, date(1960, 1, 1), serial)


def bad_check(number: str) -> str:
    """``number`` with a wrong check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


def csv_rows(*rows) -> str:
    """CSV text with the header and ``rows`` (tuples of 7 fields)."""
    return HEADER + "".join(",".join(str(v) for v in row) + "\n" for row in rows)
