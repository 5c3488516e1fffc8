// Finds the highest bulk-renew rate a certctl server sustains: the flagship's
// request at rising rates, one ramping_arrival_rate step after another, each
// judged by its own thresholds (p(95) < 2 s, under 1 % failed, under 1 % dropped).
//
//   CERTCTL_BASE=https://127.0.0.1:8443 certctl-ceiling [RATE ...] [--step D] [--ramp D]
//
// Default steps: 10 25 50 100 200 300 400 600 800 1000 requests/s, each ramped to in
// --ramp (3s) from the previous step's rate and held for --step (15s).
#include <pacer/pacer.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

std::string step_name(std::int64_t rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "rate_%05lld", static_cast<long long>(rate));
  return buf;
}

double value_of(const nlohmann::json& metrics, const std::string& key, const char* stat) {
  if (!metrics.contains(key)) return 0;
  return metrics[key]["values"].value(stat, 0.0);
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::int64_t> rates;
  pacer::nanoseconds hold = 15s, ramp = 3s;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if ((arg == "--step" || arg == "--ramp") && i + 1 < argc) {
      (arg == "--step" ? hold : ramp) = pacer::parse_duration(argv[++i], arg);
    } else if (!arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
      rates.push_back(std::stoll(arg));
    } else {
      throw pacer::config_error("argument", arg, "a rate per second, --step D or --ramp D");
    }
  }
  if (rates.empty()) rates = {10, 25, 50, 100, 200, 300, 400, 600, 800, 1000};

  const std::string base = pacer::env_or("CERTCTL_BASE", "https://127.0.0.1:8443");
  const pacer::secret token = pacer::secret_env("CERTCTL_TOKEN", "load-test-token");
  auto request = pacer::http::post(base + "/api/v1/certificates/bulk-renew")
                     .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
                     .bearer(token);

  pacer::test_plan plan;
  std::int64_t previous = 0;
  pacer::nanoseconds start{0};
  for (auto rate : rates) {
    const std::string name = step_name(rate);
    plan.add(pacer::scenario(name,
                             pacer::ramping_arrival_rate(previous)
                                 .add_stage(ramp, rate)
                                 .add_stage(hold, rate)
                                 .start_time(start)
                                 .graceful_stop(5s)
                                 // A second's worth of VUs up front: growing the pool
                                 // drops iterations, which would blame the server.
                                 .pre_allocated_vus(std::max<std::int64_t>(rate, 10))
                                 .max_vus(std::max<std::int64_t>(rate * 4, 40)),
                             request)
                 .check("bulk-renew 2xx", pacer::status_in(200, 299)));
    plan.threshold("http_req_duration{scenario:" + name + "}", {"p(95)<2000"});
    plan.threshold("http_req_failed{scenario:" + name + "}", {"rate<0.01"});
    plan.threshold("http_reqs{scenario:" + name + "}", {"count>=0"});
    plan.threshold("dropped_iterations{scenario:" + name + "}", {"count>=0"});
    previous = rate;
    start += ramp + hold;
  }
  plan.options.tls.insecure_skip_verify = true;
  plan.options.summary_trend_stats = {"med", "p(95)", "p(99)", "max"};
  plan.options.handle_signals = true;

  pacer::run_result result = pacer::run(plan);
  pacer::summary s(result);
  const auto& metrics = s.data()["metrics"];

  std::printf("%-9s %9s %9s %8s %11s %9s %9s %9s %8s  %s\n", "target/s", "scheduled", "requests",
              "dropped", "interrupted", "p50 ms", "p95 ms", "p99 ms", "failed", "sustained");
  std::int64_t ceiling = 0;
  bool broken = false;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    const std::string name = step_name(rates[i]);
    const std::string sel = "{scenario:" + name + "}";
    double reqs = value_of(metrics, "http_reqs" + sel, "count");
    double dropped = value_of(metrics, "dropped_iterations" + sel, "count");
    double p95 = value_of(metrics, "http_req_duration" + sel, "p(95)");
    double failed = value_of(metrics, "http_req_failed" + sel, "rate");
    const pacer::scenario_outcome& outcome = result.scenarios[i];
    // A few drops while the VU pool grows are the executor's, not the server's.
    bool ok =
        p95 < 2000 && failed < 0.01 && dropped < 0.01 * static_cast<double>(outcome.scheduled);
    if (ok && !broken) ceiling = rates[i];
    broken = broken || !ok;
    std::printf(
        "%-9lld %9llu %9.0f %8.0f %11llu %9.1f %9.1f %9.1f %7.2f%%  %s\n",
        static_cast<long long>(rates[i]), static_cast<unsigned long long>(outcome.scheduled), reqs,
        dropped, static_cast<unsigned long long>(outcome.interrupted),
        value_of(metrics, "http_req_duration" + sel, "med"), p95,
        value_of(metrics, "http_req_duration" + sel, "p(99)"), failed * 100, ok ? "yes" : "no");
  }
  std::printf(
      "ceiling: %lld bulk-renew requests/s with p(95) < 2 s, < 1 %% failed, < 1 %% dropped\n",
      static_cast<long long>(ceiling));
  return result.aborted_by_signal ? 105 : 0;
} catch (const pacer::config_error& e) {
  std::cerr << "certctl-ceiling: " << e.what() << "\n";
  return 104;
}
