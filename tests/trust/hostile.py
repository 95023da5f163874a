"""The harness of the hostile-input catalogue: one :class:`Case` per bad request, sent with
``?lang=en`` by a client of the right kind, checked for a 4xx or a form error with a clear
message, no server error, and a database left exactly as it was (:func:`snapshot`)."""
import html
import io
from dataclasses import dataclass, field

import sqlalchemy as sa

from core.extensions import db
from tests.trust.conftest import snapshot


@dataclass(frozen=True)
class Case:
    id: str
    url: str
    #: Form fields; a list value sends the field once per item (repeated fields).
    data: dict | None = None
    #: Raw request body with its content type: ``(bytes, "text/csv")``.
    body: tuple | None = None
    #: Uploads: ``{field: (bytes, filename)}``.
    files: dict = field(default_factory=dict)
    method: str = "POST"
    #: ``anon`` (the public) or ``writer`` (staff, finance and admin).
    who: str = "writer"
    status: tuple = (400,)
    #: Text the answer must show (English; ``None`` when the status says it all).
    text: str | None = None
    headers: dict = field(default_factory=dict)


def world_ids() -> dict:
    """Placeholders the cases use in their URLs and fields, read from the seeded demo office."""
    from campaigns.homes.models import Disbursement, Distribution, PurchaseOrder
    from campaigns.models import Campaign
    from campaigns.wishes.models import Wish
    from donate.models import Donation
    from ledger.models import JournalEntry

    def first(column, *where):
        return db.session.scalar(sa.select(column).where(*where).order_by(column).limit(1))

    pooled = db.session.scalar(sa.select(Campaign).filter_by(slug="wanren-juan"))
    return {
        "pooled": pooled.slug, "wish": "dongri-nuanyang", "desig": str(pooled.designations[0].id),
        "campaign_id": str(pooled.id), "order": str(first(PurchaseOrder.id, PurchaseOrder.status.in_(("received", "partly_received")))),
        "wish_id": str(first(Wish.id, Wish.status == "funded")), "entry": str(first(JournalEntry.id)),
        "donation": str(first(Donation.id, Donation.status == "succeeded")),
        "distribution": str(first(Distribution.id)),
        "disbursement": str(first(Disbursement.id) or 987654),
    }


def _fill(value, ids):
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value.format(**ids) if isinstance(value, str) else value


def send(client, case: Case, ids: dict):
    url = _fill(case.url, ids)
    url += ("&" if "?" in url else "?") + "lang=en"
    kwargs = {"headers": case.headers, "follow_redirects": True}
    if case.body is not None:
        kwargs.update(data=case.body[0], content_type=case.body[1])
    elif case.data is not None or case.files:
        data = {k: _fill(v, ids) for k, v in (case.data or {}).items()}
        for name, (raw, filename) in case.files.items():
            data[name] = (io.BytesIO(raw), filename)
        kwargs["data"] = data
    return client.open(url, method=case.method, **kwargs)


def messages(page: str) -> list[str]:
    """The lines of a page that carry errors, for a readable failure."""
    marks = ("error", "flash", '"message"')
    return [line.strip()[:300] for line in page.splitlines() if any(m in line for m in marks)] or [page[:300]]


def check(client, case: Case, ids: dict, ignore: tuple = ()) -> None:
    """Send ``case``; assert its status and message and that nothing was written."""
    before = snapshot()
    resp = send(client, case, ids)
    after = snapshot()
    page = html.unescape(resp.get_data(as_text=True))
    assert resp.status_code in case.status, (resp.status_code, messages(page))
    if case.text is not None:
        assert case.text in page, (resp.status_code, messages(page))
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and k not in ignore}
    assert changed == {}
