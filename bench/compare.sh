#!/usr/bin/env bash
# Compare pacer-http with wrk (closed loop) and h2load (open model, fixed rate)
# against a private local nginx (HTTP and HTTPS).
#
#   bench/setup.sh && bench/compare.sh
#   REPS=1 DURATION=3s bench/compare.sh
#
# See bench/README.md for what is measured. Traffic goes to 127.0.0.1 only,
# every run is bounded in time, and nginx is stopped on exit in all cases.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
cd "$REPO_ROOT"   # commands are run (and printed) relative to the repo root

# ---- settings (environment) -------------------------------------------------
REPS=${REPS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}                       # closed loop: wrk -c / pacer --vus
RATE=${RATE:-10000}                      # open model: requests per second
PRE_ALLOCATED_VUS=${PRE_ALLOCATED_VUS:-64}
MAX_VUS=${MAX_VUS:-256}
WRK_THREADS=${WRK_THREADS:-1}
PACER_CLOSED_THREADS=${PACER_CLOSED_THREADS:-1}
PACER_OPEN_THREADS=${PACER_OPEN_THREADS:-2}
OPEN_H2LOAD_CONNS=${OPEN_H2LOAD_CONNS:-50}     # open model: h2load -c; must divide RATE (--rps is per client)
PACER_EXTRA_ARGS=${PACER_EXTRA_ARGS:-}   # word-split, appended to every pacer-http run
TREND_STATS=${TREND_STATS:-avg,min,med,max,p(90),p(95),p(99)}
SCENARIOS=${SCENARIOS:-closed-http closed-https open-http open-https}
PACER_CLOSED_FLOW=${PACER_CLOSED_FLOW:-1}  # closed loop: also run pacer-http --as-flow (0 = no)
PACER_OPEN_SLACK=${PACER_OPEN_SLACK-1ms}  # open model: also run pacer-http, 1 shard, --pacing-slack this ('' = no)
PACER_OPEN_PRECONNECT=${PACER_OPEN_PRECONNECT:-1}  # open model: pacer-http --preconnect (h2load too connects first)
ACCESS_LOG=${ACCESS_LOG:-0}              # 1: nginx logs each request's time; pacing read from it
STALL_AT=${STALL_AT:-}                   # open model: SIGSTOP nginx's worker this long into a run...
STALL_FOR=${STALL_FOR:-}                 # ...and SIGCONT it this long later (both empty = no stall)
HTTP_PORT=${HTTP_PORT:-18080}
HTTPS_PORT=${HTTPS_PORT:-18443}
RUN_DIR=${RUN_DIR:-bench/.run}           # relative to the repo root, or absolute
RESULTS=${RESULTS:-bench/results-latest.md}
GRACE=${GRACE:-30}                       # seconds past DURATION before a run is interrupted
COOLDOWN=${COOLDOWN:-1}                  # seconds of pause between runs
WRK=${WRK:-wrk}
H2LOAD=${H2LOAD:-h2load}
PYTHON=${PYTHON:-python3}
OPENSSL=${OPENSSL:-openssl}
TIME_BIN=${TIME_BIN:-/usr/bin/time}      # GNU time, for the generator's peak RSS
if [ -z "${NGINX:-}" ]; then
    NGINX=$(command -v nginx || true)
    [ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
fi

die() { echo "compare.sh: $*" >&2; exit 1; }
log() { echo "compare.sh: $*" >&2; }

for tool in "$WRK" "$PYTHON" "$OPENSSL" "$NGINX"; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found -- run bench/setup.sh first"
done
[ -x "$TIME_BIN" ] || die "GNU time ($TIME_BIN) not found -- run bench/setup.sh first"
case $REPS in '' | *[!0-9]*) die "REPS must be a positive integer" ;; esac
[ "$REPS" -ge 1 ] || die "REPS must be >= 1"

# h2load is the open model's peer; it is only needed when an open scenario runs.
WANT_OPEN=0
for scen in $SCENARIOS; do case $scen in open-*) WANT_OPEN=1 ;; esac; done
if [ "$WANT_OPEN" = 1 ]; then
    command -v "$H2LOAD" >/dev/null 2>&1 || die "'$H2LOAD' not found -- run bench/setup.sh first (Debian package nghttp2-client)"
    case $RATE in '' | *[!0-9]*) die "RATE must be a positive integer" ;; esac
    case $OPEN_H2LOAD_CONNS in '' | *[!0-9]*) die "OPEN_H2LOAD_CONNS must be a positive integer" ;; esac
    [ "$RATE" -ge 1 ] || die "RATE must be >= 1"
    [ "$OPEN_H2LOAD_CONNS" -ge 1 ] || die "OPEN_H2LOAD_CONNS must be >= 1"
    # h2load's --rps is per client, so the total rate is exact only if the division is.
    [ $((RATE % OPEN_H2LOAD_CONNS)) -eq 0 ] ||
        die "OPEN_H2LOAD_CONNS ($OPEN_H2LOAD_CONNS) must divide RATE ($RATE): h2load's --rps is per client"
    H2LOAD_RPS=$((RATE / OPEN_H2LOAD_CONNS))
fi

UTIL=("$PYTHON" "$SCRIPT_DIR/benchutil.py")
DUR_S=$("${UTIL[@]}" seconds "$DURATION") || die "bad DURATION '$DURATION'"
LIMIT_S=$("$PYTHON" -c "import sys; print(float(sys.argv[1]) + float(sys.argv[2]))" "$DUR_S" "$GRACE")
if [ "$WANT_OPEN" = 1 ]; then
    # h2load -D takes an integer with an optional unit (h, m, s, ms): whole
    # seconds when DURATION is a whole number of seconds, else milliseconds.
    H2LOAD_DUR=$("$PYTHON" -c "
import sys
ms = round(float(sys.argv[1]) * 1000, 6)
if ms != int(ms) or ms < 1:
    sys.exit(1)
ms = int(ms)
print(ms // 1000 if ms % 1000 == 0 else f'{ms}ms')" "$DUR_S") ||
        die "DURATION '$DURATION' is not a whole number of milliseconds (h2load -D)"
fi

# Quote a command for display so that it can be pasted back into a shell.
render_cmd() {
    local out="" a re='^[A-Za-z0-9_./:=@%+,-]+$'
    for a in "$@"; do
        if [[ $a =~ $re ]]; then
            out+="$a "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    printf '%s' "${out% }"
}

# ---- pacer-http --------------------------------------------------------------
PACER=""
if [ -n "${PACER_HTTP:-}" ]; then
    candidates=("$PACER_HTTP")
else
    candidates=(build/examples/pacer-http build/pacer-http)
fi
for c in "${candidates[@]}"; do
    if [[ $c == */* ]]; then
        if [ -f "$c" ] && [ -x "$c" ]; then PACER=$c; break; fi
    elif command -v "$c" >/dev/null 2>&1; then
        PACER=$c; break
    fi
done
PACER_NOTE=""
if [ -z "$PACER" ]; then
    PACER_NOTE="pacer-http not found (looked for: ${candidates[*]}; set PACER_HTTP or build it with CMake). Only the wrk and h2load rows were run."
    log "$PACER_NOTE"
elif [ "$WANT_OPEN" = 1 ] && [ -n "$PACER_OPEN_SLACK" ]; then
    # An older build without --pacing-slack would fail every slack run; skip them instead.
    pacer_help=$("$PACER" --help 2>&1 || true)
    if [[ $pacer_help != *--pacing-slack* ]]; then
        PACER_NOTE="$PACER has no --pacing-slack option; the pacer-http (slack) rows were not run."
        log "$PACER_NOTE"
        PACER_OPEN_SLACK=""
    fi
fi
if [ -n "$PACER" ] && [ "$PACER_OPEN_PRECONNECT" = 1 ]; then
    pacer_help=$("$PACER" --help 2>&1 || true)
    [[ $pacer_help == *--preconnect* ]] || PACER_OPEN_PRECONNECT=0
fi

# ---- run directory, certificate, nginx config -------------------------------
case $RUN_DIR in /*) RUN_ABS=$RUN_DIR ;; *) RUN_ABS=$REPO_ROOT/$RUN_DIR ;; esac
mkdir -p "$RUN_ABS"
RUN_ABS=$(cd "$RUN_ABS" && pwd)
rm -rf "$RUN_ABS/runs" "$RUN_ABS/logs" "$RUN_ABS/tmp"
rm -f "$RUN_ABS/runs.tsv" "$RUN_ABS/meta.tsv" "$RUN_ABS/nginx.pid"
mkdir -p "$RUN_ABS/runs" "$RUN_ABS/logs" "$RUN_ABS/tmp"
: >"$RUN_ABS/runs.tsv"

"${UTIL[@]}" ports-free "$HTTP_PORT" "$HTTPS_PORT" || exit 1

log "generating a self-signed certificate in $RUN_DIR"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$RUN_ABS/key.pem" -out "$RUN_ABS/cert.pem" -days 7 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    >"$RUN_ABS/logs/openssl.log" 2>&1 || { cat "$RUN_ABS/logs/openssl.log" >&2; die "openssl failed"; }

sed_escape() { local s=${1//\\/\\\\}; s=${s//&/\\&}; printf '%s' "${s//|/\\|}"; }
case $ACCESS_LOG in
    0) ACCESS_LOG_DIRECTIVE=off ;;
    1) ACCESS_LOG_DIRECTIVE="\"$RUN_ABS/logs/access.log\" pacing" ;;
    *) die "ACCESS_LOG must be 0 or 1" ;;
esac
if [ -n "$STALL_AT$STALL_FOR" ]; then
    { [ -n "$STALL_AT" ] && [ -n "$STALL_FOR" ]; } || die "STALL_AT and STALL_FOR go together"
    STALL_AT_S=$("${UTIL[@]}" seconds "$STALL_AT") || die "bad STALL_AT '$STALL_AT'"
    STALL_FOR_S=$("${UTIL[@]}" seconds "$STALL_FOR") || die "bad STALL_FOR '$STALL_FOR'"
    [ "$WANT_OPEN" = 1 ] || log "STALL_AT/STALL_FOR apply to open scenarios only; none is selected"
    "$PYTHON" -c "import sys; sys.exit(float(sys.argv[1]) >= float(sys.argv[2]))" "$STALL_AT_S" "$DUR_S" ||
        log "STALL_AT ($STALL_AT) is not within DURATION ($DURATION): nothing will be stalled"
fi
sed -e "s|@RUN_DIR@|$(sed_escape "$RUN_ABS")|g" \
    -e "s|@ACCESS_LOG@|$(sed_escape "$ACCESS_LOG_DIRECTIVE")|g" \
    -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
    "$SCRIPT_DIR/nginx.conf.in" >"$RUN_ABS/nginx.conf"

NGINX_ARGS=(-p "$RUN_ABS/" -c "$RUN_ABS/nginx.conf" -e "$RUN_ABS/logs/error.log")
"$NGINX" -t -q "${NGINX_ARGS[@]}" || die "nginx rejected $RUN_DIR/nginx.conf"

# ---- nginx lifecycle ---------------------------------------------------------
NGINX_PID=""
NGINX_WORKERS=""

proc_state() { # prints the state letter of a pid, or nothing if it is gone
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    printf '%s' "${stat%% *}"
}

stop_nginx() {
    [ -n "$NGINX_PID" ] || return 0
    local pid=$NGINX_PID st w
    NGINX_PID=""
    st=$(proc_state "$pid")
    if [ -n "$st" ] && [ "$st" != Z ]; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            st=$(proc_state "$pid")
            { [ -z "$st" ] || [ "$st" = Z ]; } && break
            sleep 0.1
        done
        st=$(proc_state "$pid")
        if [ -n "$st" ] && [ "$st" != Z ]; then
            log "nginx (pid $pid) did not stop after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
    # Workers exit with their master; make sure of it (only our own pids).
    for w in $NGINX_WORKERS; do
        if [ "$(cat "/proc/$w/comm" 2>/dev/null)" = nginx ]; then
            kill -KILL "$w" 2>/dev/null || true
        fi
    done
    log "nginx stopped"
}

# A stalled nginx must never outlive a run. benchutil.py measure stops and
# resumes the workers itself and resumes them however the run ends; this is
# the safety net for when measure itself did not finish (and for the exit trap).
resume_nginx() {
    [ -n "$NGINX_PID" ] || return 0
    local w kids
    # The workers of now: nginx respawns a worker that died, with a new pid.
    kids=$("${UTIL[@]}" children "$NGINX_PID" 2>/dev/null | tr '\n' ' ') || true
    [ -z "${kids// /}" ] || NGINX_WORKERS=$kids
    for w in $NGINX_WORKERS; do
        if [ "$(cat "/proc/$w/comm" 2>/dev/null)" = nginx ]; then
            kill -CONT "$w" 2>/dev/null || true
            [ "$(proc_state "$w")" != T ] || log "nginx worker $w is still stopped after SIGCONT"
        fi
    done
}

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    resume_nginx
    stop_nginx
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$NGINX" "${NGINX_ARGS[@]}" </dev/null &
NGINX_PID=$!
HTTP_URL="http://127.0.0.1:$HTTP_PORT/"
HTTPS_URL="https://127.0.0.1:$HTTPS_PORT/"
if ! "${UTIL[@]}" wait-ready --timeout 10 "$HTTP_URL" "$HTTPS_URL" >&2; then
    cat "$RUN_ABS/logs/error.log" >&2 || true
    die "nginx did not come up"
fi
NGINX_WORKERS=$("${UTIL[@]}" children "$NGINX_PID" | tr '\n' ' ')
log "nginx running (master pid $NGINX_PID, workers: $NGINX_WORKERS)"

# ---- metadata ---------------------------------------------------------------
{
    printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'host\t%s\n' "$(uname -srm)"
    printf 'cpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    printf 'cores\t%s\n' "$(nproc)"
    printf 'nginx\t%s (worker_processes 1)\n' "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    printf 'wrk\t%s\n' "$("$WRK" -v 2>&1 | head -n 1 | sed 's/ Copyright.*//')"
    if [ "$WANT_OPEN" = 1 ]; then
        printf 'h2load\t%s\n' "$("$H2LOAD" --version 2>&1 | head -n 1)"
    fi
    printf 'openssl\t%s\n' "$("$OPENSSL" version)"
    printf 'pacer_http\t%s\n' "${PACER:-not found}"
    printf 'reps\t%s\n' "$REPS"
    printf 'duration\t%s\n' "$DURATION"
    printf 'conns\t%s (closed loop)\n' "$CONNS"
    printf 'rate\t%s req/s (open model)\n' "$RATE"
    if [ "$WANT_OPEN" = 1 ]; then
        printf 'h2load_conns\t%s clients x %s req/s (open model)\n' "$OPEN_H2LOAD_CONNS" "$H2LOAD_RPS"
    fi
    printf 'http_url\t%s\n' "$HTTP_URL"
    printf 'https_url\t%s\n' "$HTTPS_URL"
    printf 'run_dir_display\t%s\n' "$RUN_DIR"
    [ -z "$PACER_NOTE" ] || printf 'pacer_note\t%s\n' "$PACER_NOTE"
    if [ "$WANT_OPEN" = 1 ] && [ -n "$PACER_OPEN_SLACK" ] && [ -n "$PACER" ]; then
        printf 'pacer_open_slack\t%s\n' "$PACER_OPEN_SLACK"
    fi
    if [ "$WANT_OPEN" = 1 ] && [ -n "$PACER" ]; then
        [ "$PACER_OPEN_PRECONNECT" = 1 ] && pc="on: VUs connect before the test clock starts" || pc=off
        printf 'pacer_open_preconnect\t%s\n' "$pc"
    fi
    [ "$ACCESS_LOG" = 0 ] || printf 'access_log\t%s\n' "on: nginx logs \$msec per request (costs nginx CPU)"
    if [ -n "$STALL_AT" ] && [ "$WANT_OPEN" = 1 ]; then
        printf 'stall\t%s\n' "nginx worker stopped (SIGSTOP) $STALL_AT after the generator started, resumed (SIGCONT) $STALL_FOR later, open scenarios only"
    fi
} >"$RUN_ABS/meta.tsv"

# ---- runs --------------------------------------------------------------------
read -r -a PACER_EXTRA <<<"$PACER_EXTRA_ARGS"

scenario_label() {
    case $1 in
        closed-http) echo "closed, $CONNS conns, HTTP" ;;
        closed-https) echo "closed, $CONNS conns, HTTPS" ;;
        open-http) echo "open, $RATE req/s, HTTP" ;;
        open-https) echo "open, $RATE req/s, HTTPS" ;;
        *) die "unknown scenario '$1'" ;;
    esac
}

run_case() { # rep scenario tool
    local rep=$1 scen=$2 tool=$3 url id dir label st
    local -a cmd
    case $scen in
        *-https) url=$HTTPS_URL ;;
        *) url=$HTTP_URL ;;
    esac
    id="r$rep-$scen-$tool"
    dir="$RUN_DIR/runs/$id"
    mkdir -p "$dir"
    case "$scen/$tool" in
        closed-*/wrk)
            cmd=("$WRK" "-t$WRK_THREADS" "-c$CONNS" "-d$DURATION" --latency "$url") ;;
        closed-*/pacer)
            cmd=("$PACER" "$url" --vus "$CONNS" --duration "$DURATION"
                --threads "$PACER_CLOSED_THREADS") ;;
        closed-*/pacer-flow)
            # The same request sent from a one-request coroutine flow: what a flow costs.
            cmd=("$PACER" "$url" --vus "$CONNS" --duration "$DURATION"
                --threads "$PACER_CLOSED_THREADS" --as-flow) ;;
        open-*/h2load)
            # --h1: HTTP/1.1 over TLS too (no h2), like the other tools. h2load
            # does not verify the server certificate.
            cmd=("$H2LOAD" --h1 -c "$OPEN_H2LOAD_CONNS" --rps "$H2LOAD_RPS" -D "$H2LOAD_DUR" "$url") ;;
        open-*/pacer)
            cmd=("$PACER" "$url" --rate "$RATE" --time-unit 1s --duration "$DURATION"
                --pre-allocated-vus "$PRE_ALLOCATED_VUS" --max-vus "$MAX_VUS"
                --threads "$PACER_OPEN_THREADS") ;;
        open-*/pacer-slack)
            # The open pacer command with one shard and one wake-up per
            # PACER_OPEN_SLACK window instead of one per iteration (as h2load batches).
            cmd=("$PACER" "$url" --rate "$RATE" --time-unit 1s --duration "$DURATION"
                --pre-allocated-vus "$PRE_ALLOCATED_VUS" --max-vus "$MAX_VUS"
                --threads 1 --pacing-slack "$PACER_OPEN_SLACK") ;;
        *) die "no command for $scen/$tool" ;;
    esac
    if [ "$tool" != "${tool#pacer}" ]; then
        [ "$scen" != "${scen%-https}" ] && cmd+=(--insecure-skip-tls-verify)
        cmd+=(--summary-json "$dir/summary.json" --summary-trend-stats "$TREND_STATS")
        [ "$scen" != "${scen#open-}" ] && [ "$PACER_OPEN_PRECONNECT" = 1 ] && cmd+=(--preconnect)
        cmd+=("${PACER_EXTRA[@]}")
    fi
    label=$(scenario_label "$scen")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$rep" "$scen" "$tool" "$label" \
        "$(render_cmd "${cmd[@]}")" >>"$RUN_ABS/runs.tsv"

    st=$(proc_state "$NGINX_PID")
    { [ -n "$st" ] && [ "$st" != Z ]; } || die "nginx is no longer running (see $RUN_DIR/logs/error.log)"

    log "[$id] $(render_cmd "${cmd[@]}")"
    # nginx opens the log with O_APPEND, so truncating it in place starts a fresh one.
    [ "$ACCESS_LOG" = 1 ] && : >"$RUN_ABS/logs/access.log"
    local stall_args=()
    if [ -n "$STALL_AT" ] && [ "$scen" != "${scen#open-}" ]; then
        # measure times the stall from the generator's start and always resumes.
        stall_args=(--stall-at "$STALL_AT_S" --stall-for "$STALL_FOR_S")
        log "[$id] the nginx worker will be stopped ${STALL_AT} into the run, for ${STALL_FOR}"
    fi
    if "${UTIL[@]}" measure --out "$dir/measure.json" --timeout "$LIMIT_S" \
        --server-pid "$NGINX_PID" --time-bin "$TIME_BIN" "${stall_args[@]}" -- "${cmd[@]}" \
        >"$dir/stdout.txt" 2>"$dir/stderr.txt"; then
        :
    else
        log "[$id] failed with exit status $? (see $dir/stderr.txt)"
        tail -n 5 "$dir/stderr.txt" >&2 || true
    fi
    resume_nginx
    # The cooldown also lets nginx log what it answers late (requests queued in a stall).
    sleep "$COOLDOWN"
    if [ "$ACCESS_LOG" = 1 ]; then
        local rate_arg=()
        [ "$scen" != "${scen#open-}" ] && rate_arg=(--rate "$RATE")
        "${UTIL[@]}" pacing --log "$RUN_ABS/logs/access.log" "${rate_arg[@]}" \
            --out "$dir/pacing.json" || log "[$id] no pacing figures (see $RUN_DIR/logs/access.log)"
    fi
}

for rep in $(seq 1 "$REPS"); do
    for scen in $SCENARIOS; do
        # The peer tool: wrk for the closed loop, h2load (fixed rate) for the open model.
        case $scen in open-*) peer=h2load ;; *) peer=wrk ;; esac
        tools=("$peer" pacer)
        if [ "$scen" != "${scen#open-}" ] && [ -n "$PACER_OPEN_SLACK" ]; then
            tools+=(pacer-slack)
        fi
        if [ "$scen" != "${scen#closed-}" ] && [ "$PACER_CLOSED_FLOW" = 1 ]; then
            tools+=(pacer-flow)
        fi
        # Rotate who goes first (with two tools: alternate) so that no tool
        # always gets the warmer (or more throttled) machine.
        first=$(((rep - 1) % ${#tools[@]}))
        order=("${tools[@]:first}" "${tools[@]:0:first}")
        for tool in "${order[@]}"; do
            [ "$tool" != "$peer" ] && [ -z "$PACER" ] && continue
            run_case "$rep" "$scen" "$tool"
        done
    done
done

stop_nginx

# ---- report --------------------------------------------------------------------
status=0
"$PYTHON" "$SCRIPT_DIR/summarize.py" "$RUN_ABS" --out "$RESULTS" \
    --json "$RUN_ABS/results.json" || status=$?
log "report written to $RESULTS (raw data in $RUN_DIR/)"
[ -z "$PACER_NOTE" ] || log "$PACER_NOTE"
exit "$status"
