"""Households: ID numbers validated, hashed, encrypted and masked; CSV import with preview."""
import pytest
import sqlalchemy as sa

from campaigns.homes import households, idnumber
from campaigns.homes.households import HouseholdInput
from campaigns.homes.models import Household, HouseholdImport
from campaigns.homes.state import HomesError
from core.extensions import db
from tests.homes.homes_support import bad_check, csv_rows, fake_id


def test_check_digit_of_a_known_number():
    # The standard's worked example: 11010519491231002X.
    assert idnumber.check_digit("11010519491231002") == "X"
    assert idnumber.id_problem("11010519491231002X") is None
    assert idnumber.id_problem("110105194912310021") == "bad_check"
    assert idnumber.id_problem("11010519491331002X") == "bad_date"
    assert idnumber.id_problem("1101051949123100") == "malformed"
    assert idnumber.mask("310115198001011234") == "310115********1234"


def _input(number, street="HN", members="3", category="低保"):
    return HouseholdInput(street=street, committee="城南居委", category=category,
                          head_name="测试户001", id_number=number, phone="13800000000",
                          members=members)


def test_a_household_is_stored_hashed_encrypted_and_masked(funds, keys):
    number = fake_id(1)
    h = households.register_household(db.session, keys, _input(number))
    db.session.commit()
    assert h.street_code == "HN" and h.category == "dibao" and h.members == 3
    assert h.id_masked == number[:6] + "********" + number[-4:]
    assert number not in (h.id_hash, h.id_encrypted, h.phone_encrypted)
    assert keys.decrypt(h.id_encrypted) == number and keys.decrypt(h.phone_encrypted) == "13800000000"


def test_the_same_household_is_never_registered_twice(funds, keys, english):
    households.register_household(db.session, keys, _input(fake_id(1)))
    db.session.commit()
    with pytest.raises(HomesError) as err:
        households.register_household(db.session, keys, _input(fake_id(1).lower(), street="LJZ"))
    assert "already registered" in str(err.value.message)
    db.session.rollback()
    # and the database refuses it too, whatever the code path
    twin = Household(street_code="LJZ", category="dibao", head_name="x", members=1,
                     id_hash=keys.digest(fake_id(1)), id_encrypted="x", id_masked="x")
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 1


BAD_FILE_ROWS = (
    ("HN", "城南居委", "低保", "测试户001", fake_id(1), "13800000001", 3),           # line 2: good
    ("HN", "城南居委", "低保", "测试户002", "31011519600101", "", 2),                 # 3: malformed
    ("HN", "城南居委", "低收入", "测试户003", bad_check(fake_id(3)), "", 2),          # 4: check digit
    ("XX", "城南居委", "低保", "测试户004", fake_id(4), "", 2),                       # 5: street
    ("惠南镇", "城南居委", "低保", "测试户005", fake_id(5), "", -1),                   # 6: members
    ("HN", "城南居委", "独居老人", "测试户006", fake_id(1), "", 1),                   # 7: duplicate
    ("ZQ", "新生村委", "特困供养", "测试户007", fake_id(7), "", 1),                   # 8: registered
    ("ZQ", "新生村委", "重残无业", "测试户008", fake_id(8), "", 4),                   # 9: good
)


def _preview(keys, text, encoding="utf-8"):
    upload = households.preview_import(db.session, keys, text.encode(encoding), "list.csv", 1)
    db.session.commit()
    return upload


def test_preview_lists_each_bad_row_with_line_and_reason(funds, keys, make_user):
    make_user("staff")
    households.register_household(db.session, keys, _input(fake_id(7), street="ZQ"))
    upload = _preview(keys, csv_rows(*BAD_FILE_ROWS))
    rows = households.import_rows(db.session, keys, upload)
    assert [(r["line"], r["errors"]) for r in rows] == [
        (2, []), (3, ["malformed_id"]), (4, ["bad_check"]), (5, ["unknown_street"]),
        (6, ["bad_members"]), (7, ["duplicate_in_file"]), (8, ["already_registered"]), (9, [])]
    assert fake_id(1) not in upload.payload  # the preview is encrypted at rest


def test_nothing_is_imported_from_a_dirty_file_unless_asked(funds, keys, make_user, english):
    make_user("staff")
    households.register_household(db.session, keys, _input(fake_id(7), street="ZQ"))
    upload = _preview(keys, csv_rows(*BAD_FILE_ROWS))
    with pytest.raises(HomesError) as err:
        households.confirm_import(db.session, keys, upload, good_rows_only=False)
    db.session.rollback()
    assert "6 rows have problems" in str(err.value.message)
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 1
    assert households.confirm_import(db.session, keys, upload, good_rows_only=True) == 2
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 3
    assert db.session.get(HouseholdImport, upload.id).payload == ""
    with pytest.raises(HomesError):
        households.confirm_import(db.session, keys, upload, good_rows_only=True)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_utf8_with_or_without_bom_and_gbk_are_read(funds, keys, make_user, encoding):
    make_user("staff")
    text = csv_rows(("惠南镇", "城南居委", "支出型贫困", "测试户九", fake_id(9), "", 2))
    upload = _preview(keys, text, encoding)
    assert households.confirm_import(db.session, keys, upload, good_rows_only=False) == 1
    db.session.commit()
    h = db.session.scalar(sa.select(Household))
    assert (h.street_code, h.category, h.head_name) == ("HN", "expense_poverty", "测试户九")


def test_a_file_in_another_encoding_is_refused(funds, keys, english):
    text = csv_rows(("惠南镇", "城南居委", "低保", "测试户九", fake_id(9), "", 2))
    with pytest.raises(HomesError) as err:
        households.preview_import(db.session, keys, text.encode("utf-16"), "list.csv", 1)
    assert "neither UTF-8 nor GBK" in str(err.value.message)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(HouseholdImport.id))) == 0


def test_a_file_without_the_columns_is_refused(funds, keys, english):
    with pytest.raises(HomesError) as err:
        households.preview_import(db.session, keys, b"name,phone\nx,y\n", "x.csv", 1)
    assert "category, committee, head_name, id_number, members, street" in str(err.value.message)
