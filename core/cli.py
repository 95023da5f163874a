"""``flask --app wsgi users …``: accounts for staff, finance officers, admins and auditors.

Operator-facing, so its messages are English and plain; a refusal exits with status 1
(click's usage errors, such as an unknown role, exit with 2).
"""
import sys

import click
from flask.cli import AppGroup

from core.access import ROLES
from core.auth import User, create_user
from core.extensions import db

users_cli = AppGroup("users", help="Manage staff, finance, admin and auditor accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True,
              help="A role to grant; repeat for several.")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email, roles, name, password_stdin):
    """Create a user with one or more roles."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, password, roles, display_name=name)
        db.session.commit()
    except ValueError as err:  # short password, duplicate email, unknown role
        db.session.rollback()
        raise click.ClickException(f"Could not create {email}: {err}.") from None
    click.echo(f"created {user.email} with roles {', '.join(sorted(user.role_names))}")


@users_cli.command("list")
def list_users_command():
    """List accounts with their roles."""
    for user in db.session.scalars(db.select(User).order_by(User.email)):
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email}\t{','.join(sorted(user.role_names))}\t{state}")
