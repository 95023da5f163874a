"""``flask --app wsgi matching held`` and ``matching end-expired``."""
import click
from flask.cli import AppGroup

from campaigns.matching.services import end_expired_pledges, held_matches
from core.extensions import db
from ledger.money import format_plain

matching_cli = AppGroup("matching", help="Matching pledges (配捐).")


@matching_cli.command("held")
@click.option("--older-than", "older_than", type=click.IntRange(min=0), default=None,
              help="Only matches held longer than this many days.")
def held_command(older_than: int | None):
    """List matches held for review (suspected gaming)."""
    held = held_matches(db.session, older_than_days=older_than)
    for m in held:
        click.echo(f"match {m.id}  pledge {m.pledge_id}  gift #{m.donation_id}  "
                   f"{format_plain(m.net_fen, m.currency)} {m.currency}  {m.created_at:%Y-%m-%d %H:%M}  "
                   f"{m.hold_reason}")
    click.echo(f"{len(held)} held match(es)")


@matching_cli.command("end-expired")
def end_expired_command():
    """End the pledges whose window has closed (safe to run on a schedule)."""
    ended = end_expired_pledges(db.session)
    db.session.commit()
    click.echo(f"ended {ended} pledge(s)")
