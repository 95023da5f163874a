"""Imports only go down (finance → donate → campaigns → ledger → core); the ledger's engine loads no
Flask; importing the code touches no database."""
import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Each package, and the packages above it that it must never import.
LAYERS = {
    "core": {"ledger", "campaigns", "donate", "finance"},
    "ledger": {"campaigns", "donate", "finance"},
    "campaigns": {"donate", "finance"},
    "donate": {"finance"},
    "finance": set(),
}
ENGINE = ("ledger.money", "ledger.models", "ledger.posting", "ledger.balances",
          "ledger.reports", "ledger.verify", "ledger.export", "ledger.statements", "ledger.periods")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path):
    """Every module ``path`` imports (top-level or inside functions), absolute names."""
    tree = ast.parse(path.read_text(), str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield node.lineno, ".".join(base + ([node.module] if node.module else []))
            else:
                yield node.lineno, node.module


def upward_imports(package: str, forbidden: set) -> list:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for lineno, name in imported_names(path):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_no_upward_imports(package):
    assert upward_imports(package, LAYERS[package]) == []


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "core"
    fake.mkdir()
    (fake / "bad.py").write_text("def f():\n    from donate.models import Donation\n")
    (fake / "rel.py").write_text("from . import model\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert upward_imports("core", LAYERS["core"]) == ["core/bad.py:2 imports donate.models"]
    assert [n for _l, n in imported_names(fake / "rel.py")] == ["core"]


def _run_python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_ledger_engine_loads_no_flask():
    present = [m for m in ENGINE if importlib.util.find_spec(m) is not None]
    code = (
        "import importlib, json, sys\n"
        f"for name in {present!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0].lower().startswith('flask'))))\n"
    )
    assert _run_python(code) == []


def test_core_model_loads_no_flask():
    code = ("import json, sys, core.model\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('flask'))))\n")
    assert _run_python(code) == []


def test_importing_every_module_touches_no_database():
    # Any connection attempt at import time fails loudly; engines may not even be created.
    code = """
import importlib, json, pkgutil, sqlite3, sys
import sqlalchemy

def refuse(*args, **kwargs):
    raise RuntimeError("database touched at import time")

sqlite3.connect = refuse
sqlalchemy.create_engine = refuse
sqlalchemy.engine.create_engine = refuse
try:
    import psycopg
    psycopg.connect = refuse
    psycopg.Connection.connect = classmethod(refuse)
except ImportError:
    pass
names = ["wsgi"]
for package in ("core", "ledger", "campaigns", "donate", "finance"):
    module = importlib.import_module(package)
    names += [m.name for m in pkgutil.walk_packages(module.__path__, package + ".")]
for name in names:
    importlib.import_module(name)
print(json.dumps(names))
"""
    before = sorted(p.name for p in (ROOT / "instance").glob("*")) if (ROOT / "instance").exists() else []
    names = _run_python(code)
    assert "wsgi" in names and "core.auth" in names
    after = sorted(p.name for p in (ROOT / "instance").glob("*")) if (ROOT / "instance").exists() else []
    assert after == before
