"""``flask --app wsgi payments …`` and ``outbox …``"""


def register_donate_cli(app) -> None:
    """Add the payments and outbox command groups to ``app``."""
