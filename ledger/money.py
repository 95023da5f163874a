"""One money type: an integer number of minor units (fen) plus an ISO 4217 currency code.

Parsing happens here, at the edge; formatting for people is done by Babel in ``core.i18n``.
Arithmetic across currencies is refused, and no float ever enters a calculation.
This module imports nothing but the standard library.
"""
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

#: Currencies whose minor unit is not 1/100 (ISO 4217); every other currency has two digits.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3}
#: Far above any real gift, far below the 64-bit columns that store amounts.
MAX_AMOUNT = 10**15
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Plain decimal notation in ASCII digits only: no exponent, no grouping, no NaN/inf.
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


class MoneyError(ValueError):
    """A value that is not an acceptable amount; ``str(err)`` can be shown to the user.

    ``code`` names the reason for callers that translate: ``empty``, ``not_a_number``,
    ``too_many_decimals``, ``negative``, ``too_large``, ``currency``, ``currency_mismatch``.
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def minor_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has (CNY: 2)."""
    check_currency(currency)
    return _MINOR_DIGITS.get(currency, 2)


def check_currency(currency: str) -> str:
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise MoneyError(f"{currency!r} is not a three-letter currency code.", "currency")
    return currency


def to_decimal(amount: int, currency: str = "CNY") -> Decimal:
    """Minor units as a Decimal in major units: ``to_decimal(1234, "CNY") == Decimal("12.34")``."""
    return Decimal(int(amount)).scaleb(-minor_digits(currency))


def format_plain(amount: int, currency: str = "CNY") -> str:
    """ASCII, no grouping, always every minor digit: ``-1234`` → ``"-12.34"`` (exports, CSV)."""
    digits = minor_digits(currency)
    return f"{to_decimal(amount, currency):.{digits}f}"


@dataclass(frozen=True)
class Money:
    #: Signed amount in minor units (fen for CNY).
    amount: int
    currency: str = "CNY"

    def __post_init__(self):
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise MoneyError("An amount must be a whole number of minor units.", "not_a_number")
        if abs(self.amount) > MAX_AMOUNT:
            raise MoneyError("The amount is too large.", "too_large")
        check_currency(self.currency)

    @classmethod
    def parse(cls, text: str, currency: str = "CNY", *, allow_negative: bool = False) -> "Money":
        """Read what a person typed (``"12.34"`` → 1234 fen); refuse anything ambiguous."""
        # NFKC: a Chinese IME's full-width "１２．５０" is the "12.50" the donor meant; other
        # scripts' digits and invisible marks stay and are refused below.
        raw = unicodedata.normalize("NFKC", text).strip() if isinstance(text, str) else ""
        if not raw:
            raise MoneyError("Please enter an amount.", "empty")
        if not _NUMBER.match(raw):
            raise MoneyError("Please enter the amount as a number, like 100 or 12.50.",
                             "not_a_number")
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise MoneyError("Please enter the amount as a number.", "not_a_number") from None
        digits = minor_digits(currency)
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"An amount in {currency} has at most {digits} decimal places.",
                             "too_many_decimals")
        if value < 0 and not allow_negative:
            raise MoneyError("The amount cannot be negative.", "negative")
        if abs(scaled) > MAX_AMOUNT:
            raise MoneyError("The amount is too large.", "too_large")
        return cls(int(scaled), currency)

    def _same(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise MoneyError(f"Cannot combine {self.currency} with {other.currency}.",
                             "currency_mismatch")
        return other

    def __add__(self, other):
        other = self._same(other)
        return other if other is NotImplemented else Money(self.amount + other.amount, self.currency)

    def __sub__(self, other):
        other = self._same(other)
        return other if other is NotImplemented else Money(self.amount - other.amount, self.currency)

    def __neg__(self):
        return Money(-self.amount, self.currency)

    def __lt__(self, other):
        return self.amount < self._same(other).amount

    def __le__(self, other):
        return self.amount <= self._same(other).amount

    def __gt__(self, other):
        return self.amount > self._same(other).amount

    def __ge__(self, other):
        return self.amount >= self._same(other).amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def to_decimal(self) -> Decimal:
        return to_decimal(self.amount, self.currency)

    def __str__(self) -> str:
        return f"{format_plain(self.amount, self.currency)} {self.currency}"

    def allocate(self, weights: list[int]) -> list["Money"]:
        """Split into parts proportional to ``weights`` that sum exactly to this amount.

        Largest remainder: each part gets its floor share, and the fen left over go one each
        to the parts with the largest remainders (ties to the earlier part).
        """
        if not weights or any(isinstance(w, bool) or not isinstance(w, int) or w < 0
                              for w in weights) or sum(weights) == 0:
            raise MoneyError("Allocation weights must be non-negative whole numbers, "
                             "not all zero.", "not_a_number")
        total, sign, whole = sum(weights), (-1 if self.amount < 0 else 1), abs(self.amount)
        shares = [divmod(whole * w, total) for w in weights]
        left = whole - sum(q for q, _r in shares)
        order = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        parts = [q for q, _r in shares]
        for i in order[:left]:
            parts[i] += 1
        return [Money(sign * p, self.currency) for p in parts]
