"""The gaming-defence (刷单) thresholds, read from the app's config with safe defaults.

=====================================  =======  ==================================================
setting (environment name)             default  meaning
=====================================  =======  ==================================================
``MATCHING_BURST_GIFTS``               5        N gifts from one donor fingerprint …
``MATCHING_BURST_MINUTES``             10       … within M minutes hold the Nth match (and later)
``MATCHING_NEAR_MIN_GIFTS``            20       K gifts (any donor) within M minutes whose amount
``MATCHING_NEAR_MIN_PCT``              10       is at most X% above the pledge's minimum hold the
                                                Kth match (and later)
=====================================  =======  ==================================================

A threshold of 0 switches its rule off. Outside an app (a script driving the services alone)
the defaults apply.
"""
from dataclasses import dataclass

from flask import current_app, has_app_context

DEFAULTS = {
    "MATCHING_BURST_GIFTS": 5,
    "MATCHING_BURST_MINUTES": 10,
    "MATCHING_NEAR_MIN_GIFTS": 20,
    "MATCHING_NEAR_MIN_PCT": 10,
}


@dataclass(frozen=True)
class GamingRules:
    burst_gifts: int
    minutes: int
    near_min_gifts: int
    near_min_pct: int


def gaming_rules() -> GamingRules:
    """The thresholds in force (app config over :data:`DEFAULTS`)."""
    cfg = current_app.config if has_app_context() else {}

    def get(name: str) -> int:
        return int(cfg.get(name, DEFAULTS[name]))

    return GamingRules(get("MATCHING_BURST_GIFTS"), get("MATCHING_BURST_MINUTES"),
                       get("MATCHING_NEAR_MIN_GIFTS"), get("MATCHING_NEAR_MIN_PCT"))
