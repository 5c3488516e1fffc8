// The bulk-renewal load test (a port of bulk-renewal.k6.js): POST
// /api/v1/certificates/bulk-renew 5 times a second for 5 minutes against a
// certctl server, with the same check, thresholds and summaries.
//
//   CERTCTL_BASE=https://localhost:8443 CERTCTL_TOKEN=... bulk_renewal [--duration 30s]
#include <pacer/cli/run_main.hpp>

using namespace std::chrono_literals;

static pacer::test_plan bulk_renewal_plan() {
  const std::string base = pacer::env_or("CERTCTL_BASE", "https://localhost:8443");
  const pacer::secret token = pacer::secret_env("CERTCTL_TOKEN", "load-test-token");

  pacer::test_plan plan;
  plan.add(pacer::scenario(
               "bulk_renewal",
               pacer::constant_arrival_rate(5, 1s).duration(5min).pre_allocated_vus(10).max_vus(30),
               pacer::http::post(base + "/api/v1/certificates/bulk-renew")
                   .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
                   .bearer(token))
               .tag("scenario", "bulk_renewal")
               .check("bulk-renew 2xx", pacer::status_in(200, 299)));
  plan.threshold("http_req_duration{scenario:bulk_renewal}", {"p(99)<5000", "p(95)<2000"});
  plan.threshold("http_req_failed{scenario:bulk_renewal}", {"rate<0.01"});
  plan.options.summary_trend_stats = {"avg", "min", "med", "p(95)", "p(99)", "max"};
  plan.options.tls.insecure_skip_verify = true;
  return plan;
}

int main(int argc, char** argv) {
  // The plan is built inside run_main: a bad CERTCTL_BASE exits 104 with its message.
  return pacer::run_main(argc, argv, bulk_renewal_plan, [](const pacer::summary& data) {
    return pacer::summary_outputs{
        {"summary-bulk-renewal.json", data.json(2)},
        {"summary-bulk-renewal.txt", data.text({.indent = " ", .enable_colors = false})},
        {"stdout", data.text({.indent = " ", .enable_colors = data.colors_for_stdout()})},
    };
  });
}
