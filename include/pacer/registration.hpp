#ifndef PACER_REGISTRATION_HPP
#define PACER_REGISTRATION_HPP

// Benchmark-style registration: PACER_SCENARIO(fn)->constant_arrival_rate(5, 1s)...,
// PACER_THRESHOLD and PACER_OPTIONS, each a thin shell over a public function, so
// scenarios built at run time (from a config file, say) take the same path.
//
// Registration runs during static initialisation and never throws: settings are
// recorded, and checked when the plan is built (bad ones exit with 104 then).
// Put registering translation units in the executable or an OBJECT library: a
// static library's object file that nothing references is dropped by the linker,
// and its registrations with it.

#include <pacer/plan/scenario.hpp>

#include <type_traits>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pacer {

// What one iteration of a registered scenario does, declared once when the plan
// is built (no I/O here): its request, checks and tags. The plan is reachable for
// custom metrics and thresholds.
class scenario_def {
 public:
  explicit scenario_def(test_plan& plan) : plan_(plan) {}

  scenario_def& request(http::request r) {
    request_ = std::move(r);
    return *this;
  }
  // An iteration written as code instead of one request (see pacer::vu).
  template <class F>
  requires std::is_invocable_r_v<task<>, F&, vu&> scenario_def& flow(F iteration) {
    flow_ = std::move(iteration);
    return *this;
  }
  scenario_def& check(check_spec c) {
    checks_.push_back(std::move(c));
    return *this;
  }
  template <response_predicate P>
  scenario_def& check(std::string name, P predicate) {
    return check(pacer::check(std::move(name), std::move(predicate)));
  }
  scenario_def& tag(std::string key, std::string value) {
    tags_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  scenario_def& on_response(std::function<void(const http::response_view&, recorder&)> hook) {
    hook_ = std::move(hook);
    return *this;
  }
  test_plan& plan() noexcept { return plan_; }

  // The scenario this definition describes, run by `how`.
  scenario build(const std::string& name, executor how) {
    if (request_.has_value() == static_cast<bool>(flow_))
      throw config_error("scenario " + name, request_ ? "a request and a flow" : "no request",
                         "s.request(pacer::http::get(url)) or s.flow(fn) in the scenario function");
    scenario sc = request_ ? scenario(name, std::move(how), std::move(*request_))
                           : scenario(name, std::move(how), std::move(flow_));
    for (auto& [k, v] : tags_)
      sc.tag(k, v);
    for (auto& c : checks_)
      sc.check(std::move(c));
    if (hook_) sc.on_response(std::move(hook_));
    return sc;
  }

 private:
  test_plan& plan_;
  std::optional<http::request> request_;
  flow_function flow_;
  std::vector<check_spec> checks_;
  std::vector<std::pair<std::string, std::string>> tags_;
  std::function<void(const http::response_view&, recorder&)> hook_;
};

using scenario_function = std::function<void(scenario_def&)>;

// The builder PACER_SCENARIO returns: the executor and its options, recorded
// as given (k6 names, snake_case) and turned into an executor when the plan is built.
class scenario_registration {
 public:
  scenario_registration(std::string name, scenario_function fn)
      : name_(std::move(name)), fn_(std::move(fn)) {}

  scenario_registration* constant_arrival_rate(std::int64_t rate,
                                               nanoseconds time_unit = std::chrono::seconds(1)) {
    kind_ = kind::constant_arrival_rate;
    rate_ = rate;
    time_unit_ = time_unit;
    return this;
  }
  scenario_registration* ramping_arrival_rate(std::int64_t start_rate = 0,
                                              nanoseconds time_unit = std::chrono::seconds(1)) {
    kind_ = kind::ramping_arrival_rate;
    rate_ = start_rate;
    time_unit_ = time_unit;
    return this;
  }
  scenario_registration* constant_vus(std::int64_t vus) {
    kind_ = kind::constant_vus;
    vus_ = vus;
    return this;
  }
  scenario_registration* per_vu_iterations(std::int64_t vus, std::int64_t iterations) {
    kind_ = kind::per_vu_iterations;
    vus_ = vus;
    iterations_ = iterations;
    return this;
  }
  scenario_registration* shared_iterations(std::int64_t vus, std::int64_t iterations) {
    kind_ = kind::shared_iterations;
    vus_ = vus;
    iterations_ = iterations;
    return this;
  }
  scenario_registration* ramping_vus(std::int64_t start_vus = 1) {
    kind_ = kind::ramping_vus;
    vus_ = start_vus;
    return this;
  }
  scenario_registration* max_duration(nanoseconds d) {
    max_duration_ = d;
    return this;
  }
  scenario_registration* graceful_ramp_down(nanoseconds d) {
    graceful_ramp_down_ = d;
    return this;
  }
  scenario_registration* stage(nanoseconds duration, std::int64_t target) {
    stages_.push_back({duration, target});
    return this;
  }
  scenario_registration* duration(nanoseconds d) {
    duration_ = d;
    return this;
  }
  scenario_registration* pre_allocated_vus(std::int64_t n) {
    pre_allocated_vus_ = n;
    return this;
  }
  scenario_registration* max_vus(std::int64_t n) {
    max_vus_ = n;
    return this;
  }
  scenario_registration* start_time(nanoseconds t) {
    start_time_ = t;
    return this;
  }
  scenario_registration* graceful_stop(nanoseconds t) {
    graceful_stop_ = t;
    return this;
  }
  scenario_registration* tag(std::string key, std::string value) {
    tags_.emplace_back(std::move(key), std::move(value));
    return this;
  }

  const std::string& name() const noexcept { return name_; }

  // Runs the scenario function and makes the scenario; config_error on bad settings.
  scenario build(test_plan& plan) const {
    scenario_def def(plan);
    for (const auto& [k, v] : tags_)
      def.tag(k, v);
    fn_(def);
    return def.build(name_, make_executor());
  }

 private:
  enum class kind {
    unset,
    constant_arrival_rate,
    ramping_arrival_rate,
    constant_vus,
    per_vu_iterations,
    shared_iterations,
    ramping_vus
  };

  executor make_executor() const {
    auto refuse = [&](const char* option, const char* why) {
      throw config_error("scenario " + name_ + " " + option, "set", why);
    };
    auto common = [&](auto e) {
      if (start_time_) e.start_time(*start_time_);
      if (graceful_stop_) e.graceful_stop(*graceful_stop_);
      return e;
    };
    switch (kind_) {
      case kind::constant_arrival_rate: {
        if (!stages_.empty()) refuse("stage", "stages with the ramping executors only");
        pacer::constant_arrival_rate e(rate_, time_unit_);
        e.duration(duration_.value_or(nanoseconds::zero()));
        e.pre_allocated_vus(pre_allocated_vus_.value_or(0));
        if (max_vus_) e.max_vus(*max_vus_);
        return common(std::move(e));
      }
      case kind::ramping_arrival_rate: {
        if (duration_) refuse("duration", "stages, not a duration, with ramping_arrival_rate");
        pacer::ramping_arrival_rate e(rate_, time_unit_);
        e.stages(stages_);
        e.pre_allocated_vus(pre_allocated_vus_.value_or(0));
        if (max_vus_) e.max_vus(*max_vus_);
        return common(std::move(e));
      }
      case kind::constant_vus: {
        if (!stages_.empty()) refuse("stage", "stages with the ramping executors only");
        if (pre_allocated_vus_ || max_vus_)
          refuse("pre_allocated_vus/max_vus", "VU pools with the arrival-rate executors only");
        pacer::constant_vus e(vus_);
        e.duration(duration_.value_or(nanoseconds::zero()));
        return common(std::move(e));
      }
      case kind::per_vu_iterations:
      case kind::shared_iterations: {
        if (!stages_.empty()) refuse("stage", "stages with the ramping executors only");
        if (duration_) refuse("duration", "max_duration with the iteration-count executors");
        if (pre_allocated_vus_ || max_vus_)
          refuse("pre_allocated_vus/max_vus", "VU pools with the arrival-rate executors only");
        auto build = [&](auto e) -> executor {
          if (max_duration_) e.max_duration(*max_duration_);
          return common(std::move(e));
        };
        return kind_ == kind::per_vu_iterations
                   ? build(pacer::per_vu_iterations(vus_, iterations_))
                   : build(pacer::shared_iterations(vus_, iterations_));
      }
      case kind::ramping_vus: {
        if (duration_) refuse("duration", "stages, not a duration, with ramping_vus");
        if (pre_allocated_vus_ || max_vus_)
          refuse("pre_allocated_vus/max_vus", "VU pools with the arrival-rate executors only");
        pacer::ramping_vus e(vus_);
        e.stages(stages_);
        if (graceful_ramp_down_) e.graceful_ramp_down(*graceful_ramp_down_);
        return common(std::move(e));
      }
      case kind::unset:
        break;
    }
    throw config_error(
        "scenario " + name_ + " executor", "none",
        "->constant_arrival_rate(rate), ->ramping_arrival_rate(start) with "
        "->stage(d, target), ->constant_vus(n), ->per_vu_iterations(vus, n), "
        "->shared_iterations(vus, n) or ->ramping_vus(start) with ->stage(d, target)");
  }

  std::string name_;
  scenario_function fn_;
  kind kind_ = kind::unset;
  std::int64_t rate_ = 0;
  nanoseconds time_unit_ = std::chrono::seconds(1);
  std::int64_t vus_ = 0;
  std::vector<pacer::stage> stages_;
  std::int64_t iterations_ = 0;
  std::optional<nanoseconds> duration_, start_time_, graceful_stop_, max_duration_,
      graceful_ramp_down_;
  std::optional<std::int64_t> pre_allocated_vus_, max_vus_;
  std::vector<std::pair<std::string, std::string>> tags_;
};

// Options of registered runs: what PACER_OPTIONS() sets; flags override them.
class options_registration {
 public:
  options_registration* summary_trend_stats(std::vector<std::string> stats) {
    summary_trend_stats_ = std::move(stats);
    return this;
  }
  options_registration* insecure_skip_tls_verify(bool skip = true) {
    insecure_skip_tls_verify_ = skip;
    return this;
  }
  options_registration* threads(unsigned n) {
    threads_ = n;
    return this;
  }
  // A summary file ([json:|text:|export:]FILE, as --pacer_out takes it); the
  // flag, when given, replaces all of these.
  options_registration* out(std::string spec) {
    outs_.push_back(std::move(spec));
    return this;
  }
  // Anything else of the plan (custom metrics, TLS and response limits, ...).
  options_registration* configure(std::function<void(test_plan&)> fn) {
    configure_.push_back(std::move(fn));
    return this;
  }

  const std::vector<std::string>& outs() const noexcept { return outs_; }

  void apply(test_plan& plan) const {
    if (summary_trend_stats_) plan.options.summary_trend_stats = *summary_trend_stats_;
    if (insecure_skip_tls_verify_)
      plan.options.tls.insecure_skip_verify = *insecure_skip_tls_verify_;
    if (threads_) plan.options.threads = *threads_;
    for (const auto& fn : configure_)
      fn(plan);
  }

 private:
  std::optional<std::vector<std::string>> summary_trend_stats_;
  std::optional<bool> insecure_skip_tls_verify_;
  std::optional<unsigned> threads_;
  std::vector<std::string> outs_;
  std::vector<std::function<void(test_plan&)>> configure_;
};

namespace detail {

struct registered_threshold {
  std::string key;
  std::vector<std::string> expressions;
};

// Everything registered in this program. A function-local static, so it exists
// before the first registration whatever the order of static initialisation.
struct registrations {
  std::vector<std::unique_ptr<scenario_registration>> scenarios;
  std::vector<registered_threshold> thresholds;
  options_registration options;
};

inline registrations& registered() {
  static registrations r;
  return r;
}

}  // namespace detail

// Registers a scenario named `name` whose iterations do what `fn` declares.
inline scenario_registration* register_scenario(std::string name, scenario_function fn) {
  auto& list = detail::registered().scenarios;
  list.push_back(std::make_unique<scenario_registration>(std::move(name), std::move(fn)));
  return list.back().get();
}

// Registers k6 threshold expressions on a metric or submetric, parsed when the plan
// is built.
inline bool register_threshold(std::string key, std::vector<std::string> expressions) {
  detail::registered().thresholds.push_back({std::move(key), std::move(expressions)});
  return true;
}

inline options_registration* registered_options() {
  return &detail::registered().options;
}

// The names registered so far, in registration order.
inline std::vector<std::string> registered_scenario_names() {
  std::vector<std::string> names;
  for (const auto& r : detail::registered().scenarios)
    names.push_back(r->name());
  return names;
}

// Builds the plan of every registered scenario, threshold and option.
// Throws config_error (exit code 104) for anything invalid.
inline test_plan registered_plan() {
  test_plan plan;
  const auto& reg = detail::registered();
  reg.options.apply(plan);
  for (const auto& r : reg.scenarios) {
    for (const auto& existing : plan.scenarios)
      if (existing.name == r->name())
        throw config_error("scenario name", r->name(), "a name registered once");
    plan.add(r->build(plan));
  }
  for (const auto& t : reg.thresholds) {
    std::vector<threshold> list;
    for (const auto& e : t.expressions)
      list.emplace_back(e);
    plan.threshold(t.key, std::move(list));
  }
  return plan;
}

}  // namespace pacer

#define PACER_DETAIL_CAT2(a, b) a##b
#define PACER_DETAIL_CAT(a, b) PACER_DETAIL_CAT2(a, b)
#define PACER_DETAIL_UNIQUE(base) PACER_DETAIL_CAT(base, __COUNTER__)

// PACER_SCENARIO(fn)->constant_arrival_rate(5, 1s)->duration(5min)->max_vus(30);
// `fn` is a void(pacer::scenario_def&); its name is the scenario's (k6's scenario tag).
#define PACER_SCENARIO(fn)                                                           \
  [[maybe_unused]] static ::pacer::scenario_registration* const PACER_DETAIL_UNIQUE( \
      pacer_scenario_) = ::pacer::register_scenario(#fn, fn)

// PACER_THRESHOLD("http_req_duration{scenario:x}", "p(99)<5000", "p(95)<2000");
#define PACER_THRESHOLD(key, ...)                                            \
  [[maybe_unused]] static const bool PACER_DETAIL_UNIQUE(pacer_threshold_) = \
      ::pacer::register_threshold(key, {__VA_ARGS__})

// PACER_OPTIONS()->summary_trend_stats({...})->insecure_skip_tls_verify()->out("s.json");
#define PACER_OPTIONS()                                                             \
  [[maybe_unused]] static ::pacer::options_registration* const PACER_DETAIL_UNIQUE( \
      pacer_options_) = ::pacer::registered_options()

#endif
