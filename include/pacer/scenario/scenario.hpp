#ifndef PACER_SCENARIO_SCENARIO_HPP
#define PACER_SCENARIO_SCENARIO_HPP

#include <pacer/check/check.hpp>
#include <pacer/core/error.hpp>
#include <pacer/exec/executors.hpp>
#include <pacer/http/connection.hpp>
#include <pacer/http/request.hpp>
#include <pacer/http/tls.hpp>
#include <pacer/metrics/metric.hpp>

#include <string>
#include <vector>

namespace pacer {

// A named workload: an executor deciding when iterations start, and what one
// iteration does (here: one request from a template).
struct scenario {
  scenario(std::string scenario_name, executor how, http::request what)
      : name(std::move(scenario_name)), exec(std::move(how)), request(std::move(what)) {}

  scenario& tag(std::string_view key, std::string_view value) {
    tags.set(key, value);
    return *this;
  }
  // k6's check(res, {...}): evaluated on every response of this scenario.
  scenario& check(check_spec c) {
    for (const auto& existing : checks)
      if (existing.name == c.name)
        throw config_error("check name", c.name, "a name used once per scenario");
    keep_response_body = keep_response_body || c.needs_body;
    checks.push_back(std::move(c));
    return *this;
  }
  template <response_predicate P>
  scenario& check(std::string name, P predicate) {
    return check(pacer::check(std::move(name), std::move(predicate)));
  }

  // Keep response bodies (needed by body checks); off, they are only counted.
  scenario& keep_body(bool keep = true) {
    keep_response_body = keep;
    return *this;
  }

  std::string name;
  executor exec;
  http::request request;
  metrics::tag_set tags;
  std::vector<check_spec> checks;
  bool keep_response_body = false;
};

inline scenario make_scenario(std::string name, executor how, http::request what) {
  return scenario(std::move(name), std::move(how), std::move(what));
}

inline constexpr std::string_view default_trend_stats[] = {"avg", "min",   "med",
                                                           "max", "p(90)", "p(95)"};

// How a run is carried out, beside what it does.
struct run_options {
  unsigned threads = 0;  // shards; 0 = hardware threads
  http::tls_options tls;
  http::response_limits limits;
  std::vector<std::string> summary_trend_stats{std::begin(default_trend_stats),
                                               std::end(default_trend_stats)};
  bool handle_signals = false;  // SIGINT/SIGTERM stop the run gracefully
};

// Everything a run needs: scenarios run concurrently, each from its start_time.
struct test_plan {
  std::vector<scenario> scenarios;
  run_options options;

  test_plan& add(scenario s) {
    scenarios.push_back(std::move(s));
    return *this;
  }
};

}  // namespace pacer

#endif
