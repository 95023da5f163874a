from decimal import Decimal

import pytest

from ledger.money import Money, MoneyError, minor_digits, to_decimal


@pytest.mark.parametrize("text, fen", [
    ("12.34", 1234), ("100", 10000), (" 0.5 ", 50), ("7.", 700), (".25", 25), ("+3", 300),
])
def test_parse_reads_what_people_type(text, fen):
    assert Money.parse(text) == Money(fen, "CNY")


@pytest.mark.parametrize("text, code", [
    ("", "empty"), ("   ", "empty"), ("abc", "not_a_number"), ("1e9", "not_a_number"),
    ("NaN", "not_a_number"), ("inf", "not_a_number"), ("1,000", "not_a_number"),
    ("0.001", "too_many_decimals"), ("-5", "negative"), ("99999999999999", "too_large"),
])
def test_parse_refuses_with_a_reason(text, code):
    with pytest.raises(MoneyError) as err:
        Money.parse(text)
    assert err.value.code == code


def test_parse_negative_only_when_asked_and_currency_digits():
    assert Money.parse("-1.50", allow_negative=True) == Money(-150)
    assert Money.parse("150", "JPY") == Money(150, "JPY")
    with pytest.raises(MoneyError, match="at most 0 decimal places"):
        Money.parse("1.5", "JPY")
    assert minor_digits("CNY") == 2 and to_decimal(1234, "CNY") == Decimal("12.34")


def test_arithmetic_refuses_mixed_currencies():
    assert Money(100) + Money(250) == Money(350)
    assert Money(100) - Money(250) == Money(-150) and -Money(5) == Money(-5)
    assert Money(1) < Money(2) and Money(0).is_zero and not Money(1).is_zero
    with pytest.raises(MoneyError) as err:
        Money(100) + Money(100, "USD")
    assert err.value.code == "currency_mismatch"
    with pytest.raises(MoneyError):
        Money(100) < Money(100, "USD")
    with pytest.raises(MoneyError):
        Money(1.5)


def test_allocate_sums_exactly_by_largest_remainder():
    assert Money(100).allocate([1, 1, 1]) == [Money(34), Money(33), Money(33)]
    assert Money(-100).allocate([1, 1, 1]) == [Money(-34), Money(-33), Money(-33)]
    parts = Money(1001).allocate([3, 7])
    assert parts == [Money(300), Money(701)] and sum(p.amount for p in parts) == 1001
    with pytest.raises(MoneyError):
        Money(100).allocate([0, 0])
