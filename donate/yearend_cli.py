"""``flask --app wsgi donors statements --year 2026``: queue every donor's year-end statement."""
import click
from flask.cli import AppGroup

from core.extensions import db
from donate.yearend import send_year_statements

donors_cli = AppGroup("donors", help="Donors: year-end statements.")
#: Print progress every this many donors (and after the last).
PROGRESS_EVERY = 10


@donors_cli.command("statements")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="The calendar year.")
def statements_command(year: int):
    """Email every donor of YEAR their statement through the outbox (once per donor)."""
    def progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            click.echo(f"{done}/{total} queued")

    count = send_year_statements(db.session, year, progress=progress, commit=db.session.commit)
    db.session.commit()
    click.echo(f"{count} donor statement(s) for {year} are in the outbox; `flask --app wsgi outbox send` sends them.")
