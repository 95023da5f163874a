"""The giving-day benchmark's targets (issue #9) and its table: every figure beside its floor
from the same run and the ratio, and beside its target with met / not met."""

#: (key, what, op, bound): checked per engine on the figures of ``run_engine``.
TARGETS = (
    ("gifts_per_s", "webhook → ledger, gifts/s", ">=", 500),
    ("webhook_p99_ms", "webhook p99, ms", "<", 250),
    ("campaign_vs_floor", "campaign page rps / hello floor rps", ">=", 0.5),
    ("campaign_p99_ms", "campaign page p99 during the peak, ms", "<", 100),
    ("books_ok", "every gift booked once, pool spent, verify clean", "==", True),
)


def _ratio(value, floor):
    return round(value / floor, 3) if value and floor else None


def engine_figures(run: dict) -> dict:
    """The figures the targets look at, flattened from one engine's result."""
    peak, readers = run["peak"], run["peak"].get("readers", {})
    campaign, hello = readers.get("campaign_page", {}), readers.get("hello_floor", {})
    return {"gifts_per_s": peak["gifts_per_s"], "webhook_p99_ms": peak["webhook"]["p99_ms"],
            "campaign_vs_floor": _ratio(campaign.get("rps"), hello.get("rps")),
            "campaign_p99_ms": campaign.get("p99_ms"), "books_ok": run["books"]["ok"]}


def _met(value, op: str, bound) -> bool:
    if value is None:
        return False
    return {">=": value >= bound, "<": value < bound, "==": value == bound}[op]


def check_targets(result: dict) -> dict:
    checks = {}
    for name, run in result["engines"].items():
        if "skipped" in run:
            continue
        values = engine_figures(run)
        for key, _what, op, bound in TARGETS:
            checks[f"{name}.{key}"] = {"value": values[key], "target": f"{op} {bound}",
                                       "ok": _met(values[key], op, bound)}
    scaling = result.get("scaling") or {}
    if len(scaling) == 2 and "skipped" not in scaling:
        one, two = (scaling[k]["gifts_per_s"] for k in sorted(scaling))
        checks["postgresql.second_worker_gain"] = {"value": _ratio(two, one), "target": "> 1",
                                                   "ok": bool(one and two > one)}
    return checks


# -- the table -------------------------------------------------------------------------------

def _row(label, value, floor=None, target=None) -> str:
    ratio = _ratio(value, floor) if isinstance(value, (int, float)) and floor else None
    met = "" if target is None else ("met" if target["ok"] else "NOT MET")
    cells = [label, _cell(value), _cell(floor), _cell(ratio),
             target["target"] if target else "", met]
    return f"  {cells[0]:<44}{cells[1]:>11}{cells[2]:>11}{cells[3]:>8}  {cells[4]:<9}{cells[5]}"


def _cell(value) -> str:
    return "" if value is None else str(value)


def _engine_rows(name: str, run: dict, targets: dict) -> list[str]:
    peak, hello, write = run["peak"], run["floor_hello"], run["floor_write"]
    web, readers = peak["webhook"], peak.get("readers", {})
    t = {key: targets.get(f"{name}.{key}") for key, *_ in TARGETS}
    lines = [_row("webhook → ledger, gifts/s (end to end)", peak["gifts_per_s"], write["rps"],
                  t["gifts_per_s"])]
    for q in ("p50", "p95", "p99"):
        lines.append(_row(f"webhook {q}, ms", web[f"{q}_ms"], write[f"{q}_ms"],
                          t["webhook_p99_ms"] if q == "p99" else None))
    lines.append(_row("webhook deliveries retried / lost", f"{peak['retries']}/{peak['lost']}"))
    lines.append(_row("failed requests during the peak (any page)", sum(peak["errors"].values())))
    lines.append(_row("server CPU per gift, ms (readers included)", peak["server_cpu_ms_per_gift"]))
    lines.append(_row("database CPU per gift, ms (readers included)", peak["database_cpu_ms_per_gift"]))
    lines.append(_row("load generator CPU, s", peak["generator_cpu_s"]))
    lines.append(_row("bare hello page alone, rps", hello["rps"]))
    floor = readers.get("hello_floor", {})
    for key, label in (("campaign_page", "campaign page"), ("home_page", "home page"),
                       ("progress_json", "progress JSON")):
        page = readers.get(key, {})
        lines.append(_row(f"{label} during the peak, rps", page.get("rps"), floor.get("rps"),
                          t["campaign_vs_floor"] if key == "campaign_page" else None))
        lines.append(_row(f"{label} during the peak, p99 ms", page.get("p99_ms"), floor.get("p99_ms"),
                          t["campaign_p99_ms"] if key == "campaign_page" else None))
    return lines


def _books_rows(name: str, books: dict, targets: dict) -> list[str]:
    return [_row("succeeded / gift entries / events booked",
                 f"{books['succeeded']}/{books['gift_entries']}/{books['events_booked']}", books["gifts"]),
            _row("duplicate idempotency keys", books["duplicate_keys"]),
            _row("pool spent / matched, fen", f"{books['pool_spent_fen']}/{books['matched_fen']}",
                 books["pool_fen"]),
            _row("ledger verify problems", books["verify_problems"]),
            _row("receipt numbers gapless", books["receipts_gapless"]),
            _row("all of the above", books["ok"], None, targets.get(f"{name}.books_ok"))]


def _profile_rows(profile: dict) -> list[str]:
    """``tools.profile_gift``'s phases: the first gift alone, then per gift in one batch."""
    lines = [f"  one gift in-process, ms (alone, {profile['statements_single']} SQL statements | "
             f"per gift in a batch of {profile['gifts'] - 1}, "
             f"{profile['statements_per_gift_in_batch']} statements each)"]
    for phase in dict.fromkeys([*profile["single"], *profile["batch"]]):
        lines.append(f"    {phase:<40}{profile['single'].get(phase, 0):>11}"
                     f"{profile['batch'].get(phase, 0):>11}")
    return lines


def _scaling_rows(scaling: dict, targets: dict) -> list[str]:
    if "skipped" in scaling:
        return [f"  scaling: skipped ({scaling['skipped']})"]
    lines = ["workers on PostgreSQL (webhooks alone)"]
    base = scaling.get("1", {}).get("gifts_per_s")
    for workers, run in sorted(scaling.items()):
        target = targets.get("postgresql.second_worker_gain") if workers != "1" else None
        lines.append(_row(f"{workers} worker(s), gifts/s (p99 {run['webhook']['p99_ms']} ms)",
                          run["gifts_per_s"], base if workers != "1" else None, target))
        lines.append(_row(f"{workers} worker(s), CPU ms per gift: app / database",
                          f"{run['server_cpu_ms_per_gift']}/{run['database_cpu_ms_per_gift']}"))
    return lines


def table(result: dict) -> str:
    opts = result["options"]
    lines = [f"giving day: {opts['gifts']} gifts, {opts['concurrency']} senders, {opts['readers']} "
             f"readers per page, {opts['workers']} × gunicorn {opts['worker_class']} "
             f"(threads {opts['threads']})"
             + (f"; pages on their own {opts['page_workers']} worker(s)" if opts.get("page_workers") else ""),
             f"  {'measure':<44}{'value':>11}{'floor':>11}{'ratio':>8}  {'target':<9}met"]
    for name, run in result["engines"].items():
        if "skipped" in run:
            lines.append(f"{name}: skipped ({run['skipped']})")
            continue
        lines.append(name)
        lines += _engine_rows(name, run, result["targets"])
        lines += _books_rows(name, run["books"], result["targets"])
        if run.get("profile"):
            lines += _profile_rows(run["profile"])
        lines.append("  wall s by stage: " + ", ".join(f"{k} {v}" for k, v in run["stages_s"].items()))
    if result.get("scaling"):
        lines += _scaling_rows(result["scaling"], result["targets"])
    return "\n".join(lines)
