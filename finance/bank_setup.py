"""Bank accounts and their column mappings, with presets for two Chinese banks' exports.

The presets follow the layouts of the banks' online-banking downloads:

- 中国工商银行 (ICBC) corporate "历史明细" download: GBK, three lines of preamble (account,
  name, dates), then 凭证号, 本方账号, 对方账号, 交易时间 (``2026-11-03 10:12:33``), 借/贷,
  借方发生额, 贷方发生额, 对方行号, 摘要, 用途, 对方单位名称, 余额, 个性化信息; a 合计 line last.
- 招商银行 (CMB) "交易明细" download: UTF-8, three lines of preamble, then 交易日期
  (``20261103``), 交易时间, 交易金额 (signed), 余额, 交易摘要, 对方户名, 对方账号, 附言, 流水号.

A foundation whose bank writes another layout saves its own mapping on the mapping page.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from finance.bank_models import BankAccount, BankMapping
from ledger.chart import BANK, add_account
from ledger.models import Account

ICBC = "中国工商银行 历史明细 (ICBC)"
CMB = "招商银行 交易明细 (CMB)"
PRESETS = {
    ICBC: dict(encoding="gbk", header_row=4, skip_footer=1, date_column="交易时间",
               date_format="%Y-%m-%d", debit_column="借方发生额", credit_column="贷方发生额",
               balance_column="余额", counterparty_column="对方单位名称",
               counterparty_account_column="对方账号", reference_column="用途",
               memo_column="摘要"),
    CMB: dict(encoding="utf-8", header_row=4, skip_footer=0, date_column="交易日期",
              date_format="%Y%m%d", amount_column="交易金额", balance_column="余额",
              counterparty_column="对方户名", counterparty_account_column="对方账号",
              reference_column="附言", memo_column="交易摘要"),
}


class BankSetupError(ValueError):
    """A bank account or mapping that cannot be saved; ``message`` is safe to show."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message, self.field = message, field


def ensure_preset_mappings(session) -> dict[str, BankMapping]:
    """The preset mappings, created where missing; flushes, idempotent."""
    have = {m.name: m for m in session.scalars(sa.select(BankMapping))}
    for name, fields in PRESETS.items():
        if name not in have:
            have[name] = BankMapping(name=name, **fields)
            session.add(have[name])
    session.flush()
    return have


def save_mapping(session, *, name: str, **fields) -> BankMapping:
    """Add a mapping; ``amount_column`` or both debit and credit columns are required."""
    name = (name or "").strip()
    if session.scalar(sa.select(BankMapping.id).filter_by(name=name)) is not None:
        raise BankSetupError(_l("A mapping with this name already exists."), "name")
    amount = (fields.get("amount_column") or "").strip() or None
    debit = (fields.get("debit_column") or "").strip() or None
    credit = (fields.get("credit_column") or "").strip() or None
    if bool(amount) == bool(debit or credit) or (not amount and not (debit and credit)):
        raise BankSetupError(_l("Give either an amount column, or both a debit and a credit "
                                "column."), "amount_column")
    fields.update(amount_column=amount, debit_column=debit, credit_column=credit,
                  skip_footer=fields.get("skip_footer") or 0)
    mapping = BankMapping(name=name, **{k: (v.strip() if isinstance(v, str) else v)
                                        for k, v in fields.items()})
    session.add(mapping)
    session.flush()
    return mapping


def create_bank_account(session, *, name: str, bank: str, last_digits: str,
                        ledger_account_code: str = BANK, mapping=None) -> BankAccount:
    """Register a bank account. Its ledger account must be an asset and not used by another
    bank account; a sub-account (six digits under 1002) is opened if it does not exist."""
    code = (ledger_account_code or BANK).strip()
    if session.scalar(sa.select(BankAccount.id).filter_by(ledger_account_code=code)):
        raise BankSetupError(_l("Another bank account already uses the ledger account "
                                "%(code)s; give this one its own sub-account, such as "
                                "%(example)s.", code=code, example=BANK + "01"),
                             "ledger_account_code")
    account = session.scalar(sa.select(Account).filter_by(code=code))
    if account is None and code.startswith(BANK) and len(code) > len(BANK):
        account = add_account(session, code, type="asset", name_zh=f"银行存款—{bank.strip()}",
                              name_en=f"Bank deposits - {last_digits.strip()}")
    if account is None or account.type != "asset":
        raise BankSetupError(_l("The ledger account %(code)s is not an asset account of the "
                                "chart.", code=code), "ledger_account_code")
    row = BankAccount(name=name.strip(), bank=bank.strip(), last_digits=last_digits.strip(),
                      ledger_account_code=code, mapping=mapping)
    session.add(row)
    session.flush()
    return row
