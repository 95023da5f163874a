"""``flask --app wsgi wishes expire``: free the wishes whose reservation ran out (safe to run
on a schedule; the board already reads such wishes as open). ``wishes demo`` is added to this
group by ``donate.wishes``, since paying demo gifts needs the giving layer."""
import click
from flask.cli import AppGroup

from campaigns.wishes.services import release_expired
from core.extensions import db

wishes_cli = AppGroup("wishes", help="Micro-wishes.")


@wishes_cli.command("expire")
def expire_command():
    """Release every wish whose reservation has run out."""
    freed = release_expired(db.session)
    db.session.commit()
    click.echo(f"released {freed} wish(es)")
