"""The README's quick start, as a newcomer follows it (issue #11): ``make run`` migrates a
database, seeds the demo office and starts localstripe and the app (tools/run_local.py); the
printed address opens in a browser, a test gift is paid with 4242 4242 4242 4242, and Ctrl-C
stops both servers.

It runs make as CI leaves the checkout after ``make setup``: the venv and the compiled catalogs
are taken as they are (``-o``), since rebuilding them here would rewrite files that other tests
running at the same time read. The ports, the database and localstripe's store are its own
(``WANJIA_PORT``, ``LOCALSTRIPE_PORT``, ``DATABASE_URL``, ``LOCALSTRIPE_STORE``)."""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.browser_support import ROOT, pay_by_card
from tools.localstripe_server import free_port

#: Seconds for ``make run`` to migrate, seed and start both servers on a busy machine.
START_TIMEOUT = 150


def address_in(log: Path, proc, timeout: float) -> str:
    """The address ``make run`` prints in ``log`` ("Wanjia is running at …")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"^Wanjia is running at (\S+?)/?$", log.read_text(errors="replace"), re.M)
        if found:
            return found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
    pytest.fail(f"make run printed no address:\n{tail}", pytrace=False)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class MakeRun:
    """``make run`` in its own process group, as a terminal runs it."""

    def __init__(self, tmp_path: Path):
        self.ports = {"WANJIA_PORT": free_port(), "LOCALSTRIPE_PORT": free_port()}
        env = {**os.environ, **{k: str(v) for k, v in self.ports.items()},
               "DATABASE_URL": f"sqlite:///{tmp_path / 'wanjia.sqlite3'}", "PYTHONUNBUFFERED": "1",
               "LOCALSTRIPE_STORE": str(tmp_path / "localstripe.pickle")}
        # Output to a file, not a pipe: a pipe nobody reads would block the servers' logging.
        self.log = tmp_path / "make-run.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                ["make", "-o", ".venv/.installed-stamp", "-o", "translations", "run"], cwd=ROOT,
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = None

    def wait_for_address(self) -> None:
        self.url = address_in(self.log, self.proc, START_TIMEOUT)

    def stop(self) -> int:
        """Ctrl-C (SIGINT to the whole group, as the terminal sends it); make's exit code."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=30)


@pytest.fixture
def make_run(tmp_path):
    running = MakeRun(tmp_path)
    try:
        running.wait_for_address()
        yield running
    finally:
        running.stop()


def test_a_newcomer_gives_after_make_run(make_run, new_page, shot):
    assert make_run.url == f"http://127.0.0.1:{make_run.ports['WANJIA_PORT']}"
    page = new_page()
    page.goto(make_run.url)
    shot(page, "home")
    page.click("a[href='/c/wanren-juan']")
    page.click("#donate")
    page.check("input[name=preset][value='5000']")
    page.check("input[name=designation] >> nth=0")
    page.click("form.donate-form button[type=submit]")
    pay_by_card(page)
    page.wait_for_url("**/thanks", timeout=20_000)
    shot(page, "thanks")
    assert page.get_attribute("#donation-status", "data-status") == "succeeded"
    assert page.inner_text("#donation-amount") == "¥50.00"

    make_run.stop()
    assert not any(port_open(port) for port in make_run.ports.values())
