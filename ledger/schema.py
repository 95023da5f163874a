"""The ledger's invariants as database triggers, so that no code path can break them.

On both engines: journal entries, postings and period events refuse UPDATE and DELETE
(TRUNCATE is left alone: the test fixture empties tables with it), and nothing is inserted
with an accounting date in a closed period. On PostgreSQL, deferred constraint triggers also
check at commit that every entry balances per currency and per fund, and that no restricted
fund's holdings are below zero.

The balance check runs once per entry (it used to run once per posting, re-summing the same
entry four times). That is enough because an entry's postings are sealed when its
transaction commits: a posting may only be added to an entry beyond the chain head, every
entry must be within the head by commit, and the head only moves forward. So no later
posting can unbalance an entry that was checked.

``attach_triggers`` hooks the DDL to ``create_all`` (tests); migrations call
``install_triggers(connection)``. The statements contain no ``%`` on purpose: ``DDL`` and
the psycopg driver would both read it as a placeholder.
"""
from sqlalchemy import DDL, event

APPEND_ONLY_TABLES = ("journal_entries", "postings", "period_events")


def _sqlite_append_only(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'ledger is append-only: {table} rows cannot be changed'); END"
        for op in ("UPDATE", "DELETE")
    ]


SQLITE = {
    **{t: _sqlite_append_only(t) for t in APPEND_ONLY_TABLES},
    "journal_entries": _sqlite_append_only("journal_entries") + [
        "CREATE TRIGGER IF NOT EXISTS journal_entries_open_period BEFORE INSERT ON journal_entries "
        "WHEN EXISTS (SELECT 1 FROM periods WHERE month = substr(NEW.entry_date, 1, 7) "
        "AND status = 'closed') "
        "BEGIN SELECT RAISE(ABORT, 'period closed: no postings with this accounting date'); END",
    ],
    "postings": _sqlite_append_only("postings") + [
        "CREATE TRIGGER IF NOT EXISTS postings_open_period BEFORE INSERT ON postings "
        "WHEN EXISTS (SELECT 1 FROM journal_entries e JOIN periods p "
        "ON p.month = substr(e.entry_date, 1, 7) WHERE e.id = NEW.entry_id AND p.status = 'closed') "
        "BEGIN SELECT RAISE(ABORT, 'period closed: no postings with this accounting date'); END",
    ],
}

_PG_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
    MESSAGE = 'ledger is append-only: ' || TG_TABLE_NAME || ' rows cannot be changed';
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_refuse_closed_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM periods WHERE month = to_char(NEW.entry_date, 'YYYY-MM')
             AND status = 'closed') THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'period closed: no postings dated ' || NEW.entry_date;
  END IF;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_refuse_closed_posting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.entry_id <= (SELECT last_entry_id FROM ledger_chain_heads WHERE id = 1) THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'journal entry ' || NEW.entry_id || ' is already posted: no postings can be added';
  END IF;
  IF EXISTS (SELECT 1 FROM journal_entries e JOIN periods p
             ON p.month = to_char(e.entry_date, 'YYYY-MM')
             WHERE e.id = NEW.entry_id AND p.status = 'closed') THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'period closed: no postings on entry ' || NEW.entry_id;
  END IF;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT currency, fund_id, sum(amount) AS total INTO bad FROM postings
   WHERE entry_id = NEW.id GROUP BY currency, fund_id HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'journal entry ' || NEW.id || ' does not balance in ' || bad.currency
                || ' within fund id ' || bad.fund_id || ' (off by ' || bad.total || ')';
  END IF;
  IF coalesce((SELECT last_entry_id FROM ledger_chain_heads WHERE id = 1), 0) < NEW.id THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'journal entry ' || NEW.id || ' is beyond the chain head: post through the ledger';
  END IF;
  RETURN NULL;
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_head_only_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_entry_id < OLD.last_entry_id THEN
    RAISE EXCEPTION USING ERRCODE = 'check_violation',
      MESSAGE = 'the ledger chain head only moves forward';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE OR REPLACE FUNCTION ledger_check_restricted_fund() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE held bigint;
BEGIN
  IF EXISTS (SELECT 1 FROM funds WHERE id = NEW.fund_id AND restriction = 'restricted') THEN
    SELECT coalesce(sum(b.amount), 0) INTO held FROM balances b JOIN accounts a ON a.id = b.account_id
     WHERE b.fund_id = NEW.fund_id AND b.currency = NEW.currency
       AND a.type IN ('asset', 'liability');
    IF held < 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'check_violation',
        MESSAGE = 'restricted fund id ' || NEW.fund_id || ' would hold ' || held || ' '
                  || NEW.currency || ', below zero';
    END IF;
  END IF;
  RETURN NULL;
END $$""",
]


def _pg_append_only(table: str) -> str:
    return (f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")


POSTGRESQL = {
    "journal_entries": [
        _pg_append_only("journal_entries"),
        "CREATE OR REPLACE TRIGGER journal_entries_open_period BEFORE INSERT ON journal_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_entry()",
        "DROP TRIGGER IF EXISTS journal_entries_balanced ON journal_entries",
        "CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced()",
    ],
    "postings": [
        _pg_append_only("postings"),
        "CREATE OR REPLACE TRIGGER postings_open_period BEFORE INSERT ON postings "
        "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_posting()",
        # Replaced by journal_entries_balanced: one check per entry, not one per posting.
        "DROP TRIGGER IF EXISTS postings_balanced ON postings",
    ],
    "ledger_chain_heads": [
        "CREATE OR REPLACE TRIGGER ledger_chain_heads_forward BEFORE UPDATE ON ledger_chain_heads "
        "FOR EACH ROW EXECUTE FUNCTION ledger_head_only_forward()",
    ],
    "balances": [
        "DROP TRIGGER IF EXISTS balances_restricted_non_negative ON balances",
        "CREATE CONSTRAINT TRIGGER balances_restricted_non_negative AFTER INSERT OR UPDATE "
        "ON balances DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION ledger_check_restricted_fund()",
    ],
    "period_events": [_pg_append_only("period_events")],
}

_BY_DIALECT = {"sqlite": SQLITE, "postgresql": POSTGRESQL}


def attach_triggers(metadata) -> None:
    """Make ``metadata.create_all`` install each table's triggers right after the table."""
    for sql in _PG_FUNCTIONS:
        event.listen(metadata, "before_create", DDL(sql).execute_if(dialect="postgresql"))
    for dialect, by_table in _BY_DIALECT.items():
        for table, statements in by_table.items():
            for sql in statements:
                event.listen(metadata.tables[table], "after_create",
                             DDL(sql).execute_if(dialect=dialect))


def install_triggers(connection) -> None:
    """Install (or replace) every trigger on an existing schema; for Alembic migrations.

    The functions come first, since the PostgreSQL triggers name them.
    """
    name = connection.dialect.name
    functions = _PG_FUNCTIONS if name == "postgresql" else []
    for sql in functions + [s for stmts in _BY_DIALECT.get(name, {}).values() for s in stmts]:
        connection.exec_driver_sql(sql)
