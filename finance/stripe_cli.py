"""``flask --app wsgi stripe-recon …``: Stripe reconciliation from the command line (a nightly
job, or a month too long for one page request). ``fetch`` commits after every page, so an
interrupted run continues where it stopped when started again."""
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from core.extensions import db
from donate.stripe_gateway import GatewayError, StripeGateway
from finance.stripe_csv import StripeFileError
from finance.stripe_fetch import fetch_stripe_activity
from finance.stripe_recon import import_stripe_csv

stripe_recon_cli = AppGroup("stripe-recon", help="Reconcile the books with Stripe.")


def _report(result) -> None:
    click.echo(f"{result.new} new lines, {result.seen} already imported, "
               f"{result.payouts_posted} payouts booked, {result.unmatched} lines unmatched")


@stripe_recon_cli.command("fetch")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]))
def fetch_command(start, end):
    """Fetch the balance transactions and payouts of the books' days FROM..TO."""
    gateway = StripeGateway.from_config(current_app.config)
    try:
        result = fetch_stripe_activity(db.session, gateway, date.fromisoformat(f"{start:%Y-%m-%d}"),
                                       date.fromisoformat(f"{end:%Y-%m-%d}"),
                                       commit=db.session.commit)
    except GatewayError as err:
        db.session.commit()
        raise click.ClickException(f"Stripe stopped answering ({err.code or err}); run again "
                                   f"to resume.") from None
    db.session.commit()
    _report(result)


@stripe_recon_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path):
    """Import an itemised report CSV downloaded from Stripe's dashboard."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        result = import_stripe_csv(db.session, data)
    except StripeFileError as err:
        db.session.rollback()
        raise click.ClickException("\n".join(str(p) for p in err.problems)) from None
    db.session.commit()
    _report(result)
