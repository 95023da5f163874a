"""``python -m bench``: run every benchmark module, print its table, write the JSON.

Options are passed to every module (each reads the ones it knows) (``--postings 2000 --engine sqlite``
for a quick look); the results go to ``bench/results/latest.json`` (or ``--json PATH``).
"""
import argparse
import importlib
import json
import pkgutil
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmark_modules() -> list:
    """Every ``bench.<name>`` with a ``run`` function, in name order."""
    found = []
    for info in sorted(pkgutil.iter_modules([str(HERE)]), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found.append(module)
    return found


def main(argv=None) -> int:
    modules = benchmark_modules()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"))
    # Options are shared: a module adds its own only if no earlier module added them
    # (bench.ledger defines --postings and friends; the others read what they need).
    for module in modules:
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser.add_argument_group(module.__name__))
    args = vars(parser.parse_args(argv))
    out = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "python": platform.python_version(), "machine": platform.machine(),
           "benchmarks": {}}
    for module in modules:
        name = module.__name__.rpartition(".")[2]
        start = time.perf_counter()
        result = module.run(**{k: v for k, v in args.items() if k != "json"})
        result["wall_s"] = round(time.perf_counter() - start, 1)
        out["benchmarks"][name] = result
        print(module.table(result), flush=True)
    path = Path(args["json"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
