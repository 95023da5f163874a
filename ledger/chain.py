"""Tamper evidence: each entry's hash covers its canonical content and the previous hash.

Changing, inserting or removing any entry or posting behind the ledger's back changes the
hash of that entry and breaks every link after it; ``verify_ledger`` recomputes the chain.
"""
import hashlib
import json
from datetime import date

from sqlalchemy.dialects import postgresql, sqlite

from ledger.models import ChainHead

GENESIS = ""
#: The one row of ``ledger_chain_heads``.
HEAD_ID = 1


def canonical_lines(lines) -> list[list]:
    """``(account_code, fund_code, currency, amount)`` tuples in one stable order."""
    return sorted([str(a), str(f), str(c), int(m)] for a, f, c, m in lines)


def entry_hash(prev_hash: str, *, entry_id: int, entry_date: date, memo: str, key: str,
               source: str, reverses_id: int | None, lines) -> str:
    """sha256 (hex) of the previous hash and this entry's canonical JSON."""
    content = json.dumps(
        [entry_id, entry_date.isoformat(), memo, key, source, reverses_id, canonical_lines(lines)],
        ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def insert_ignore(session, model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either engine."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(model).on_conflict_do_nothing(), rows)


def create_chain_head(session) -> None:
    """The head row of an empty ledger (``seed_chart`` makes it; posting does if missing)."""
    insert_ignore(session, ChainHead, [{"id": HEAD_ID, "last_entry_id": 0, "last_hash": GENESIS}])
