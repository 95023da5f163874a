"""The benchmark's WSGI entry: the real app (``wsgi.create_app``) plus two bare routes that are
the floor the giving-day figures are compared with, served by the same gunicorn workers:

- ``GET /_bench/hello``: a plain-text page, no database;
- ``POST /_bench/write``: stores the request body as one row and commits.

    gunicorn 'bench.floor_wsgi:create_app()'

Only the benchmark starts it; production serves ``wsgi:create_app()``, which never has these
routes. Its table lives in its own metadata, so no migration ever sees it; the benchmark's
setup creates it (``bench.giving_setup``).
"""
import sqlalchemy as sa
from flask import Blueprint, request

from core.access import PUBLIC, guard_blueprint

floor_metadata = sa.MetaData()
floor_rows = sa.Table(
    "bench_floor_rows", floor_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)

bp = Blueprint("bench_floor", __name__, url_prefix="/_bench")
guard_blueprint(bp, PUBLIC)


@bp.route("/hello")
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/write", methods=["POST"])
def write():
    from core.extensions import db

    db.session.execute(floor_rows.insert().values(body=request.get_data(as_text=True)))
    db.session.commit()
    return {"written": True}


def create_app(config: dict | None = None):
    """The real app with the two floor routes (CSRF-exempt, like the Stripe webhook)."""
    from core.extensions import csrf
    from wsgi import create_app as create_real_app

    app = create_real_app(config)
    app.register_blueprint(bp)
    csrf.exempt(write)
    return app
