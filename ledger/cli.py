"""``flask --app wsgi ledger …``: the books from the command line, for finance officers.

Commands call the engine and commit once; a refusal prints its message and exits non-zero.
"""
import csv
import json
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from core.access import ADMIN, FINANCE
from core.auth import User
from core.extensions import db
from ledger.chart import seed_chart
from ledger.errors import LedgerError
from ledger.export import EXPORTERS
from ledger.money import format_plain
from ledger.periods import close_period, reopen_period
from ledger.reports import trial_balance
from ledger.verify import verify_ledger

ledger_cli = AppGroup("ledger", help="The books: verify, reports, exports.")


def _commit_or_fail(action):
    try:
        result = action()
        db.session.commit()
        return result
    except LedgerError as err:
        db.session.rollback()
        raise click.ClickException(str(err)) from None


@ledger_cli.command("seed-chart")
def seed_chart_command():
    """Create the standard chart of accounts and the general fund (idempotent)."""
    _commit_or_fail(lambda: seed_chart(db.session))
    click.echo("chart of accounts ready")


@ledger_cli.command("verify")
def verify_command():
    """Recheck the hash chain and every invariant; exit 1 when anything is wrong."""
    problems = verify_ledger(db.session)
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("ledger verified: no problems")


@ledger_cli.command("trial-balance")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--currency", default="CNY", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def trial_balance_command(as_of, currency, fmt):
    """Every account's balance on its debit or credit side, and the totals."""
    tb = trial_balance(db.session, as_of=as_of.date() if as_of else None, currency=currency)
    rows = [[r.code, r.name_zh, r.name_en, r.type, format_plain(r.debit, currency),
             format_plain(r.credit, currency)] for r in tb.rows]
    totals = ["", "合计", "Total", "", format_plain(tb.total_debit, currency),
              format_plain(tb.total_credit, currency)]
    if fmt == "json":
        keys = ["code", "name_zh", "name_en", "type", "debit", "credit"]
        click.echo(json.dumps({"currency": currency, "as_of": as_of and as_of.date().isoformat(),
                               "rows": [dict(zip(keys, r)) for r in rows],
                               "total_debit": totals[4], "total_credit": totals[5]},
                              ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerows([["code", "name_zh", "name_en", "type", "debit", "credit"], *rows, totals])
    else:
        for row in [*rows, totals]:
            click.echo(f"{row[0]:<8} {row[2]:<32} {row[4]:>16} {row[5]:>16}")


@ledger_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTERS)), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_command(fmt, output):
    """Write the whole ledger for auditors (hledger journal, CSV of postings, beancount)."""
    newline = "" if fmt == "csv" else None
    with open(output, "w", encoding="utf-8", newline=newline) as out:
        count = EXPORTERS[fmt](db.session, out)
    click.echo(f"wrote {count} entries to {output}")


def _user_with_role(email: str, roles) -> str:
    user = db.session.scalar(sa.select(User).filter_by(email=email.strip().lower()))
    if user is None or not user.active or not user.has_any_role(roles):
        raise click.ClickException(f"{email} is not an active user with the role "
                                   f"{' or '.join(roles)}.")
    return user.email


@ledger_cli.command("close-period")
@click.argument("month")
@click.option("--by", "by", required=True, help="Email of the finance officer closing it.")
def close_period_command(month, by):
    """Close MONTH (YYYY-MM): nothing dated in it can be posted any more."""
    email = _user_with_role(by, (FINANCE, ADMIN))
    _commit_or_fail(lambda: close_period(db.session, month, by=email))
    click.echo(f"period {month} closed by {email}")


@ledger_cli.command("reopen-period")
@click.argument("month")
@click.option("--by", "by", required=True, help="Email of the admin reopening it.")
@click.option("--reason", required=True, help="Why; kept in the period history.")
def reopen_period_command(month, by, reason):
    """Reopen a closed MONTH (admins only); the reason is recorded."""
    email = _user_with_role(by, (ADMIN,))
    _commit_or_fail(lambda: reopen_period(db.session, month, by=email, reason=reason))
    click.echo(f"period {month} reopened by {email}")
