"""``flask --app wsgi payments sweep``, ``payments drain``, ``outbox send`` and ``demo seed``."""
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from campaigns.demo import seed_office
from campaigns.homes.demo import seed_deliveries
from campaigns.matching.demo import seed_matching
from core.extensions import db
from donate.demo import seed_gifts
from donate.giving import gateway
from donate.inbox import drain_inbox
from donate.outbox import send_outbox
from donate.recurring import sweep_plans
from donate.recurring_demo import seed_plans
from donate.services import sweep_payments
from donate.stripe_gateway import GatewayError
from donate.teams import seed_teams
from donate.wishes import seed_pooled_demo_wish, seed_wish_gifts

payments_cli = AppGroup("payments", help="Stripe payments: the sweep that books missed webhooks.")
outbox_cli = AppGroup("outbox", help="The email outbox.")
demo_cli = AppGroup("demo", help="Demo data for trying Wanjia locally.")


@payments_cli.command("sweep")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only PaymentIntents created on or after this date (UTC).")
def sweep_command(since: datetime | None):
    """Book every succeeded PaymentIntent the books lack (safe to run on a schedule)."""
    _drain()  # what the inbox holds first: it needs no Stripe call for a paid gift
    try:
        booked = sweep_payments(db.session, gateway(), since, each_in_transaction=True)
        db.session.commit()
        plans = sweep_plans(db.session, gateway(), commit=db.session.commit)  # monthly gifts
        db.session.commit()
    except GatewayError as err:
        db.session.rollback()
        raise click.ClickException(f"Stripe could not be reached: {err}") from None
    click.echo(f"booked {booked} payment(s)")
    click.echo("monthly plans: {checked} checked, {repaired} repaired, {booked} renewal(s) booked, "
               "{unreachable} not found at Stripe".format(**plans))


@payments_cli.command("drain")
def drain_command():
    """Book the Stripe events waiting in the webhook inbox: those no batch reached, and
    those that failed before (retried up to WEBHOOK_MAX_ATTEMPTS times)."""
    _drain()


def _drain() -> None:
    result = drain_inbox(db.session, gateway())
    click.echo("inbox: {processed} event(s) processed, {failed} failed (left for the next run), "
               "{given_up} given up after too many attempts".format(**result))


@outbox_cli.command("send")
@click.option("--limit", default=100, show_default=True)
def send_command(limit: int):
    """Send queued emails through MAIL_SERVER:MAIL_PORT."""
    cfg = current_app.config
    try:
        sent, failed = send_outbox(db.session, cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]),
                                   cfg["MAIL_SENDER"], db.session.commit, limit)
    except OSError as err:
        db.session.rollback()
        raise click.ClickException(
            f"Mail server {cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']} unreachable: {err}") from None
    click.echo(f"sent {sent}, failed {failed}")


@demo_cli.command("seed")
def seed_command():
    """Seed the demo office (campaigns, users) and a few dozen booked gifts; idempotent."""
    result = seed_office(db.session)
    seed_matching(db.session)  # before the gifts, so that booking them uses part of the pool
    db.session.commit()
    made = seed_gifts(db.session)
    seed_plans(db.session)
    seed_teams(db.session)
    db.session.commit()
    # Packs can be delivered and wishes funded only once gifts are in the books.
    seed_deliveries(db.session)
    seed_wish_gifts(db.session)
    seed_pooled_demo_wish(db.session)
    db.session.commit()
    click.echo(f"demo office ready; {made} new demo gift(s) booked")
    for line in _login_lines(result):
        click.echo(line)


def _login_lines(result) -> list[str]:
    users = result.get("users", []) if isinstance(result, dict) else []
    return [f"  {u['email']} / {u['password']} ({', '.join(u['roles'])})" for u in users]


def register_donate_cli(app) -> None:
    """Add the payments, outbox and demo command groups to ``app``."""
    for group in (payments_cli, outbox_cli, demo_cli):
        app.cli.add_command(group)
