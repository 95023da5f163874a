"""Users, roles, password hashing and the login lock-out."""
import hashlib
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import access
from core.access import ADMIN, ROLES
from core.extensions import db, login_manager

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class AuthError(Exception):
    """A login that must be refused; ``message`` is safe to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased; the login name.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: Consecutive failed logins; reset by a successful one.
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: While in the future, even the right password is refused.
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roles: Mapped[list["UserRole"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_names(self) -> frozenset:
        return frozenset(r.role for r in self.roles)

    def has_any_role(self, roles) -> bool:
        return bool(self.role_names & set(roles))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")


class LoginThrottle(db.Model):
    """Failed logins for an email that has no active account.

    Counted like a real account's, so that an unknown email is locked out after the same
    number of failures, with the same message: the lock-out cannot tell an attacker which
    accounts exist.
    """

    __tablename__ = "login_throttles"

    #: sha256 (hex) of the lower-cased email: what people type there (sometimes a password)
    #: is not kept.
    email_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: Consecutive failures since the last lock-out (as ``User.failed_logins``).
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: While in the future, every attempt with this email gets the lock-out message.
    locked_until: Mapped[datetime | None]


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (
        sa.CheckConstraint(sa.column("role").in_(ROLES), name="known_role"),
    )

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


MIN_PASSWORD_LENGTH = 10


class DuplicateEmail(ValueError):
    """Another account already has this email."""


class SelfLockout(ValueError):
    """An admin tried to disable their own account or drop their own admin role."""


def create_user(email: str, password: str, roles, display_name: str = "") -> User:
    """Add a user with ``roles``; the caller commits. Raises ValueError on bad input."""
    email = (email or "").strip().lower()
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    if not roles:
        raise ValueError("at least one role is needed")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(sa.select(User.id).filter_by(email=email)) is not None:
        raise DuplicateEmail(f"a user with the email {email} already exists")
    user = User(email=email, display_name=display_name or email.split("@")[0])
    user.set_password(password)
    user.roles = [UserRole(role=r) for r in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    return user


def set_user_roles(user: User, roles, acting: User) -> None:
    """Replace ``user``'s roles; an admin cannot take away their own admin role."""
    roles = set(roles)
    if not roles or roles - set(ROLES):
        raise ValueError(f"bad roles: {sorted(roles)}")
    if user.id == acting.id and ADMIN not in roles:
        raise SelfLockout("an admin cannot drop their own admin role")
    keep = [r for r in user.roles if r.role in roles]
    user.roles = keep + [UserRole(role=r) for r in sorted(roles - user.role_names)]
    db.session.flush()


def set_user_active(user: User, active: bool, acting: User) -> None:
    """Enable or disable ``user``; enabling also lifts a lock-out. Not on oneself."""
    if user.id == acting.id and not active:
        raise SelfLockout("an admin cannot disable their own account")
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    db.session.flush()


def authenticate(email: str, password: str, now: datetime | None = None) -> User:
    """Return the user or raise :class:`AuthError`; counts failures and locks out.

    The message never says whether the email is known.
    """
    now = now or utcnow()
    email = (email or "").strip().lower()
    user = db.session.scalar(sa.select(User).filter_by(email=email))
    if user is None or not user.active:
        # Spend the same time as a real check so that timing does not reveal the account,
        # and count the failure the same way (see LoginThrottle).
        check_password_hash(_DUMMY_HASH, password or "")
        throttle = _throttle(email)
        _refuse_if_locked(throttle, now)
        _count_failure(throttle, now)
    _refuse_if_locked(user, now)
    if not check_password_hash(user.password_hash, password or ""):
        _count_failure(user, now)
    user.failed_logins, user.locked_until = 0, None
    return user


WRONG_MESSAGE = _l("Wrong email or password.")
LOCKED_MESSAGE = _l("Too many failed logins. Try again in 15 minutes.")


def _throttle(email: str) -> LoginThrottle:
    """The email's throttle row, made if missing (INSERT … ON CONFLICT DO NOTHING, so that two
    failed logins at once cannot collide on the primary key)."""
    key = hashlib.sha256(email.encode()).hexdigest()
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(LoginThrottle).values(email_hash=key, failed_logins=0)
                       .on_conflict_do_nothing())
    return db.session.get(LoginThrottle, key, populate_existing=True, with_for_update=True)


def _refuse_if_locked(record, now: datetime) -> None:
    if record.locked_until and record.locked_until > now:
        raise AuthError(LOCKED_MESSAGE)


def _count_failure(record, now: datetime):
    """Refuse a failed attempt on ``record`` (a User or a LoginThrottle), locking it on the
    last one allowed."""
    record.failed_logins += 1
    if record.failed_logins >= MAX_FAILED_LOGINS:
        record.locked_until, record.failed_logins = now + LOCKOUT, 0
    raise AuthError(WRONG_MESSAGE)


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def configure_login(app) -> None:
    """Sessions for staff accounts, and the app-wide route guard that relies on them."""
    login_manager.init_app(app)
    access.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = _l("Please log in to see this page.")

    @login_manager.user_loader
    def load_user(user_id: str):
        # A disabled account loses its open sessions at once, not when they expire.
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None
