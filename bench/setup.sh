#!/usr/bin/env bash
# Installs what bench/compare.sh needs on a Debian 12 machine:
# nginx-light, wrk, nghttp2-client (h2load), openssl, python3 and GNU time
# (for the peak RSS).
# Only packages whose command is missing are installed. Safe to re-run.
set -euo pipefail

need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v h2load >/dev/null 2>&1 || [ -x /usr/bin/h2load ] || need+=(nghttp2-client)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x /usr/bin/time ] || need+=(time)

if [ "${#need[@]}" -eq 0 ]; then
    echo "setup.sh: nginx, wrk, h2load, openssl, python3 and GNU time are already installed."
    exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "setup.sh: need root (or sudo) to install: ${need[*]}" >&2
        exit 1
    fi
fi

echo "setup.sh: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${need[@]}"

# Installing nginx on Debian may start the system-wide nginx service on
# port 80. compare.sh never uses it (it runs its own private instance on
# 127.0.0.1 with everything under bench/.run/), so it is left alone here.
echo "setup.sh: done."
