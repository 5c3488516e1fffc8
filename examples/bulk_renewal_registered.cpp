// The bulk-renewal load test in the registered style: the same scenario as
// bulk_renewal.cpp, declared with PACER_SCENARIO and run by PACER_MAIN, with the
// --pacer_* flags (try --help, --pacer_duration=30s, --pacer_dry_run, --pacer_list).
//
//   CERTCTL_BASE=https://localhost:8443 CERTCTL_TOKEN=... bulk_renewal_registered
#include <pacer/main.hpp>

using namespace std::chrono_literals;

// Runs once when the plan is built: what ONE iteration does.
static void bulk_renewal(pacer::scenario_def& s) {
  const std::string base = pacer::env_or("CERTCTL_BASE", "https://localhost:8443");
  s.request(pacer::http::post(base + "/api/v1/certificates/bulk-renew")
                .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
                .bearer(pacer::secret_env("CERTCTL_TOKEN", "load-test-token")))
      .check("bulk-renew 2xx", pacer::status_in(200, 299));
}
PACER_SCENARIO(bulk_renewal)
    ->constant_arrival_rate(5, 1s)
    ->duration(5min)
    ->pre_allocated_vus(10)
    ->max_vus(30)
    ->tag("scenario", "bulk_renewal");

PACER_THRESHOLD("http_req_duration{scenario:bulk_renewal}", "p(99)<5000", "p(95)<2000");
PACER_THRESHOLD("http_req_failed{scenario:bulk_renewal}", "rate<0.01");

PACER_OPTIONS()
    ->summary_trend_stats({"avg", "min", "med", "p(95)", "p(99)", "max"})
    ->insecure_skip_tls_verify()
    ->out("results/summary-bulk-renewal.json")
    ->out("results/summary-bulk-renewal.txt");

PACER_MAIN();
