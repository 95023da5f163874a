"""How hard the trust tests push: small in CI, large under ``make soak``.

``HYPOTHESIS_PROFILE=soak`` (set by ``make soak``) multiplies every example count by
``SOAK_FACTOR``; the bank test reads its own ``WANJIA_BANK_OPS``.
"""
import os

SOAK_FACTOR = 20


def soaking() -> bool:
    return os.environ.get("HYPOTHESIS_PROFILE") == "soak"


def examples(ci: int) -> int:
    """``ci`` examples in CI, ``SOAK_FACTOR`` times more when soaking."""
    return ci * SOAK_FACTOR if soaking() else ci
