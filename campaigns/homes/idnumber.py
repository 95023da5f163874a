"""Chinese 18-digit resident identity numbers (GB 11643-1999): format, date and check digit."""
import re
from datetime import date

_SHAPE = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

MALFORMED, BAD_DATE, BAD_CHECK = "malformed", "bad_date", "bad_check"


def normalise(raw: str) -> str:
    """Strip blanks and upper-case the check character (``x`` → ``X``)."""
    return (raw or "").strip().replace(" ", "").upper()


def check_digit(first17: str) -> str:
    """The check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS))
    return _CHECK[total % 11]


def id_problem(number: str) -> str | None:
    """None for a valid number; otherwise ``malformed``, ``bad_date`` or ``bad_check``."""
    if not _SHAPE.match(number or ""):
        return MALFORMED
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return BAD_DATE
    if check_digit(number[:17]) != number[17]:
        return BAD_CHECK
    return None


def mask(number: str) -> str:
    """``310115********1234``: region code and last four only."""
    return number[:6] + "*" * 8 + number[-4:] if len(number) == 18 else "*" * 18


def make_fake(region: str, birth: date, serial: int) -> str:
    """A well-formed number for demo and test data (``serial`` 0–999)."""
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)
