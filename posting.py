import sqlalchemy as sa
from ledger.models import Fund
def ensure_fund(session, code, *, name_zh, name_en, restriction="restricted", kind="general", parent_code=None):
    f = session.scalar(sa.select(Fund).where(Fund.code == code))
    if f is None:
        f = Fund(code=code, name_zh=name_zh, name_en=name_en, restriction=restriction, kind=kind)
        session.add(f); session.flush()
    return f
