"""Logging in: bad input, no account enumeration, lock-out, rate limit; the users CLI."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from core.access import FINANCE, requires
from core.auth import LOCKOUT, MAX_FAILED_LOGINS, AuthError, User, authenticate, create_user, utcnow
from core.extensions import db

PASSWORD = "correct horse battery"
WRONG = "Wrong email or password."
LOCKED = "Too many failed logins. Try again in 15 minutes."


def in_chinese(msgid, **kw):
    """What the Chinese page shows for ``msgid`` (the msgid itself until it is translated)."""
    with force_locale("zh_Hans_CN"):
        return _(msgid, **kw)


def english(lazy) -> str:
    with force_locale("en"):
        return str(lazy)


def page(resp):
    return resp.get_data(as_text=True)


def post_login(client, email, password, lang="en", **kw):
    return client.post("/login", query_string={"lang": lang}, data={"email": email, "password": password}, **kw)


# -- the service --------------------------------------------------------------------------

def test_lockout_refuses_the_right_password_until_it_passes(app, make_user):
    make_user("finance", "fin@example.org")
    t0 = utcnow()
    for i in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthError) as err:
            authenticate("fin@example.org", "guess %d" % i, now=t0)
        assert english(err.value.message) == WRONG
    with pytest.raises(AuthError) as err:
        authenticate("fin@example.org", PASSWORD, now=t0 + timedelta(minutes=1))
    assert english(err.value.message) == LOCKED
    with pytest.raises(AuthError):
        authenticate("fin@example.org", PASSWORD, now=t0 + LOCKOUT - timedelta(seconds=1))
    user = authenticate("FIN@example.org ", PASSWORD, now=t0 + LOCKOUT + timedelta(seconds=1))
    assert user.email == "fin@example.org"
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_one_failure_short_of_the_limit_does_not_lock(app, make_user):
    make_user("staff")
    for _i in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthError):
            authenticate("staff@example.org", "nope")
    assert authenticate("staff@example.org", PASSWORD).failed_logins == 0


def test_disabled_account_gets_the_same_answer_as_an_unknown_one(app, make_user):
    user = make_user("staff")
    user.active = False
    db.session.commit()
    with pytest.raises(AuthError) as err:
        authenticate("staff@example.org", PASSWORD)
    assert english(err.value.message) == WRONG


def test_disabling_an_account_ends_its_open_session(app, client, login):
    app.add_url_rule("/_test/who", "who", requires(FINANCE)(lambda: "in"))
    user = login("finance")
    assert client.get("/_test/who").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/_test/who").headers["Location"].startswith("/login")


# -- the login page -----------------------------------------------------------------------

def test_login_page_has_labelled_fields(client):
    html = page(client.get("/login?lang=en"))
    assert '<label for="email">Email</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html


def test_form_errors_are_tied_to_their_field(client):
    html = page(client.post("/login?lang=en", data={"email": "", "password": "x"}))
    assert 'aria-describedby="email-err"' in html and 'aria-invalid="true"' in html
    assert '<div class="error" id="email-err" role="alert"><p>This field is required.</p></div>' in html


def test_good_login_then_logout(client, make_user):
    make_user("staff")
    resp = post_login(client, "staff@example.org", PASSWORD)
    assert resp.status_code == 302
    assert "Welcome, staff." in page(client.get("/?lang=en"))
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert "You have logged out." in page(client.get("/?lang=en"))
    assert client.post("/logout").headers["Location"].startswith("/login")


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    make_user("staff")
    wrong = post_login(client, "staff@example.org", "not the password")
    unknown = post_login(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert WRONG in page(wrong) and WRONG in page(unknown)
    def normalised(resp, email):  # the signed CSRF token carries a timestamp
        return re.sub(r'content="[^"]+">', "", page(resp).replace(email, "E"))

    assert normalised(wrong, "staff@example.org") == normalised(unknown, "nobody@example.org")


def test_wrong_password_message_in_chinese(client, make_user):
    make_user("staff")
    resp = post_login(client, "staff@example.org", "not the password", lang="zh")
    assert resp.status_code == 400
    assert in_chinese(WRONG) in page(resp)
    assert 'lang="zh-CN"' in page(resp)


def test_lockout_over_http(client, make_user):
    make_user("staff")
    for _i in range(MAX_FAILED_LOGINS):
        assert post_login(client, "staff@example.org", "bad").status_code == 400
    resp = post_login(client, "staff@example.org", PASSWORD)
    assert resp.status_code == 400
    assert LOCKED in page(resp)
    user = db.session.scalar(sa.select(User).filter_by(email="staff@example.org"))
    db.session.refresh(user)
    assert user.locked_until > utcnow()


@pytest.mark.parametrize("field", ["email", "password"])
def test_overlong_field_is_a_form_error_and_counts_nothing(client, make_user, field):
    make_user("staff")
    data = {"email": "staff@example.org", "password": "x"}
    data[field] = "a" * 300 + ("@example.org" if field == "email" else "")
    resp = client.post("/login?lang=en", data=data)
    assert resp.status_code == 400
    limit = 254 if field == "email" else 200
    assert f"At most {limit} characters." in page(resp)
    zh = client.post("/login?lang=zh", data=data)
    assert in_chinese("At most %(max)d characters.") % {"max": limit} in page(zh)
    user = db.session.scalar(sa.select(User).filter_by(email="staff@example.org"))
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_empty_form_says_which_fields_are_required(client):
    resp = client.post("/login?lang=en", data={})
    assert resp.status_code == 400
    assert page(resp).count("This field is required.") == 2


def test_login_is_rate_limited_per_address(make_app):
    app = make_app(LOGIN_RATE_LIMIT="3 per minute")
    create_user("staff@example.org", PASSWORD, ["staff"])
    db.session.commit()
    client = app.test_client()
    codes = [post_login(client, "staff@example.org", "bad").status_code for _i in range(4)]
    assert codes == [400, 400, 400, 429]
    resp = post_login(client, "staff@example.org", PASSWORD)
    assert resp.status_code == 429
    assert "Too many requests. Please wait a moment and try again." in page(resp)
    assert int(resp.headers["Retry-After"]) > 0
    zh = post_login(client, "staff@example.org", PASSWORD, lang="zh")
    assert zh.status_code == 429
    assert in_chinese("Too many requests. Please wait a moment and try again.") in page(zh)
    assert client.get("/login").status_code == 200  # only POSTs count


# -- the users CLI ------------------------------------------------------------------------

def test_cli_creates_a_user_with_several_roles(runner):
    result = runner.invoke(
        args=["users", "create", "Li.Na@Example.org", "--role", "finance", "--role", "staff", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created li.na@example.org with roles finance, staff" in result.output
    user = db.session.scalar(sa.select(User).filter_by(email="li.na@example.org"))
    assert user.role_names == {"finance", "staff"}
    assert authenticate("li.na@example.org", "a long enough password") is user


def test_cli_refuses_a_duplicate_email(runner, make_user):
    make_user("staff", "dup@example.org")
    result = runner.invoke(
        args=["users", "create", "DUP@example.org", "--role", "admin", "--password-stdin"],
        input="another long password\n",
    )
    assert result.exit_code == 1
    assert "a user with the email dup@example.org already exists" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_cli_refuses_an_unknown_role(runner):
    result = runner.invoke(
        args=["users", "create", "x@example.org", "--role", "root", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 2
    assert "'root' is not one of" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_cli_refuses_a_short_password(runner):
    result = runner.invoke(
        args=["users", "create", "x@example.org", "--role", "staff", "--password-stdin"], input="short\n"
    )
    assert result.exit_code == 1
    assert "the password must have at least 10 characters" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_cli_lists_users(runner, make_user):
    make_user("auditor")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert result.output == "auditor@example.org\tauditor\tactive\n"


# -- the admin's account pages ------------------------------------------------------------

def _user(email):
    return db.session.scalar(sa.select(User).filter_by(email=email))


def test_admin_creates_an_account_that_can_log_in(client, login):
    login("admin")
    resp = client.post("/admin/users/new?lang=en", data={
        "email": "Wang.Fang@Example.org", "display_name": "王芳", "password": "a long enough password",
        "roles": ["finance", "auditor"],
    })
    assert resp.status_code == 302
    assert "Account wang.fang@example.org created." in page(client.get("/admin/users?lang=en"))
    assert _user("wang.fang@example.org").role_names == {"finance", "auditor"}
    assert authenticate("wang.fang@example.org", "a long enough password").display_name == "王芳"


@pytest.mark.parametrize("data, message", [
    ({"email": "admin@example.org"}, "Another account already uses this email."),
    ({"email": "not-an-email"}, "Enter an email address like name@example.org."),
    ({"password": "short"}, "At least 10 characters."),
    ({"roles": []}, "Choose at least one role."),
    ({"roles": ["root"]}, "&#39;root&#39; is not a valid choice for this field."),
])
def test_admin_new_account_bad_input_is_a_form_error(client, login, data, message):
    login("admin")
    form = {"email": "new@example.org", "password": "a long enough password", "roles": ["staff"], **data}
    resp = client.post("/admin/users/new?lang=en", data=form)
    assert resp.status_code == 400
    assert message in page(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_admin_changes_roles_and_disables_and_unlocks(client, login, make_user):
    login("admin")
    other = make_user("staff")
    assert client.post(f"/admin/users/{other.id}/roles", data={"roles": ["finance"]}).status_code == 302
    db.session.refresh(other)
    assert other.role_names == {"finance"}
    assert client.post(f"/admin/users/{other.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(other)
    assert other.active is False
    other.active, other.locked_until, other.failed_logins = True, utcnow() + LOCKOUT, 0
    db.session.commit()
    assert "Unlock" in page(client.get("/admin/users?lang=en"))
    client.post(f"/admin/users/{other.id}/active", data={"active": "1"})
    db.session.refresh(other)
    assert (other.active, other.locked_until) == (True, None)


def test_admin_cannot_lock_themselves_out(client, login):
    admin = login("admin")
    resp = client.post(f"/admin/users/{admin.id}/roles?lang=en", data={"roles": ["staff"]})
    assert resp.status_code == 400
    assert "You cannot disable your own account or remove your own administrator role." in page(resp)
    resp = client.post(f"/admin/users/{admin.id}/active?lang=en", data={"active": "0"})
    assert resp.status_code == 400
    db.session.refresh(admin)
    assert admin.active and admin.role_names == {"admin"}


def test_admin_pages_need_the_admin_role(client, login):
    login("finance")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/1/active", data={"active": "0"}).status_code == 403
    assert client.post("/admin/users/987654/roles", data={"roles": ["staff"]}).status_code == 403


def test_unknown_account_is_a_404_for_the_admin(client, login):
    login("admin")
    assert client.post("/admin/users/987654/roles", data={"roles": ["staff"]}).status_code == 404
    assert client.post("/admin/users/987654/active", data={"active": "1"}).status_code == 404
