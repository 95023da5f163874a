"""Reading the finance pages in tests: a table row's text, tags stripped."""
import csv
import io
import re

_TAG = re.compile(r"<[^>]+>")


def text(html: str) -> str:
    return " ".join(_TAG.sub(" ", html).replace("&nbsp;", " ").split())


def row(html: str, attr: str, value: str) -> str:
    """The text of the ``<tr data-attr="value">`` row; AssertionError when there is none."""
    found = re.search(rf'<tr[^>]*data-{attr}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row with data-{attr}={value!r}"
    return text(found.group(1))


def cell(html: str, marker: str) -> str:
    """The text of the element carrying the bare attribute ``marker`` (e.g. data-total-debit)."""
    found = re.search(rf"<(\w+)[^>]*\b{marker}\b[^>]*>(.*?)</\1>", html, re.S)
    assert found, f"no element marked {marker}"
    return text(found.group(2))


def csv_rows(resp) -> list[list[str]]:
    """Check the download is UTF-8 CSV with a byte-order mark, and return its rows."""
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
