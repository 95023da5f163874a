"""What the ledger refuses, as one family of exceptions.

Every error's ``str()`` is a complete English sentence that a finance officer can act on;
views translate by class (and by the attributes some classes carry), never by parsing text.
"""
from ledger.money import format_plain


class LedgerError(Exception):
    """Root of every refusal by the ledger."""


class InvalidEntry(LedgerError):
    """The entry is malformed: no lines, a zero or non-integer amount, a missing key…"""


class UnbalancedEntry(InvalidEntry):
    """Debits and credits differ, per currency or per fund."""


class UnknownAccount(InvalidEntry):
    def __init__(self, code: str):
        super().__init__(f"There is no account with code {code!r} in the chart of accounts.")
        self.code = code


class UnknownFund(InvalidEntry):
    def __init__(self, code: str):
        super().__init__(f"There is no fund with code {code!r}.")
        self.code = code


class InvalidAccount(LedgerError):
    """An account that cannot be added (duplicate code, unknown type…)."""


class InvalidFund(LedgerError):
    """A fund that cannot be opened as asked (bad code, conflicting restriction…)."""


class ClosedPeriod(LedgerError):
    def __init__(self, month: str, message: str | None = None):
        super().__init__(message or f"The period {month} is closed: nothing can be posted "
                                    f"with an accounting date in it.")
        self.month = month


class PeriodStateError(LedgerError):
    """Closing a closed period, reopening an open one, or a malformed month."""


class InsufficientFunds(LedgerError):
    def __init__(self, fund_code: str, shortfall: int, currency: str = "CNY"):
        super().__init__(
            f"The restricted fund {fund_code} does not hold enough: this entry would take it "
            f"{format_plain(shortfall, currency)} {currency} below zero."
        )
        self.fund_code = fund_code
        self.shortfall = shortfall
        self.currency = currency


class IdempotencyConflict(LedgerError):
    def __init__(self, key: str, entry_id: int):
        super().__init__(f"The idempotency key {key!r} was already used by entry {entry_id} "
                         f"with different content.")
        self.key = key
        self.entry_id = entry_id


class AlreadyReversed(LedgerError):
    def __init__(self, entry_id: int, by_entry_id: int):
        super().__init__(f"Entry {entry_id} was already reversed by entry {by_entry_id}.")
        self.entry_id = entry_id
        self.by_entry_id = by_entry_id
