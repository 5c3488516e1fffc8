#!/usr/bin/env bash
# Installs what pacer needs to build and test on Debian 12, skipping what is present.
set -euo pipefail

packages=(build-essential cmake ninja-build ccache pkg-config libboost1.81-dev libssl-dev
          nlohmann-json3-dev catch2 libbenchmark-dev openssl libsqlite3-dev clang libclang-rt-14-dev
          libcsv-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
