"""The chart of accounts, after the Chinese NPO accounting system (民间非营利组织会计制度).

Four-digit codes are the system's own; six-digit codes are our sub-accounts under them
(1009 其他货币资金 → 100901 payment-processor clearing). Codes are never reused.
"""
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.chain import create_chain_head
from ledger.errors import InvalidAccount
from ledger.funds import ensure_fund
from ledger.models import ACCOUNT_TYPES, Account, Fund

CASH = "1001"
BANK = "1002"
PROCESSOR_CLEARING = "100901"
DISPUTES_HELD = "100902"
PLEDGES_RECEIVABLE = "112201"
INTERFUND = "112202"
INVENTORY = "1201"
SUPPLIER_PAYABLE = "2202"
REFUNDS_PAYABLE = "220901"
NET_ASSETS_UNRESTRICTED = "3101"
NET_ASSETS_RESTRICTED = "3102"
DONATION_INCOME = "4101"
PROGRAM_EXPENSE = "5101"
ADMIN_EXPENSE = "5201"
FUNDRAISING_EXPENSE = "5301"

#: The unrestricted general fund ("where most needed"); it also bears fees by default.
GENERAL_FUND = "GEN"

#: (code, type, 中文, English) — the accounts every Wanjia ledger starts with.
STANDARD_ACCOUNTS = (
    (CASH, "asset", "现金", "Cash"),
    (BANK, "asset", "银行存款", "Bank deposits"),
    (PROCESSOR_CLEARING, "asset", "其他货币资金—支付机构存款", "Payment processor clearing"),
    (DISPUTES_HELD, "asset", "其他货币资金—争议冻结款", "Amounts held by disputes"),
    (PLEDGES_RECEIVABLE, "asset", "其他应收款—认捐款", "Pledges receivable"),
    (INTERFUND, "asset", "其他应收款—基金间往来", "Interfund due to/from"),
    (INVENTORY, "asset", "存货", "Inventory of goods"),
    (SUPPLIER_PAYABLE, "liability", "应付账款", "Payable to suppliers"),
    (REFUNDS_PAYABLE, "liability", "其他应付款—应退捐款", "Refunds payable"),
    (NET_ASSETS_UNRESTRICTED, "net_assets", "非限定性净资产", "Unrestricted net assets"),
    (NET_ASSETS_RESTRICTED, "net_assets", "限定性净资产", "Restricted net assets"),
    (DONATION_INCOME, "revenue", "捐赠收入", "Donation income"),
    (PROGRAM_EXPENSE, "expense", "业务活动成本", "Program expenses"),
    (ADMIN_EXPENSE, "expense", "管理费用", "Administrative expenses"),
    (FUNDRAISING_EXPENSE, "expense", "筹资费用", "Fundraising expenses"),
)

_CODE = re.compile(r"^[0-9]{4,12}$")
#: The first digit of a code names its type, as in the national chart.
_TYPE_BY_FIRST_DIGIT = {"1": "asset", "2": "liability", "3": "net_assets",
                        "4": "revenue", "5": "expense"}


def seed_chart(session: Session) -> None:
    """Create the standard accounts and the general fund where missing; flushes, idempotent."""
    have = set(session.scalars(sa.select(Account.code)))
    for code, type_, name_zh, name_en in STANDARD_ACCOUNTS:
        if code not in have:
            session.add(Account(code=code, type=type_, name_zh=name_zh, name_en=name_en))
    session.flush()
    create_chain_head(session)
    ensure_fund(session, GENERAL_FUND, name_zh="非限定性综合基金", name_en="General fund",
                restriction="unrestricted", kind="general")


def add_account(session: Session, code: str, *, type: str, name_zh: str, name_en: str) -> Account:
    """Open a new account for finance; refuses a malformed, mistyped or already used code."""
    code = (code or "").strip()
    if not _CODE.match(code):
        raise InvalidAccount(f"An account code is 4 to 12 ASCII digits, not {code!r}.")
    if type not in ACCOUNT_TYPES:
        raise InvalidAccount(f"{type!r} is not an account type; use one of "
                             f"{', '.join(ACCOUNT_TYPES)}.")
    if _TYPE_BY_FIRST_DIGIT.get(code[0]) != type:
        raise InvalidAccount(f"Account code {code} does not fit the type {type}: codes "
                             f"starting with {code[0]} are not {type} accounts.")
    if not (name_zh or "").strip() or not (name_en or "").strip():
        raise InvalidAccount("An account needs both a Chinese and an English name.")
    if session.scalar(sa.select(Account.id).filter_by(code=code)) is not None:
        raise InvalidAccount(f"The account code {code} is already in use; codes are never reused.")
    account = Account(code=code, type=type, name_zh=name_zh.strip(), name_en=name_en.strip())
    session.add(account)
    session.flush()
    return account
