"""Household ID numbers are encrypted at rest with a key from the environment, and the key
can be rotated (issue #10): after ``homes rotate-pii-key`` every ciphertext opens with the new
key alone, the old key opens nothing, dedupe still finds a registered household, and a
wrong old key changes nothing."""
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from campaigns.homes import households
from campaigns.homes.models import Household, HouseholdImport
from campaigns.homes.pii import PiiError, keys_from
from core.extensions import db
from tests.homes.homes_support import csv_rows, fake_id

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
HASH_OLD, HASH_NEW = "hash-key-old", "hash-key-new"


def keys(fernet: str, hash_key: str):
    return keys_from({"WANJIA_PII_KEY": fernet, "WANJIA_PII_HASH_KEY": hash_key})


@pytest.fixture
def registered(app, make_user):
    """Two households registered and one import waiting, all under the old keys."""
    from campaigns.demo import seed_funds

    seed_funds(db.session)
    user = make_user("staff")
    old = keys(OLD, HASH_OLD)
    done = households.preview_import(db.session, old, csv_rows(
        ("HN", "城南居委", "低保", "测试户001", fake_id(1), "13912345678", 3),
        ("HN", "城南居委", "低保", "测试户002", fake_id(2), "", 1)).encode(), "a.csv", user.id)
    households.confirm_import(db.session, old, done, good_rows_only=False)
    households.preview_import(db.session, old, csv_rows(
        ("HN", "城北居委", "低保", "测试户003", fake_id(3), "13800000003", 2)).encode(), "b.csv", user.id)
    db.session.commit()
    return user


def rotate(app, runner, monkeypatch, old_key: str):
    app.config.update(WANJIA_PII_KEY=NEW, WANJIA_PII_HASH_KEY=HASH_NEW)
    monkeypatch.setenv("WANJIA_PII_OLD_KEY", old_key)
    return runner.invoke(args=["homes", "rotate-pii-key"])


def stored():
    db.session.expire_all()
    rows = db.session.execute(sa.select(Household.id_hash, Household.id_encrypted,
                                        Household.phone_encrypted).order_by(Household.id)).all()
    pending = db.session.scalar(sa.select(HouseholdImport.payload).where(HouseholdImport.imported_at.is_(None)))
    return rows, pending


def test_after_rotation_only_the_new_key_is_needed(app, runner, monkeypatch, registered):
    before = stored()
    result = rotate(app, runner, monkeypatch, OLD)
    assert result.exit_code == 0, result.output
    assert result.output == "rotated: 2 households, 1 pending imports\n"
    rows, pending = stored()
    new, old = keys(NEW, HASH_NEW), keys(OLD, HASH_OLD)
    assert [new.decrypt(r.id_encrypted) for r in rows] == [fake_id(1), fake_id(2)]
    assert [new.decrypt(r.phone_encrypted) for r in rows] == ["13912345678", ""]
    assert [r.id_hash for r in rows] == [new.digest(fake_id(1)), new.digest(fake_id(2))]
    with pytest.raises(PiiError):
        old.decrypt(rows[0].id_encrypted)
    assert rows != before[0] and pending != before[1]
    # The waiting import opens with the new key; dedupe finds household 001 by the new hash.
    upload = db.session.scalar(sa.select(HouseholdImport).where(HouseholdImport.imported_at.is_(None)))
    assert [r["errors"] for r in households.import_rows(db.session, new, upload)] == [[]]
    assert households.is_registered(db.session, new, fake_id(1))
    assert not households.is_registered(db.session, old, fake_id(1))


def test_a_wrong_old_key_rotates_nothing(app, runner, monkeypatch, registered):
    before = stored()
    result = rotate(app, runner, monkeypatch, Fernet.generate_key().decode())
    assert result.exit_code == 1
    assert "household 1's ID number cannot be decrypted with the new key or any old key." in result.output
    assert stored() == before


def test_a_malformed_key_is_refused_with_a_message(app, runner, monkeypatch, registered):
    result = rotate(app, runner, monkeypatch, "not-a-key")
    assert result.exit_code == 1 and "Error:" in result.output
