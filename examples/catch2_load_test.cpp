// A load test inside a Catch2 test suite: the bulk-renewal scenario against the bundled
// certctl-compatible target, started in-process on 127.0.0.1 over HTTPS, judged with the
// matchers of pacer/catch2.hpp. The short run is an ordinary test case; the full load run is
// hidden ("[load][.]") so that it runs only when asked for:
//
//   catch2_load_test              # the 2 s smoke run
//   catch2_load_test "[load]"     # the 30 s load run with its latency objectives
#if defined(PACER_EXAMPLE_CATCH2_V3)
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#else
#define CATCH_CONFIG_MAIN  // Catch2 v2: this file provides main()
#include <catch2/catch.hpp>
#endif
#include <pacer/catch2.hpp>
#include <pacer/pacer.hpp>

#include "certctl_target/temporary_server.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

// The system under test with its own database in a fresh directory, removed afterwards.
using local_target = certctl_target::temporary_server;

// examples/bulk_renewal.cpp's scenario, with the target's own certificate trusted.
pacer::test_plan bulk_renewal(const local_target& target, pacer::nanoseconds duration) {
  pacer::test_plan plan;
  plan.add(
      pacer::scenario(
          "bulk_renewal",
          pacer::constant_arrival_rate(5, 1s).duration(duration).pre_allocated_vus(10).max_vus(30),
          pacer::http::post(target.url() + "/api/v1/certificates/bulk-renew")
              .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
              .bearer(pacer::secret("load-test-token")))
          .check("bulk-renew 2xx", pacer::status_in(200, 299)));
  plan.threshold("http_req_failed{scenario:bulk_renewal}", {"rate<0.01"});
  plan.threshold("checks{scenario:bulk_renewal}", {"rate>0.99"});
  plan.options.tls.ca_file = target.ca_file();
  return plan;
}

}  // namespace

TEST_CASE("bulk renewal: a short burst is answered and passes its checks", "[smoke]") {
  local_target target;
  const pacer::summary s(pacer::run(bulk_renewal(target, 2s)));
  REQUIRE_THAT(s, pacer::catch2::passes_thresholds());
  CHECK_THAT(s, pacer::catch2::check_rate_at_least("bulk-renew 2xx", 1.0));
}

// Hidden: latency objectives belong to a load run on a quiet machine, not to every test run.
TEST_CASE("bulk renewal holds its objectives at 5 requests/s for 30 s", "[load][.]") {
  local_target target;
  auto plan = bulk_renewal(target, 30s);
  plan.threshold("http_req_duration{scenario:bulk_renewal}", {"p(99)<5000", "p(95)<2000"});
  const pacer::summary s(pacer::run(plan));
  REQUIRE_THAT(s, pacer::catch2::passes_thresholds());
  CHECK_THAT(s, pacer::catch2::check_rate_at_least("bulk-renew 2xx", 0.99));
  CHECK_THAT(s, pacer::catch2::failed_rate_below(0.01, "http_req_failed{scenario:bulk_renewal}"));
  CHECK_THAT(
      s, pacer::catch2::percentile_below("http_req_duration{scenario:bulk_renewal}", 95, 500ms));
}
