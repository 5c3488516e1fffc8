#!/usr/bin/env bash
# Builds pacer-http, starts a private nginx on 127.0.0.1 (HTTPS, self-signed) and
# runs a 10-second, 1000 requests/s open-model test against it. Results go to
# results/summary.json and results/summary-export.json. nginx is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-debian.sh
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
  [ "$(id -u)" -eq 0 ] || { echo "nginx-light is needed: sudo apt-get install nginx-light" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPACER_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build build-release --target pacer-http

run=$(mktemp -d)
mkdir -p "$run/tmp" results
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -keyout "$run/key.pem" -out "$run/cert.pem" -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
port=${PACER_DEMO_PORT:-28443}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port on 127.0.0.1 is in use; set PACER_DEMO_PORT to a free port" >&2
  exit 1
fi
cat >"$run/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $run/nginx.pid;
error_log $run/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $run/tmp; proxy_temp_path $run/tmp; fastcgi_temp_path $run/tmp;
  uwsgi_temp_path $run/tmp; scgi_temp_path $run/tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $run/cert.pem;
    ssl_certificate_key $run/key.pem;
    location / { default_type application/json; return 200 '{"total_matched":0}'; }
  }
}
CONF
"$NGINX" -p "$run" -c "$run/nginx.conf" &
nginx_pid=$!
trap 'kill $nginx_pid 2>/dev/null; wait $nginx_pid 2>/dev/null; rm -rf "$run"' EXIT
# Wait for nginx to listen (it has no readiness signal); give up after 5 s.
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 $nginx_pid 2>/dev/null || { echo "nginx failed to start" >&2; exit 1; }
  sleep 0.1
done

build-release/examples/pacer-http "https://127.0.0.1:$port/api/v1/certificates/bulk-renew" \
  --method POST --header 'Content-Type: application/json' \
  --body '{"team_id":"t-platform","issuer_id":"iss-local"}' \
  --rate 1000 --duration 10s --pre-allocated-vus 20 --max-vus 100 \
  --insecure-skip-tls-verify \
  --summary-trend-stats 'avg,min,med,max,p(90),p(95),p(99)' \
  --summary-json results/summary.json --summary-export results/summary-export.json
