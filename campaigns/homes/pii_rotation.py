"""Rotating the keys of households' personal data: ``flask --app wsgi homes rotate-pii-key``.

The procedure (docs/security.md):

1. Make a new Fernet key (``python -c "from cryptography.fernet import Fernet;
   print(Fernet.generate_key().decode())"``).
2. Start the command with ``WANJIA_PII_KEY`` set to the new key and ``WANJIA_PII_OLD_KEY`` to
   the old one (several old keys: comma-separated). A new ``WANJIA_PII_HASH_KEY`` may be set
   at the same time: the dedupe hashes are recomputed from the decrypted ID numbers.
3. Every household's ID number and phone, and every pending import, is decrypted with
   whichever key opens it and encrypted again with the new key, in one transaction: either
   all of it is rotated or none.
4. Restart the app with the new keys only; the old key is no longer needed.

Keys come from the environment, never from the command line (shell history, process list).
"""
import os
from dataclasses import dataclass

import click
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask.cli import AppGroup

from campaigns.homes.models import Household, HouseholdImport
from campaigns.homes.pii import PiiError, PiiKeys, current_keys
from core.extensions import db

OLD_VAR = "WANJIA_PII_OLD_KEY"

homes_cli = AppGroup("homes", help="Households' personal data.")


@dataclass(frozen=True)
class Rotation:
    households: int
    imports: int


def _opener(new: PiiKeys, old_keys: list[bytes]) -> MultiFernet:
    return MultiFernet([Fernet(new.fernet_key), *(Fernet(key) for key in old_keys)])


def _reopen(opener: MultiFernet, new: PiiKeys, token: str, what: str) -> tuple[str, str]:
    """``(plain text, new ciphertext)`` of ``token``; PiiError names what cannot be read."""
    if not token:
        return "", ""
    try:
        plain = opener.decrypt(token.encode()).decode()
    except InvalidToken:
        raise PiiError(f"{what} cannot be decrypted with the new key or any old key.") from None
    return plain, new.encrypt(plain)


def rotate_pii(session, new: PiiKeys, old_keys: list[bytes]) -> Rotation:
    """Encrypt every stored ID number, phone and pending import again with ``new``, and
    recompute the dedupe hashes with ``new``'s hash key. Flushes; the caller commits."""
    opener = _opener(new, old_keys)
    households = list(session.scalars(sa.select(Household).order_by(Household.id)))
    for household in households:
        number, household.id_encrypted = _reopen(
            opener, new, household.id_encrypted, f"household {household.id}'s ID number")
        _phone, household.phone_encrypted = _reopen(
            opener, new, household.phone_encrypted, f"household {household.id}'s phone")
        household.id_hash = new.digest(number)
    imports = list(session.scalars(sa.select(HouseholdImport).where(HouseholdImport.imported_at.is_(None))))
    for upload in imports:
        _rows, upload.payload = _reopen(opener, new, upload.payload, f"import {upload.id}")
    session.flush()
    return Rotation(households=len(households), imports=len(imports))


def old_keys_from_environment() -> list[bytes]:
    return [key.strip().encode() for key in os.environ.get(OLD_VAR, "").split(",") if key.strip()]


@homes_cli.command("rotate-pii-key")
def rotate_pii_key_command():
    """Re-encrypt households' personal data with WANJIA_PII_KEY (old keys in WANJIA_PII_OLD_KEY)."""
    try:
        done = rotate_pii(db.session, current_keys(), old_keys_from_environment())
    except (PiiError, ValueError) as err:  # ValueError: a malformed Fernet key
        db.session.rollback()
        raise click.ClickException(str(err)) from None
    db.session.commit()
    click.echo(f"rotated: {done.households} households, {done.imports} pending imports")
