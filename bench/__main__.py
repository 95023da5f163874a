"""``python -m bench``: run every benchmark module, print its table, write the JSON.

Options are passed to every module (each gets the ones its ``run`` takes) (``--postings 2000
--gifts 500 --engine sqlite`` for a quick look; ``--only ledger`` runs one module); the results
go to ``bench/results/latest.json`` (or ``--json PATH``).
"""
import argparse
import importlib
import inspect
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


def _options_for(run, args: dict) -> dict:
    """The options ``run`` takes (all of them if it takes ``**options``)."""
    params = inspect.signature(run).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return {k: v for k, v in args.items() if k != "json"}
    return {k: v for k, v in args.items() if k in params}


def main(argv=None) -> int:
    modules = benchmark_modules()
    # Options are shared: a module may define one another module also has (``--engine``);
    # the last definition stands, so they must agree on its meaning.
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0],
                                     conflict_handler="resolve")
    parser.add_argument("--json", default=str(HERE / "results" / "latest.json"))
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these modules (giving_day, ledger, schema_floor)")
    for module in modules:
        if hasattr(module, "add_arguments"):
            module.add_arguments(parser.add_argument_group(module.__name__))
    args = vars(parser.parse_args(argv))
    only = args.pop("only")
    if only:
        modules = [m for m in modules if m.__name__.rpartition(".")[2] in only]
    out = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "python": platform.python_version(), "machine": platform.machine(),
           "benchmarks": {}}
    for module in modules:
        name = module.__name__.rpartition(".")[2]
        start = time.perf_counter()
        result = module.run(**_options_for(module.run, args))
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
