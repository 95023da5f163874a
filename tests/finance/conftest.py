"""Fixtures shared by the finance office's tests."""
import pytest
from flask_babel import force_locale


@pytest.fixture
def english(app):
    """Service messages in English, for tests that match refusals by their English text
    (the default locale, Chinese, is what finance officers see)."""
    with force_locale("en"):
        yield
