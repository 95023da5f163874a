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


def run_machine(machine, ci_examples: int, steps: int) -> None:
    """Run the hypothesis state machine class ``machine`` with ``examples(ci_examples)``
    examples of ``steps`` steps (no deadline, no example database, no health checks)."""
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(machine, settings=settings(
        max_examples=examples(ci_examples), stateful_step_count=steps, deadline=None,
        database=None, suppress_health_check=list(HealthCheck)))
