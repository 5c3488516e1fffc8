#ifndef PACER_PLAN_SCENARIO_HPP
#define PACER_PLAN_SCENARIO_HPP

// Scenarios and test plans: what runs (executor, request, checks, tags) and how (options).

#include <pacer/check/check.hpp>
#include <pacer/core/error.hpp>
#include <pacer/http/limits.hpp>
#include <pacer/http/request.hpp>
#include <pacer/http/tls.hpp>
#include <pacer/metrics/custom.hpp>
#include <pacer/metrics/metric.hpp>
#include <pacer/plan/executors.hpp>
#include <pacer/plan/flow.hpp>
#include <pacer/plan/progress.hpp>
#include <pacer/threshold/threshold.hpp>

#include <any>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace pacer {

// A named workload: an executor deciding when iterations start, and what one
// iteration does: one request from a template (checks and hooks apply to its every
// response), or a flow, a coroutine written as code (k6's exec function).
struct scenario {
  scenario(std::string scenario_name, executor how, http::request what)
      : name(std::move(scenario_name)), exec(std::move(how)), request(std::move(what)) {}
  template <class F>
  requires std::is_invocable_r_v<task<>, F&, vu&> scenario(std::string scenario_name, executor how,
                                                           F iteration)
      : name(std::move(scenario_name)), exec(std::move(how)), flow(std::move(iteration)) {}

  // Tags on every sample of the scenario. `scenario` is set by pacer to the
  // scenario's name; giving it another value is refused at plan build.
  scenario& tag(std::string_view key, std::string_view value) {
    if (key == "scenario" && value != name)
      throw config_error(
          "tag scenario", std::string(value),
          "no scenario tag: pacer tags each sample with the scenario's name (" + name + ")");
    if (key == "group")
      throw config_error("tag group", std::string(value),
                         "no group tag: it is the current group's path (vu.group)");
    tags.set(key, value);
    return *this;
  }
  // k6's check(res, {...}): evaluated on every response of this scenario's template.
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

  // Code run on every response (after the checks), e.g. to record custom metrics.
  // The body is kept for it.
  scenario& on_response(std::function<void(const http::response_view&, recorder&)> hook) {
    response_hook = std::move(hook);
    keep_response_body = true;
    return *this;
  }

  // Keep response bodies (needed by body checks); off, they are only counted.
  // Flows keep them (k6's default); off, res.body() is empty.
  scenario& keep_body(bool keep = true) {
    keep_response_body = keep;
    discard_flow_bodies = !keep;
    return *this;
  }

  bool is_flow() const noexcept { return static_cast<bool>(flow); }

  std::string name;
  executor exec;
  std::optional<http::request> request;  // a template scenario's request
  flow_function flow;                    // a flow scenario's iteration
  metrics::tag_set tags;
  std::vector<check_spec> checks;
  std::function<void(const http::response_view&, recorder&)> response_hook;
  bool keep_response_body = false;
  bool discard_flow_bodies = false;
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
  // Live progress: called from the run's coordinator thread every
  // progress_interval, and once more at the end with final = true.
  progress_callback progress;
  nanoseconds progress_interval = std::chrono::seconds(1);
};

// The thresholds on one metric or submetric, keyed as in k6's options.thresholds.
struct threshold_set {
  std::string key;
  std::vector<pacer::threshold> list;
};

// Everything a run needs: scenarios run concurrently, each from its start_time.
struct test_plan {
  std::vector<scenario> scenarios;
  std::vector<threshold_set> thresholds;
  std::vector<custom_metric> custom_metrics;
  run_options options;

  // Custom metrics (k6: new Counter(name), new Trend(name, isTime), ...).
  metric_handle counter(std::string name) {
    return declare(std::move(name), metrics::metric_type::counter, metrics::value_kind::plain);
  }
  metric_handle gauge(std::string name) {
    return declare(std::move(name), metrics::metric_type::gauge, metrics::value_kind::plain);
  }
  metric_handle rate(std::string name) {
    return declare(std::move(name), metrics::metric_type::rate, metrics::value_kind::plain);
  }
  metric_handle trend(std::string name, bool is_time = false) {
    return declare(std::move(name), metrics::metric_type::trend,
                   is_time ? metrics::value_kind::time : metrics::value_kind::plain);
  }

  // k6's thresholds: {'http_req_duration{scenario:x}': ['p(99)<5000', ...]}. The
  // expressions are parsed here (config_error on a bad one); the metric is checked
  // when the run starts.
  test_plan& threshold(std::string key, std::vector<pacer::threshold> list) {
    (void)parse_selector(key);
    if (list.empty()) throw config_error("thresholds of " + key, "[]", "at least one expression");
    for (auto& existing : thresholds)
      if (existing.key == key) {
        for (auto& t : list)
          existing.list.push_back(std::move(t));
        return *this;
      }
    thresholds.push_back({std::move(key), std::move(list)});
    return *this;
  }

 private:
  metric_handle declare(std::string name, metrics::metric_type type, metrics::value_kind kind) {
    detail::validate_metric_name(name);
    for (const auto& m : custom_metrics)
      if (m.name == name) throw config_error("metric name", name, "a name declared once");
    custom_metrics.push_back({std::move(name), type, kind});
    return {static_cast<std::uint32_t>(custom_metrics.size() - 1)};
  }

 public:
  // k6's setup(): runs once before the scenarios on a VU of its own (its requests tagged
  // group "::setup"); what it returns every VU reads with vu.setup_data<T>(). An exception
  // ends the run before any scenario starts (k6's exit code 107), summary still written.
  template <class F>
  requires std::is_invocable_v<F&, vu&> test_plan& setup(F fn) {
    using result = std::invoke_result_t<F&, vu&>;
    setup_function = [fn = std::move(fn)](vu& v) -> task<std::any> {
      if constexpr (std::is_same_v<result, task<>>) {
        co_await fn(v);
        co_return std::any{};
      } else {
        co_return std::any(co_await fn(v));
      }
    };
    return *this;
  }
  // k6's teardown(): runs once after the scenarios (group "::teardown"), also after a
  // stop by signal or threshold, with the same setup data.
  template <class F>
  requires std::is_invocable_r_v<task<>, F&, vu&> test_plan& teardown(F fn) {
    teardown_function = std::move(fn);
    return *this;
  }
  std::function<task<std::any>(vu&)> setup_function;
  flow_function teardown_function;

  // k6's `stages` shorthand (options.stages without scenarios): a ramping-vus scenario
  // named "default" starting from 1 VU (k6's default `vus`), running `iteration` (a
  // request template or a flow).
  template <class Iteration>
  test_plan& stages(std::vector<stage> s, Iteration iteration) {
    return add(scenario("default", ramping_vus(1).stages(std::move(s)), std::move(iteration)));
  }

  test_plan& add(scenario s) {
    scenarios.push_back(std::move(s));
    return *this;
  }
};

}  // namespace pacer

#endif
