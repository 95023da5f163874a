"""``flask --app wsgi users …``"""
import sys

import click
from flask.cli import AppGroup

from core.access import ROLES
from core.auth import create_user
from core.extensions import db

users_cli = AppGroup("users", help="Manage staff, finance, admin and auditor accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True)
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email, roles, name, password_stdin):
    """Create a user with one or more roles."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.UsageError("The password must have at least 10 characters.")
    try:
        user = create_user(email, password, roles, display_name=name)
        db.session.commit()
    except Exception as err:  # unique email, unknown role
        db.session.rollback()
        raise click.ClickException(f"Could not create {email}: {err}") from None
    click.echo(f"created {user.email} with roles {', '.join(sorted(user.role_names))}")
