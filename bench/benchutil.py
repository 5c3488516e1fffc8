#!/usr/bin/env python3
"""Small helpers for bench/compare.sh (Python 3 standard library only).

Subcommands:
  ports-free PORT...            exit 1 (with a message) if a port is taken on 127.0.0.1
  wait-ready URL... [--timeout S]
                                poll each URL until it answers 200 (TLS not verified)
  seconds DURATION              print a k6/wrk style duration ("10s", "1m", "500ms") in seconds
  children PID                  print the pids of PID's direct children, one a line
  measure --out FILE --timeout S [--server-pid PID] [--time-bin PATH]
          [--stall-at S --stall-for S] -- CMD...
                                run CMD under GNU time, then write JSON with its exit
                                code, user and system CPU seconds (from wait4(2) rusage,
                                microsecond resolution), peak RSS (GNU time's %M, KiB),
                                wall time, and the CPU seconds
                                PID and its children (the nginx master and workers)
                                used meanwhile. CMD gets SIGINT after S seconds and
                                SIGKILL 5 s later, so every run is bounded in time.
                                With --stall-at/--stall-for, PID's children (the nginx
                                workers) get SIGSTOP that long after CMD started and
                                SIGCONT after the second duration; they always get
                                SIGCONT before measure returns, however CMD ended.
  pacing --log FILE [--rate R] --out FILE
                                read nginx's access log of one run (one $msec per line) and
                                write JSON: requests, achieved rate, requests in each
                                1-second window from the first request, and with R the
                                worst full window's deviation from R in percent, the
                                busiest millisecond and the per-millisecond CV
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


class Stall:
    """SIGSTOP the server's workers at a given time into the run, SIGCONT them later.

    A lock orders the timer threads against finish(), so that a SIGSTOP can
    never land after the final SIGCONT.
    """

    def __init__(self, server_pid, at_s, for_s):
        self.server_pid = server_pid
        self.at_s, self.for_s = at_s, for_s
        self.lock = threading.Lock()
        self.done = False
        self.pids = []
        self.stopped_at = self.resumed_at = None  # wall clock (epoch s), as nginx's $msec
        self.timers = [threading.Timer(at_s, self.stop),
                       threading.Timer(at_s + for_s, self.resume)]

    def signal_all(self, pids, sig):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop(self):
        with self.lock:
            if self.done:
                return
            # The workers of now (a crashed worker is respawned with a new pid).
            self.pids = proc_children(self.server_pid)
            self.signal_all(self.pids, signal.SIGSTOP)
            self.stopped_at = time.time()

    def resume(self):
        with self.lock:
            self._resume()

    def _resume(self):
        if self.stopped_at is not None and self.resumed_at is None:
            self.signal_all(self.pids, signal.SIGCONT)
            self.resumed_at = time.time()

    def finish(self):
        with self.lock:
            self.done = True
            self._resume()
            # Belt and braces: whatever happened, every worker runs now.
            self.signal_all(self.pids + proc_children(self.server_pid), signal.SIGCONT)

    def record(self):
        return {"at_s": self.at_s, "for_s": self.for_s, "pids": self.pids,
                "stopped_epoch": self.stopped_at, "resumed_epoch": self.resumed_at}


def cmd_measure(args):
    cmd = args.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("measure: no command", file=sys.stderr)
        return 2
    if (args.stall_at is None) != (args.stall_for is None) or (
            args.stall_at is not None and args.server_pid is None):
        print("measure: --stall-at and --stall-for go together, with --server-pid",
              file=sys.stderr)
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
    timers = [t1, t2]
    stall = None
    if args.stall_at is not None:
        stall = Stall(args.server_pid, args.stall_at, args.stall_for)
        timers += stall.timers
    for t in timers:
        t.daemon = True
        t.start()
    # The terminal's Ctrl-C reaches the command too; just wait for it to finish.
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    finally:
        signal.signal(signal.SIGINT, old)
        for t in timers:
            t.cancel()
        if stall:
            stall.finish()  # the server never stays stopped past the run
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
    if stall:
        result["stall"] = stall.record()
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 0 if rc == 0 else (rc if rc > 0 else 128 - rc)


def cmd_pacing(args):
    # $msec is seconds with millisecond resolution; integer ms avoid float
    # rounding at window edges.
    times = []
    bad = 0
    with open(args.log) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                times.append(int(round(float(line) * 1000)))
            except ValueError:
                bad += 1
    times.sort()
    result = {"requests": len(times), "per_second": []}
    if bad:
        result["unparsed_lines"] = bad
    if times:
        first, last = times[0], times[-1]
        result["first_msec"] = first
        result["last_msec"] = last
        # 1-second windows from the first request. per_second holds the full
        # ones; the last, partial one is kept apart (it would read as a drop).
        n_full = (last - first) // 1000
        counts = [0] * (n_full + 1)
        for t in times:
            counts[(t - first) // 1000] += 1
        result["per_second"] = counts[:n_full]
        result["partial_second"] = {"count": counts[n_full],
                                    "ms": (last - first) % 1000 + 1}
        if last > first:
            result["achieved_rate"] = (len(times) - 1) * 1000.0 / (last - first)
        # Per-millisecond counts, empty milliseconds between first and last included.
        span = last - first + 1
        per_ms = [0] * span
        for t in times:
            per_ms[t - first] += 1
        mean = len(times) / span
        var = sum((c - mean) ** 2 for c in per_ms) / span
        result["busiest_ms"] = max(per_ms)
        result["per_ms_cv"] = var ** 0.5 / mean
        if args.rate and n_full:
            devs = [(c - args.rate) * 100.0 / args.rate for c in result["per_second"]]
            worst = max(range(n_full), key=lambda i: abs(devs[i]))
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
    s.add_argument("--stall-at", type=parse_duration, default=None,
                   help="SIGSTOP the server's workers this long after CMD started")
    s.add_argument("--stall-for", type=parse_duration, default=None,
                   help="and SIGCONT them this long later")
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
