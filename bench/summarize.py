#!/usr/bin/env python3
"""Turn the raw runs recorded by bench/compare.sh into a Markdown report.

Usage: summarize.py RUN_DIR [--out FILE] [--json FILE]

RUN_DIR holds meta.tsv (key<TAB>value), runs.tsv (id, rep, scenario, tool,
label, command) and runs/<id>/ with measure.json (from benchutil.py measure,
with the stall's times when nginx was stalled), stdout.txt, stderr.txt, for
pacer-http summary.json and, with ACCESS_LOG=1, pacing.json (from benchutil.py
pacing). wrk and h2load results are parsed from their stdout.

The report goes to stdout and, with --out, to FILE. Exit status is 1 when a
recorded run failed (non-zero exit, timeout, or no completed requests).
Standard library only.
"""

import argparse
import json
import os
import re
import statistics
import sys

SCENARIO_ORDER = ["closed-http", "closed-https", "open-http", "open-https"]
SCENARIOS_OPEN = [s for s in SCENARIO_ORDER if s.startswith("open-")]
TOOL_ORDER = ["wrk", "h2load", "pacer", "pacer-flow", "pacer-slack"]
# The pacer-slack name gets the slack of the run (meta pacer_open_slack) in main().
TOOL_NAMES = {"wrk": "wrk", "h2load": "h2load", "pacer": "pacer-http",
              "pacer-flow": "pacer-http --as-flow",
              "pacer-slack": "pacer-http (slack, 1 shard)"}


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def read_json(path):
    text = read_text(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def to_ms(value, unit):
    scale = {"ns": 0.000001, "us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
    return float(value) * scale[unit]


def parse_wrk(stdout):
    """Requests, rate, latency percentiles and errors from wrk --latency output."""
    out = {}
    if not stdout:
        return out
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", stdout, re.M)
    if m:
        out["requests"] = int(m.group(1))
        out["elapsed_s"] = to_ms(m.group(2), m.group(3)) / 1000.0
    m = re.search(r"^Requests/sec:\s*([\d.]+)", stdout, re.M)
    if m:
        out["rate"] = float(m.group(1))
    for pct, key in (("50", "lat_p50"), ("99", "lat_p99")):
        m = re.search(r"^\s*" + pct + r"%\s+([\d.]+)(us|ms|s|m|h)\s*$", stdout, re.M)
        if m:
            out[key] = to_ms(m.group(1), m.group(2))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                  stdout)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", stdout)
    if m:
        errors += int(m.group(1))
    out["errors"] = errors
    return out


def parse_h2load(stdout):
    """Requests, rate, mean latency and errors from h2load's end-of-run report.

    h2load prints no percentiles, only min / max / mean / sd of the request
    time; the mean is kept as lat_mean. Its "failed" count already includes
    "errored", which includes "timeout" (see h2load(1), OUTPUT), so errors =
    failed; errored and timeout are kept separately for the JSON.
    """
    out = {}
    if not stdout:
        return out
    m = re.search(r"^finished in ([\d.]+)(ns|us|ms|s), ([\d.]+) req/s", stdout, re.M)
    if m:
        out["elapsed_s"] = to_ms(m.group(1), m.group(2)) / 1000.0
        out["rate"] = float(m.group(3))
    m = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", stdout, re.M)
    if m:
        total, started, done, ok, failed, errored, timeout = (int(x) for x in m.groups())
        out["requests"] = ok
        out["errors"] = failed
        out["h2load_done"] = done
        out["h2load_errored"] = errored
        out["h2load_timeout"] = timeout
    dur = r"([\d.]+)(ns|us|ms|s)"
    m = re.search(r"^time for request:\s+" + r"\s+".join([dur] * 4), stdout, re.M)
    if m:
        g = m.groups()
        out["lat_min"] = to_ms(g[0], g[1])
        out["lat_max"] = to_ms(g[2], g[3])
        out["lat_mean"] = to_ms(g[4], g[5])
        out["lat_sd"] = to_ms(g[6], g[7])
    return out


def metric_values(summary, name):
    try:
        values = summary["metrics"][name]["values"]
    except (KeyError, TypeError):
        return None
    return values if isinstance(values, dict) else None


def parse_pacer(summary):
    out = {}
    if not isinstance(summary, dict):
        return out
    v = metric_values(summary, "http_reqs")
    if v and "count" in v:
        out["requests"] = int(v["count"])
        if "rate" in v:
            out["rate"] = float(v["rate"])
    v = metric_values(summary, "http_req_duration")
    if v:
        out["lat_p50"] = v.get("med")
        out["lat_p99"] = v.get("p(99)")
    v = metric_values(summary, "iteration_schedule_lag")
    if v:
        out["lag_p50"] = v.get("med")
        out["lag_p99"] = v.get("p(99)")
    v = metric_values(summary, "dropped_iterations")
    out["dropped"] = int(v.get("count", 0)) if v else 0
    by_code = (summary.get("pacer") or {}).get("failed_requests_by_error_code")
    if isinstance(by_code, dict):
        out["errors"] = sum(int(n) for n in by_code.values())
    else:
        v = metric_values(summary, "http_req_failed")
        # k6's http_req_failed is a rate metric: "passes" counts failed requests.
        out["errors"] = int(v.get("passes", 0)) if v else 0
    return out


def load_runs(run_dir):
    runs = []
    text = read_text(os.path.join(run_dir, "runs.tsv")) or ""
    for line in text.splitlines():
        if not line.strip():
            continue
        rid, rep, scenario, tool, label, command = line.split("\t", 5)
        d = os.path.join(run_dir, "runs", rid)
        meas = read_json(os.path.join(d, "measure.json")) or {}
        run = {
            "id": rid, "rep": int(rep), "scenario": scenario, "tool": tool,
            "label": label, "command": command,
            "rc": meas.get("rc"), "timed_out": meas.get("timed_out", False),
            "user_s": meas.get("user_s"), "sys_s": meas.get("sys_s"),
            "maxrss_kb": meas.get("maxrss_kb"), "wall_s": meas.get("wall_s"),
            "server_cpu_s": meas.get("server_cpu_s"),
        }
        if tool == "wrk":
            run.update(parse_wrk(read_text(os.path.join(d, "stdout.txt"))))
        elif tool == "h2load":
            run.update(parse_h2load(read_text(os.path.join(d, "stdout.txt"))))
        else:
            summary = read_json(os.path.join(d, "summary.json"))
            run["has_summary"] = summary is not None
            run.update(parse_pacer(summary))
        run["stall"] = meas.get("stall")
        pacing = read_json(os.path.join(d, "pacing.json"))
        if pacing:
            run["has_pacing"] = True
            run["srv_requests"] = pacing.get("requests")
            run["srv_rate"] = pacing.get("achieved_rate")
            run["worst_window_pct"] = pacing.get("worst_window_pct")
            run["worst_window_index"] = pacing.get("worst_window_index")
            run["busiest_ms"] = pacing.get("busiest_ms")
            run["per_ms_cv"] = pacing.get("per_ms_cv")
            run["per_second"] = pacing.get("per_second")
            run["partial_second"] = pacing.get("partial_second")
            run["first_msec"] = pacing.get("first_msec")
        cpu = None
        if run["user_s"] is not None and run["sys_s"] is not None:
            cpu = run["user_s"] + run["sys_s"]
        run["cpu_s"] = cpu
        req = run.get("requests")
        run["cpu_us_per_req"] = cpu * 1e6 / req if cpu is not None and req else None
        scpu = run["server_cpu_s"]
        run["server_us_per_req"] = scpu * 1e6 / req if scpu is not None and req else None
        run["ok"] = (run["rc"] == 0 and not run["timed_out"] and bool(req))
        if run["ok"]:
            run["status"] = "ok"
        elif run["rc"] is None:
            run["status"] = "not run"
        elif run["timed_out"]:
            run["status"] = f"timeout (rc={run['rc']})"
        elif run["rc"] != 0:
            run["status"] = f"rc={run['rc']}"
        elif run["tool"].startswith("pacer") and not run.get("has_summary"):
            run["status"] = "no summary JSON"
        elif run["tool"] == "h2load" and req is None:
            run["status"] = "no h2load report"
        else:
            run["status"] = "no requests"
        runs.append(run)
    return runs


def fmt(x, digits=2):
    if x is None:
        return "–"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def fmt_pair(a, b, digits=3):
    if a is None and b is None:
        return "–"
    return f"{fmt(a, digits)} / {fmt(b, digits)}"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_latency(d, digits=3):
    """The latency cell: p50 / p99, or for h2load (no percentiles) its mean / –."""
    if d.get("lat_p50") is None and d.get("lat_mean") is not None:
        return f"{fmt(d['lat_mean'], digits)} (mean) / –"
    return fmt_pair(d.get("lat_p50"), d.get("lat_p99"), digits)


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt_count(x):
    """A count, or the median of counts (which may end in .5)."""
    if x is None:
        return "–"
    return str(int(x)) if x == int(x) else f"{x:.1f}"


def fmt_worst(d, with_index=False):
    v = d.get("worst_window_pct")
    if v is None:
        return "–"
    idx = d.get("worst_window_index")
    return f"{v:+.2f}" + (f" (#{idx})" if with_index and idx is not None else "")


def pacing_cells(d, open_scenario, with_index=False):
    """The server-side pacing cells; only open scenarios have a target rate to judge."""
    if not open_scenario:
        return "| – | – | – "
    return (f"| {fmt(d.get('srv_rate'), 0)} | {fmt_worst(d, with_index)} "
            f"| {fmt_count(d.get('busiest_ms'))} ")


def second_of(epoch, first_msec):
    """Index of the 1-second window (from the first logged request) holding epoch."""
    if epoch is None or first_msec is None:
        return None
    i = int((epoch * 1000 - first_msec) // 1000)
    return i if i >= 0 else None


def render_stall(add, meta, runs):
    """Per-second counts of the stalled runs: one table per repetition and scenario."""
    stalled = [r for r in runs if r.get("stall")]
    if not stalled:
        return
    add("## Stalled server: requests nginx completed in each second")
    add("")
    add(f"Stall: {meta.get('stall', '?')}.")
    add("")
    logged = [r for r in stalled if r.get("has_pacing")]
    if not logged:
        add("Run with `ACCESS_LOG=1` for the per-second counts; the dropped column "
            "of the tables above shows what pacer-http could not start.")
        add("")
        return
    add("Second 0 starts at the first request nginx logged in that run; a keeping-schedule "
        "generator shows the stall as dropped iterations and about `RATE` again once "
        "nginx resumes, a catching-up one shows a second well above `RATE` after the "
        "stall. `stop` / `cont`: the second in which the worker was stopped / resumed. "
        "`*`: the last, partial second.")
    add("")
    groups = []
    for r in logged:
        key = (r["rep"], r["scenario"])
        if key not in groups:
            groups.append(key)
    for rep, scen in groups:
        group = sorted((r for r in logged if (r["rep"], r["scenario"]) == (rep, scen)),
                       key=lambda r: TOOL_ORDER.index(r["tool"]))
        add(f"Rep {rep}, {group[0]['label']}:")
        add("")
        add("| second | " + " | ".join(TOOL_NAMES[r["tool"]] for r in group) + " |")
        add("|---|" + "---|" * len(group))
        cells = []
        for r in group:
            col = [str(c) for c in r.get("per_second") or []]
            part = r.get("partial_second") or {}
            if part.get("count"):
                col.append(f"{part['count']}* ({part.get('ms', '?')} ms)")
            st = r["stall"] or {}
            for key, word in (("stopped_epoch", "stop"), ("resumed_epoch", "cont")):
                i = second_of(st.get(key), r.get("first_msec"))
                if i is not None and i < len(col):
                    col[i] += f" {word}"
            cells.append(col)
        for i in range(max(len(c) for c in cells)):
            add(f"| {i} | " + " | ".join(c[i] if i < len(c) else "" for c in cells) + " |")
        add("| all (nginx) | " + " | ".join(fmt(r.get("srv_requests")) for r in group) + " |")
        add("| dropped | " + " | ".join(
            fmt(r.get("dropped"), 0) if r["tool"].startswith("pacer") else "–"
            for r in group) + " |")
        add("")


def code(cmd):
    return "`" + cmd.replace("|", "\\|").replace("`", "'") + "`"


def render(meta, runs, run_dir):
    lines = []
    add = lines.append
    add("# pacer-http vs wrk and h2load against a local nginx")
    add("")
    for key in ("date", "host", "cpu", "cores", "nginx", "wrk", "h2load", "openssl",
                "pacer_http", "reps", "duration", "conns", "rate", "h2load_conns",
                "http_url", "https_url", "pacer_open_slack", "pacer_open_preconnect", "access_log",
                "stall"):
        # Older run directories record access_log 0; off is the default, not worth a line.
        if key in meta and not (key == "access_log" and meta[key] == "0"):
            add(f"- **{key}**: {meta[key]}")
    add("")
    add("Figures depend on the machine and on what else runs on it: compare rows "
        "of one report only. CPU = user + system CPU time of the load generator "
        "process (wait4 rusage), divided by the requests it completed. Server CPU "
        "= CPU time of the nginx master and worker over the same run.")
    add("")
    if meta.get("pacer_note"):
        add(f"> **Note:** {meta['pacer_note']}")
        add("")
    if any(r.get("has_pacing") for r in runs):
        add("> **Note:** nginx wrote an access log in these runs (`ACCESS_LOG=1`), which "
            "costs it CPU: server CPU figures are not comparable with those of runs "
            "without it.")
        add("")
    # Server-side pacing columns: only when nginx logged an open scenario's requests.
    show_pacing = any(r.get("has_pacing") and r["scenario"] in SCENARIOS_OPEN for r in runs)
    pacing_head = "| server-side rate | worst 1-s window % | busiest ms " if show_pacing else ""
    pacing_rule = "---|---|---|" if show_pacing else ""

    present = [(s, t) for s in SCENARIO_ORDER for t in TOOL_ORDER
               if any(r["scenario"] == s and r["tool"] == t for r in runs)]

    add(f"## Medians over repetitions (successful runs only)")
    add("")
    if show_pacing:
        add("Server-side rate, worst 1-s window % and busiest ms: from nginx's access "
            "log, open scenarios only (see bench/README.md).")
        add("")
    add("| scenario | tool | ok runs | req/s | CPU µs/req | server CPU µs/req "
        "| peak RSS MiB | latency p50 / p99 ms | sched lag p50 / p99 ms | dropped | errors "
        + pacing_head + "|")
    add("|---|---|---|---|---|---|---|---|---|---|---|" + pacing_rule)
    medians = {}
    for s, t in present:
        group = [r for r in runs if r["scenario"] == s and r["tool"] == t]
        ok = [r for r in group if r["ok"]]
        m = {k: med([r.get(k) for r in ok]) for k in (
            "rate", "cpu_us_per_req", "server_us_per_req", "maxrss_kb", "lat_p50",
            "lat_p99", "lat_mean", "lag_p50", "lag_p99", "dropped", "errors",
            "srv_rate", "worst_window_pct", "busiest_ms")}
        medians[(s, t)] = m
        label = group[0]["label"]
        rss = m["maxrss_kb"] / 1024.0 if m["maxrss_kb"] is not None else None
        add(f"| {label} | {TOOL_NAMES[t]} | {len(ok)}/{len(group)} | {fmt(m['rate'], 0)} "
            f"| {fmt(m['cpu_us_per_req'])} | {fmt(m['server_us_per_req'])} | {fmt(rss, 1)} "
            f"| {fmt_latency(m)} | {fmt_pair(m['lag_p50'], m['lag_p99'])} "
            f"| {fmt(m['dropped'], 0)} | {fmt(m['errors'], 0)} "
            + (pacing_cells(m, s in SCENARIOS_OPEN) if show_pacing else "") + "|")
    add("")

    closed = [s for s in SCENARIO_ORDER if s.startswith("closed-")
              and (s, "wrk") in medians]
    if closed:
        add("## Closed loop: pacer-http / wrk (medians)")
        add("")
        # The flow columns only when a flow row ran (PACER_CLOSED_FLOW=1).
        flow = any((s, "pacer-flow") in medians for s in closed)
        add("| scenario | wrk CPU µs/req | pacer-http CPU µs/req | CPU/req ratio pacer/wrk "
            "| wrk req/s | pacer-http req/s | req/s ratio pacer/wrk "
            + ("| --as-flow CPU µs/req | CPU/req ratio flow/template " if flow else "") + "|")
        add("|---|---|---|---|---|---|---|" + ("---|---|" if flow else ""))
        for s in closed:
            w = medians[(s, "wrk")]
            p = medians.get((s, "pacer"), {})
            f = medians.get((s, "pacer-flow"), {})
            label = next(r["label"] for r in runs if r["scenario"] == s)
            add(f"| {label} | {fmt(w['cpu_us_per_req'])} | {fmt(p.get('cpu_us_per_req'))} "
                f"| {fmt(ratio(p.get('cpu_us_per_req'), w['cpu_us_per_req']))} "
                f"| {fmt(w['rate'], 0)} | {fmt(p.get('rate'), 0)} "
                f"| {fmt(ratio(p.get('rate'), w['rate']))} "
                + (f"| {fmt(f.get('cpu_us_per_req'))} "
                   f"| {fmt(ratio(f.get('cpu_us_per_req'), p.get('cpu_us_per_req')))} "
                   if flow else "")
                + "|")
        add("")

    open_ = [s for s in SCENARIOS_OPEN if (s, "h2load") in medians]
    if open_:
        # The slack columns only when a slack row ran (PACER_OPEN_SLACK not empty).
        slack = any((s, "pacer-slack") in medians for s in open_)
        slack_name = TOOL_NAMES["pacer-slack"]
        add("## Open model: pacer-http / h2load (medians)")
        add("")
        add("| scenario | h2load CPU µs/req | pacer-http CPU µs/req | CPU/req ratio pacer/h2load "
            "| h2load req/s | pacer-http req/s "
            + (f"| {slack_name} CPU µs/req | CPU/req ratio slack/h2load " if slack else "")
            + "|")
        add("|---|---|---|---|---|---|" + ("---|---|" if slack else ""))
        for s in open_:
            h = medians[(s, "h2load")]
            p = medians.get((s, "pacer"), {})
            q = medians.get((s, "pacer-slack"), {})
            label = next(r["label"] for r in runs if r["scenario"] == s)
            add(f"| {label} | {fmt(h['cpu_us_per_req'])} | {fmt(p.get('cpu_us_per_req'))} "
                f"| {fmt(ratio(p.get('cpu_us_per_req'), h['cpu_us_per_req']))} "
                f"| {fmt(h['rate'], 0)} | {fmt(p.get('rate'), 0)} "
                + (f"| {fmt(q.get('cpu_us_per_req'))} "
                   f"| {fmt(ratio(q.get('cpu_us_per_req'), h['cpu_us_per_req']))} "
                   if slack else "")
                + "|")
        add("")

    render_stall(add, meta, runs)

    add("## All runs")
    add("")
    add("| rep | scenario | tool | status | requests | req/s | CPU user+sys s | CPU µs/req "
        "| server CPU µs/req | peak RSS MiB | latency p50 / p99 ms | sched lag p50 / p99 ms "
        "| dropped | errors " + pacing_head + "| command |")
    add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + pacing_rule + "---|")
    for r in runs:
        rss = r["maxrss_kb"] / 1024.0 if r["maxrss_kb"] is not None else None
        cpu = (f"{r['user_s']:.3f}+{r['sys_s']:.3f}" if r["cpu_s"] is not None else "–")
        add(f"| {r['rep']} | {r['label']} | {TOOL_NAMES[r['tool']]} | {r['status']} "
            f"| {fmt(r.get('requests'))} | {fmt(r.get('rate'), 0)} | {cpu} "
            f"| {fmt(r['cpu_us_per_req'])} | {fmt(r['server_us_per_req'])} | {fmt(rss, 1)} "
            f"| {fmt_latency(r)} "
            f"| {fmt_pair(r.get('lag_p50'), r.get('lag_p99'))} "
            f"| {fmt(r.get('dropped'), 0) if r['tool'].startswith('pacer') else '–'} "
            f"| {fmt(r.get('errors'), 0)} "
            + (pacing_cells(r, r["scenario"] in SCENARIOS_OPEN, with_index=True)
               if show_pacing else "")
            + f"| {code(r['command'])} |")
    add("")
    extra = ", pacing JSON" if any(r.get("has_pacing") for r in runs) else ""
    add(f"Raw output of every run (stdout, stderr, rusage, summary JSON{extra}): "
        f"`{meta.get('run_dir_display', run_dir)}/runs/`.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--out")
    ap.add_argument("--json")
    args = ap.parse_args()

    meta = {}
    for line in (read_text(os.path.join(args.run_dir, "meta.tsv")) or "").splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            meta[k] = v
    if meta.get("pacer_open_slack"):
        TOOL_NAMES["pacer-slack"] = f"pacer-http (slack {meta['pacer_open_slack']}, 1 shard)"
    runs = load_runs(args.run_dir)
    report = render(meta, runs, args.run_dir)
    sys.stdout.write(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "runs": runs}, f, indent=1)
    return 0 if all(r["ok"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
