from ledger.models import Account
from ledger.posting import ensure_fund
import sqlalchemy as sa
def seed_chart(session):
    if session.scalar(sa.select(Account).where(Account.code=="1002")) is None:
        session.add(Account(code="1002"))
    ensure_fund(session, "GEN", name_zh="非限定", name_en="General", restriction="unrestricted", kind="general")
