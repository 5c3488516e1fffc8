#!/usr/bin/env python3
"""Small helpers for bench/compare.sh (Python 3 standard library only).

Subcommands:
  ports-free PORT...            exit 1 (with a message) if a port is taken on 127.0.0.1
  wait-ready URL... [--timeout S]
                                poll each URL until it answers 200 (TLS not verified)
  seconds DURATION              print a k6/wrk style duration ("10s", "1m", "500ms") in seconds
  children PID                  print the pids of PID's direct children, one a line
  measure --out FILE --timeout S [--server-pid PID] [--time-bin PATH] -- CMD...
                                run CMD under GNU time, then write JSON with its exit
                                code, user and system CPU seconds (from wait4(2) rusage,
                                microsecond resolution), peak RSS (GNU time's %M, KiB),
                                wall time, and the CPU seconds
                                PID and its children (the nginx master and workers)
                                used meanwhile. CMD gets SIGINT after S seconds and
                                SIGKILL 5 s later, so every run is bounded in time.
  pacing --log FILE [--rate R] --out FILE
                                read nginx's access log of one run (one $msec per line) and
                                write JSON: requests, achieved rate, requests in each full
                                1-second window from the first request, the worst window's
                                deviation from R in percent, and the busiest millisecond
"""

import argparse
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_duration(text):
    total = 0.0
    pos = 0
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for m in re.finditer(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text):
        if m.start() != pos:
            raise ValueError(f"bad duration: {text!r}")
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            return float(text)
        raise ValueError(f"bad duration: {text!r}")
    return total


def cmd_ports_free(args):
    busy = []
    for port in args.ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Like nginx: TIME_WAIT leftovers of an earlier run do not count as busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", int(port)))
        except OSError as e:
            busy.append(f"{port} ({e.strerror})")
        finally:
            s.close()
    if busy:
        print("port(s) not free on 127.0.0.1: " + ", ".join(busy)
              + " -- set HTTP_PORT / HTTPS_PORT to free ports", file=sys.stderr)
        return 1
    return 0


def cmd_wait_ready(args):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + args.timeout
    for url in args.urls:
        last = None
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2, context=ctx) as r:
                    body = r.read()
                    if r.status == 200:
                        print(f"ready: {url} -> {r.status} {body!r}")
                        break
                    last = f"status {r.status}"
            except (urllib.error.URLError, OSError) as e:
                last = str(e)
            if time.monotonic() > deadline:
                print(f"not ready: {url}: {last}", file=sys.stderr)
                return 1
            time.sleep(0.1)
    return 0


def cmd_seconds(args):
    print(f"{parse_duration(args.duration):g}")
    return 0


def proc_children(pid):
    kids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            kids.append(int(name))
    return kids


def cmd_children(args):
    for k in proc_children(args.pid):
        print(k)
    return 0


def proc_cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return 0
    fields = stat[stat.rfind(")") + 2:].split()
    # fields[0] is field 3 (state); utime/stime are fields 14/15.
    return int(fields[11]) + int(fields[12])


def tree_cpu_ticks(pid):
    if pid is None:
        return None
    return sum(proc_cpu_ticks(p) for p in [pid] + proc_children(pid))


def cmd_measure(args):
    cmd = args.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("measure: no command", file=sys.stderr)
        return 2
    # Peak RSS comes from GNU time (a small C program that fork()s and execs
    # CMD): the rusage of a child forked by this Python process would report
    # Python's own ~15 MB as the child's peak RSS. CPU times come from wait4()
    # on GNU time, i.e. CMD plus GNU time's own negligible share, in us.
    rss_file = args.out + ".rss"
    wrapper = []
    if args.time_bin and os.access(args.time_bin, os.X_OK):
        wrapper = [args.time_bin, "-f", "%M", "-o", rss_file, "--"]
    server0 = tree_cpu_ticks(args.server_pid)
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(wrapper + cmd)
    except OSError as e:
        with open(args.out, "w") as f:
            json.dump({"rc": 127, "error": str(e)}, f)
        print(f"measure: cannot run {cmd[0]}: {e}", file=sys.stderr)
        return 127
    timed_out = threading.Event()

    def signal_cmd(sig):
        # GNU time ignores SIGINT; signal the command itself (time's child).
        pids = proc_children(proc.pid) if wrapper else [proc.pid]
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def on_timeout():
        timed_out.set()
        signal_cmd(signal.SIGINT)

    t1 = threading.Timer(args.timeout, on_timeout)
    t2 = threading.Timer(args.timeout + 5, signal_cmd, args=(signal.SIGKILL,))
    for t in (t1, t2):
        t.daemon = True
        t.start()
    # The terminal's Ctrl-C reaches the command too; just wait for it to finish.
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        signal.signal(signal.SIGINT, old)
        t1.cancel()
        t2.cancel()
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    server1 = tree_cpu_ticks(args.server_pid)
    maxrss = None
    if wrapper:
        try:
            with open(rss_file) as f:
                # GNU time may put "Command exited with non-zero status N" first.
                maxrss = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            maxrss = None
    result = {
        "rc": rc,
        "timed_out": timed_out.is_set(),
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "maxrss_kb": maxrss,
        "wall_s": wall,
        "server_cpu_s": (None if server0 is None
                         else (server1 - server0) / CLK_TCK),
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0 if rc == 0 else (rc if rc > 0 else 128 - rc)


def cmd_pacing(args):
    times = []
    with open(args.log) as f:
        for line in f:
            line = line.strip()
            if line:
                times.append(float(line))
    times.sort()
    result = {"requests": len(times)}
    if len(times) >= 2:
        first, last = times[0], times[-1]
        result["achieved_rate"] = (len(times) - 1) / (last - first) if last > first else None
        # Full 1-second windows from the first request (the last, partial one is left out).
        n_windows = int(last - first)
        windows = [0] * n_windows
        # Milliseconds with no request count as zeros between the first and the last.
        per_ms = {}
        for t in times:
            w = int(t - first)
            if w < n_windows:
                windows[w] += 1
            ms = int(round((t - first) * 1000))
            per_ms[ms] = per_ms.get(ms, 0) + 1
        result["per_second"] = windows
        span_ms = int(round((last - first) * 1000)) + 1
        counts = [per_ms.get(i, 0) for i in range(span_ms)]
        mean = sum(counts) / span_ms
        var = sum((c - mean) ** 2 for c in counts) / span_ms
        result["busiest_ms"] = max(counts)
        result["per_ms_cv"] = (var ** 0.5) / mean if mean else None
        if args.rate and windows:
            devs = [(c - args.rate) * 100.0 / args.rate for c in windows]
            worst = max(range(len(devs)), key=lambda i: abs(devs[i]))
            result["rate"] = args.rate
            result["worst_window_pct"] = devs[worst]
            result["worst_window_index"] = worst
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="sub", required=True)
    s = sub.add_parser("ports-free")
    s.add_argument("ports", nargs="+")
    s.set_defaults(fn=cmd_ports_free)
    s = sub.add_parser("wait-ready")
    s.add_argument("urls", nargs="+")
    s.add_argument("--timeout", type=float, default=10.0)
    s.set_defaults(fn=cmd_wait_ready)
    s = sub.add_parser("seconds")
    s.add_argument("duration")
    s.set_defaults(fn=cmd_seconds)
    s = sub.add_parser("children")
    s.add_argument("pid", type=int)
    s.set_defaults(fn=cmd_children)
    s = sub.add_parser("measure")
    s.add_argument("--out", required=True)
    s.add_argument("--timeout", type=float, required=True)
    s.add_argument("--server-pid", type=int, default=None)
    s.add_argument("--time-bin", default="/usr/bin/time",
                   help="GNU time, used for the peak RSS (omitted if missing)")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s.set_defaults(fn=cmd_measure)
    s = sub.add_parser("pacing")
    s.add_argument("--log", required=True)
    s.add_argument("--rate", type=float, default=None)
    s.add_argument("--out", required=True)
    s.set_defaults(fn=cmd_pacing)
    args = p.parse_args()
    try:
        return args.fn(args)
    except ValueError as e:
        print(str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
