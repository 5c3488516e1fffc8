// Load tests as Google Benchmark benchmarks (pacer/benchmark.hpp): the bulk-renewal scenario at
// two rates, each run once per benchmark iteration, with rps, failure rate, latency percentiles
// and check rate as counters, so they land in --benchmark_out JSON beside micro-benchmarks.
//
//   gbench_bridge --benchmark_out=load.json --benchmark_out_format=json
//   gbench_bridge --benchmark_repetitions=3         # three runs of each plan, with aggregates
//   CERTCTL_BASE=https://127.0.0.1:8443 gbench_bridge   # a target that is already running
//
// Without CERTCTL_BASE, the bundled certctl-compatible target is started in-process on
// 127.0.0.1 when the first benchmark runs, and stopped at exit.
#include <pacer/benchmark.hpp>
#include <pacer/pacer.hpp>

#include "certctl_target/temporary_server.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

namespace {

struct target {
  std::string base;
  std::string ca_file;  // empty: an external target, its certificate not verified
};

const target& the_target() {
  static const target t = [] {
    std::string base = pacer::env_or("CERTCTL_BASE", "");
    if (!base.empty()) return target{base, ""};
    // Started on first use, so --benchmark_list_tests starts nothing.
    static certctl_target::temporary_server local;
    return target{local.url(), local.ca_file()};
  }();
  return t;
}

// examples/bulk_renewal.cpp's scenario for 2 s at `rate` requests/s.
pacer::test_plan bulk_renewal(std::int64_t rate) {
  const target& t = the_target();
  pacer::test_plan plan;
  plan.add(
      pacer::scenario(
          "bulk_renewal",
          pacer::constant_arrival_rate(rate, 1s).duration(2s).pre_allocated_vus(10).max_vus(30),
          pacer::http::post(t.base + "/api/v1/certificates/bulk-renew")
              .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
              .bearer(pacer::secret_env("CERTCTL_TOKEN", "load-test-token")))
          .check("bulk-renew 2xx", pacer::status_in(200, 299)));
  plan.threshold("http_req_failed{scenario:bulk_renewal}", {"rate<0.01"});
  if (t.ca_file.empty())
    plan.options.tls.insecure_skip_verify = true;
  else
    plan.options.tls.ca_file = t.ca_file;
  return plan;
}

[[maybe_unused]] auto* const at_5 =
    pacer::gbench::register_plan("bulk_renewal/5rps", [] { return bulk_renewal(5); })
        -> Unit(benchmark::kMillisecond);
[[maybe_unused]] auto* const at_10 =
    pacer::gbench::register_plan("bulk_renewal/10rps", [] { return bulk_renewal(10); })
        -> Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
