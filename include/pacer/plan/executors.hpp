#ifndef PACER_PLAN_EXECUTORS_HPP
#define PACER_PLAN_EXECUTORS_HPP

// k6's executors as values: when each iteration of a scenario starts, and with how many VUs.

#include <pacer/core/duration.hpp>
#include <pacer/core/error.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace pacer {

inline constexpr std::chrono::seconds default_graceful_stop{30};

// Options every executor shares (k6: startTime, gracefulStop).
template <class Derived>
class executor_base {
 public:
  Derived& start_time(nanoseconds t) {
    start_time_ = t;
    return self();
  }
  Derived& graceful_stop(nanoseconds t) {
    graceful_stop_ = t;
    return self();
  }
  // pacer's extension: the VUs that exist before the test clock starts (k6's init phase)
  // also open their connections then, so that the first iterations do not all pay a TCP
  // connect and a TLS handshake at once. Their requests then show no connecting or
  // handshaking time; a connection that fails here is opened again by the first request.
  Derived& preconnect(bool on = true) {
    preconnect_ = on;
    return self();
  }
  nanoseconds start_time() const noexcept { return start_time_; }
  nanoseconds graceful_stop() const noexcept { return graceful_stop_; }
  bool preconnects() const noexcept { return preconnect_; }

 protected:
  void validate_base() const {
    if (start_time_ < nanoseconds::zero())
      throw config_error("startTime", format_go_duration(start_time_), "a duration >= 0");
    if (graceful_stop_ < nanoseconds::zero())
      throw config_error("gracefulStop", format_go_duration(graceful_stop_), "a duration >= 0");
  }
  std::string common_description() const {
    std::string d;
    if (start_time_ > nanoseconds::zero()) d += ", startTime: " + format_go_duration(start_time_);
    if (graceful_stop_ > nanoseconds::zero())
      d += ", gracefulStop: " + format_go_duration(graceful_stop_);
    if (preconnect_) d += ", preconnect";
    return d;
  }
  static std::string rate_text(double per_second) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", per_second);
    return buf;
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  nanoseconds start_time_{0};
  nanoseconds graceful_stop_{default_graceful_stop};
  bool preconnect_ = false;
};

// The VU pool of the open-model executors (k6: preAllocatedVUs, maxVUs).
template <class Derived>
class arrival_vu_pool : public executor_base<Derived> {
 public:
  Derived& pre_allocated_vus(std::int64_t n) {
    pre_ = n;
    return static_cast<Derived&>(*this);
  }
  Derived& max_vus(std::int64_t n) {
    max_ = n;
    return static_cast<Derived&>(*this);
  }
  // pacer's extension: how late an iteration may start so that the shard wakes once for
  // every iteration due within that window instead of once for each. 0 (the default)
  // starts each iteration at its due time; `iteration_schedule_lag` reports either way.
  Derived& pacing_slack(nanoseconds s) {
    slack_ = s;
    return static_cast<Derived&>(*this);
  }

  std::int64_t pre_allocated_vus() const noexcept { return pre_; }
  std::int64_t max_vus() const noexcept { return max_ ? *max_ : pre_; }
  nanoseconds pacing_slack() const noexcept { return slack_; }

 protected:
  void validate_pool() const {
    if (pre_ < 0) throw config_error("preAllocatedVUs", std::to_string(pre_), "an integer >= 0");
    if (max_vus() < pre_)
      throw config_error("maxVUs", std::to_string(max_vus()),
                         "an integer >= preAllocatedVUs (" + std::to_string(pre_) + ")");
    if (max_vus() == 0)
      throw config_error("preAllocatedVUs", "0", "an integer > 0 (k6 requires it; or maxVUs > 0)");
    if (slack_ < nanoseconds::zero() || slack_ > max_pacing_slack)
      throw config_error("pacingSlack", format_go_duration(slack_), "a duration from 0 to 1s");
  }
  std::string pool_text() const {
    std::string t = max_vus() > pre_ ? std::to_string(pre_) + "-" + std::to_string(max_vus())
                                     : std::to_string(pre_);
    if (slack_ > nanoseconds::zero()) t += ", pacingSlack: " + format_go_duration(slack_);
    return t;
  }

 private:
  static constexpr nanoseconds max_pacing_slack = std::chrono::seconds(1);
  nanoseconds slack_{0};
  std::int64_t pre_ = 0;
  std::optional<std::int64_t> max_;
};

// Open model, fixed rate: iteration k starts at k * time_unit / rate (k6's
// constant-arrival-rate); no idle VU at that moment means a dropped iteration.
class constant_arrival_rate : public arrival_vu_pool<constant_arrival_rate> {
 public:
  explicit constant_arrival_rate(std::int64_t rate, nanoseconds time_unit = std::chrono::seconds(1))
      : rate_(rate), time_unit_(time_unit) {}

  constant_arrival_rate& duration(nanoseconds d) {
    duration_ = d;
    return *this;
  }

  std::int64_t rate() const noexcept { return rate_; }
  nanoseconds time_unit() const noexcept { return time_unit_; }
  nanoseconds duration() const noexcept { return duration_; }
  // k6 truncates the spacing to whole nanoseconds once.
  nanoseconds interval() const noexcept { return time_unit_ / rate_; }

  // Due time of iteration `index` (0-based) from the scenario start, or nothing
  // past the end of the schedule.
  std::optional<nanoseconds> due(std::uint64_t index) const noexcept {
    nanoseconds t = interval() * static_cast<std::int64_t>(index);
    if (t >= duration_) return std::nullopt;
    return t;
  }
  std::uint64_t total_iterations() const noexcept {
    auto iv = interval().count();
    return iv <= 0 ? 0 : static_cast<std::uint64_t>((duration_.count() + iv - 1) / iv);
  }
  nanoseconds regular_duration() const noexcept { return duration_; }

  void validate() const {
    validate_base();
    if (rate_ <= 0) throw config_error("rate", std::to_string(rate_), "an integer > 0");
    if (time_unit_ <= nanoseconds::zero())
      throw config_error("timeUnit", format_go_duration(time_unit_), "a duration > 0");
    if (time_unit_ / rate_ <= nanoseconds::zero())
      throw config_error("rate", std::to_string(rate_), "at most one iteration per nanosecond");
    if (duration_ < std::chrono::seconds(1))
      throw config_error("duration", format_go_duration(duration_), "a duration >= 1s");
    validate_pool();
  }
  std::string description() const {
    double per_s = static_cast<double>(rate_) * 1e9 / static_cast<double>(time_unit_.count());
    return rate_text(per_s) + " iterations/s for " + format_go_duration(duration_) +
           " (maxVUs: " + pool_text() + common_description() + ")";
  }

 private:
  std::int64_t rate_;
  nanoseconds time_unit_;
  nanoseconds duration_{0};
};

// One stage of a ramping executor: reach `target` at the end of `duration`.
struct stage {
  nanoseconds duration;
  std::int64_t target;
};

// Open model, piecewise-linear rate (k6's ramping-arrival-rate): the n-th
// iteration (n = 1, 2, ...) starts when the area under the rate curve reaches n.
class ramping_arrival_rate : public arrival_vu_pool<ramping_arrival_rate> {
 public:
  explicit ramping_arrival_rate(std::int64_t start_rate = 0,
                                nanoseconds time_unit = std::chrono::seconds(1))
      : start_rate_(start_rate), time_unit_(time_unit) {}

  ramping_arrival_rate& stages(std::vector<stage> s) {
    stages_ = std::move(s);
    return *this;
  }
  ramping_arrival_rate& add_stage(nanoseconds d, std::int64_t target) {
    stages_.push_back({d, target});
    return *this;
  }

  std::int64_t start_rate() const noexcept { return start_rate_; }
  nanoseconds time_unit() const noexcept { return time_unit_; }
  const std::vector<stage>& stages() const noexcept { return stages_; }
  nanoseconds regular_duration() const noexcept {
    nanoseconds total{0};
    for (auto& s : stages_)
      total += s.duration;
    return total;
  }

  // Due time of iteration `index` (0-based, so n = index + 1), or nothing when
  // the stages end before its area is reached.
  std::optional<nanoseconds> due(std::uint64_t index) const noexcept {
    const long double n = static_cast<long double>(index) + 1;
    const long double unit = static_cast<long double>(time_unit_.count());
    constexpr long double eps = 1e-9L;
    long double area_before = 0;
    long double stage_start = 0;
    long double level = static_cast<long double>(start_rate_) / unit;  // per ns
    for (const auto& s : stages_) {
      const long double d = static_cast<long double>(s.duration.count());
      const long double target = static_cast<long double>(s.target) / unit;
      const long double area = (level + target) / 2 * d;
      if (d > 0 && area_before + area >= n - eps) {
        long double k = n - area_before;
        long double x;
        if (std::fabs(static_cast<double>(target - level)) < 1e-30) {
          x = k / target;
        } else {
          long double disc = d * (level * level * d + 2 * k * (target - level));
          if (disc < 0) disc = 0;
          x = (level * d - std::sqrt(disc)) / (level - target);
        }
        if (x > d) x = d;
        if (x < 0) x = 0;
        return nanoseconds(static_cast<std::int64_t>(std::llround(stage_start + x)));
      }
      area_before += area;
      stage_start += d;
      level = target;
    }
    return std::nullopt;
  }

  void validate() const {
    validate_base();
    if (start_rate_ < 0)
      throw config_error("startRate", std::to_string(start_rate_), "an integer >= 0");
    if (time_unit_ <= nanoseconds::zero())
      throw config_error("timeUnit", format_go_duration(time_unit_), "a duration > 0");
    if (stages_.empty())
      throw config_error("stages", "[]", "at least one stage {duration, target}");
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      if (stages_[i].duration < nanoseconds::zero())
        throw config_error("stages[" + std::to_string(i) + "].duration",
                           format_go_duration(stages_[i].duration), "a duration >= 0");
      if (stages_[i].target < 0)
        throw config_error("stages[" + std::to_string(i) + "].target",
                           std::to_string(stages_[i].target), "an integer >= 0");
    }
    validate_pool();
  }
  std::string description() const {
    std::int64_t peak = start_rate_;
    for (auto& s : stages_)
      peak = s.target > peak ? s.target : peak;
    double per_s = static_cast<double>(peak) * 1e9 / static_cast<double>(time_unit_.count());
    return "Up to " + rate_text(per_s) + " iterations/s for " +
           format_go_duration(regular_duration()) + " over " + std::to_string(stages_.size()) +
           " stages (maxVUs: " + pool_text() + common_description() + ")";
  }

 private:
  std::int64_t start_rate_;
  nanoseconds time_unit_;
  std::vector<stage> stages_;
};

// Closed model (k6's constant-vus): `vus` VUs loop iterations back to back.
class constant_vus : public executor_base<constant_vus> {
 public:
  explicit constant_vus(std::int64_t vus = 1) : vus_(vus) {}
  constant_vus& duration(nanoseconds d) {
    duration_ = d;
    return *this;
  }
  std::int64_t vus() const noexcept { return vus_; }
  nanoseconds duration() const noexcept { return duration_; }
  nanoseconds regular_duration() const noexcept { return duration_; }
  std::int64_t max_vus() const noexcept { return vus_; }
  std::int64_t pre_allocated_vus() const noexcept { return vus_; }

  void validate() const {
    validate_base();
    if (vus_ <= 0) throw config_error("vus", std::to_string(vus_), "an integer > 0");
    if (duration_ < std::chrono::seconds(1))
      throw config_error("duration", format_go_duration(duration_), "a duration >= 1s");
  }
  std::string description() const {
    // k6 prints the parenthesis only when there is something in it.
    std::string options = common_description();
    std::string text = std::to_string(vus_) + " looping VUs for " + format_go_duration(duration_);
    if (!options.empty()) text += " (" + options.substr(2) + ")";
    return text;
  }

 private:
  std::int64_t vus_;
  nanoseconds duration_{0};
};

inline constexpr std::chrono::minutes default_max_duration{10};

// The VU count and maxDuration of the iteration-count executors.
template <class Derived>
class iterations_base : public executor_base<Derived> {
 public:
  iterations_base(std::int64_t vus, std::int64_t iterations) : vus_(vus), iterations_(iterations) {}
  Derived& max_duration(nanoseconds d) {
    max_duration_ = d;
    return static_cast<Derived&>(*this);
  }
  // The command line's --duration sets maxDuration here.
  Derived& duration(nanoseconds d) { return max_duration(d); }
  std::int64_t vus() const noexcept { return vus_; }
  std::int64_t iterations() const noexcept { return iterations_; }
  nanoseconds max_duration() const noexcept { return max_duration_; }
  nanoseconds duration() const noexcept { return max_duration_; }
  nanoseconds regular_duration() const noexcept { return max_duration_; }
  std::int64_t max_vus() const noexcept { return vus_; }
  std::int64_t pre_allocated_vus() const noexcept { return vus_; }

 protected:
  void validate_counts() const {
    this->validate_base();
    if (vus_ <= 0) throw config_error("vus", std::to_string(vus_), "an integer > 0");
    if (iterations_ <= 0)
      throw config_error("iterations", std::to_string(iterations_), "an integer > 0");
    if (max_duration_ < std::chrono::seconds(1))
      throw config_error("maxDuration", format_go_duration(max_duration_), "a duration >= 1s");
  }
  std::string options_text() const {
    return "(maxDuration: " + format_go_duration(max_duration_) + this->common_description() + ")";
  }

 private:
  std::int64_t vus_;
  std::int64_t iterations_;
  nanoseconds max_duration_ = default_max_duration;
};

// Closed model, k6's per-vu-iterations: each of `vus` VUs runs `iterations` iterations.
class per_vu_iterations : public iterations_base<per_vu_iterations> {
 public:
  explicit per_vu_iterations(std::int64_t vus = 1, std::int64_t iterations = 1)
      : iterations_base(vus, iterations) {}
  std::uint64_t total_iterations() const noexcept {
    return static_cast<std::uint64_t>(vus()) * static_cast<std::uint64_t>(iterations());
  }
  void validate() const { validate_counts(); }
  std::string description() const {
    return std::to_string(iterations()) + " iterations for each of " + std::to_string(vus()) +
           " VUs " + options_text();
  }
};

// Closed model, k6's shared-iterations: `vus` VUs share `iterations` iterations, each
// taking the next as soon as it is free.
class shared_iterations : public iterations_base<shared_iterations> {
 public:
  explicit shared_iterations(std::int64_t vus = 1, std::int64_t iterations = 1)
      : iterations_base(vus, iterations) {}
  std::uint64_t total_iterations() const noexcept {
    return static_cast<std::uint64_t>(iterations());
  }
  void validate() const {
    validate_counts();
    if (iterations() < vus())
      throw config_error("iterations", std::to_string(iterations()),
                         "an integer >= vus (" + std::to_string(vus()) + "), as k6 requires");
  }
  std::string description() const {
    return std::to_string(iterations()) + " iterations shared among " + std::to_string(vus()) +
           " VUs " + options_text();
  }
};

// Closed model, k6's ramping-vus: the number of looping VUs follows the stages from
// start_vus; VUs taken away finish their iteration within gracefulRampDown.
class ramping_vus : public executor_base<ramping_vus> {
 public:
  explicit ramping_vus(std::int64_t start_vus = 1) : start_vus_(start_vus) {}
  ramping_vus& stages(std::vector<stage> s) {
    stages_ = std::move(s);
    return *this;
  }
  ramping_vus& add_stage(nanoseconds d, std::int64_t target) {
    stages_.push_back({d, target});
    return *this;
  }
  ramping_vus& graceful_ramp_down(nanoseconds d) {
    graceful_ramp_down_ = d;
    return *this;
  }
  std::int64_t start_vus() const noexcept { return start_vus_; }
  const std::vector<stage>& stages() const noexcept { return stages_; }
  nanoseconds graceful_ramp_down() const noexcept { return graceful_ramp_down_; }
  nanoseconds regular_duration() const noexcept {
    nanoseconds total{0};
    for (auto& s : stages_)
      total += s.duration;
    return total;
  }
  std::int64_t max_vus() const noexcept {
    std::int64_t m = start_vus_;
    for (auto& s : stages_)
      m = s.target > m ? s.target : m;
    return m;
  }
  std::int64_t pre_allocated_vus() const noexcept { return max_vus(); }

  // One change of the planned VU count: from `at` on, `vus` VUs run.
  struct step {
    nanoseconds at;
    std::int64_t vus;
  };
  // k6's schedule: during a stage from a to b VUs over d ending at T, VU number u
  // (a < u <= b) starts at T - d*(b-u)/(b-a); when ramping down, the count becomes
  // u-1 at T - d*(u-1-b)/(a-b), so each VU leaves at the end of its slice.
  std::vector<step> steps() const {
    std::vector<step> out{{nanoseconds::zero(), start_vus_}};
    auto add = [&](nanoseconds at, std::int64_t vus) {
      if (out.back().vus != vus) out.push_back({at, vus});
    };
    std::int64_t from = start_vus_;
    nanoseconds end{0};
    for (const auto& st : stages_) {
      end += st.duration;
      const std::int64_t to = st.target;
      const std::int64_t diff = to - from;
      if (diff == 0) continue;
      if (st.duration == nanoseconds::zero()) {
        add(end, to);
      } else if (diff > 0) {
        for (std::int64_t u = from + 1; u <= to; ++u)
          add(end - nanoseconds(st.duration.count() * (to - u) / diff), u);
      } else {
        for (std::int64_t u = from; u > to; --u)
          add(end - nanoseconds(st.duration.count() * (u - 1 - to) / -diff), u - 1);
      }
      from = to;
    }
    return out;
  }

  void validate() const {
    validate_base();
    if (start_vus_ < 0)
      throw config_error("startVUs", std::to_string(start_vus_), "an integer >= 0");
    if (stages_.empty())
      throw config_error("stages", "[]", "at least one stage {duration, target}");
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      if (stages_[i].duration < nanoseconds::zero())
        throw config_error("stages[" + std::to_string(i) + "].duration",
                           format_go_duration(stages_[i].duration), "a duration >= 0");
      if (stages_[i].target < 0)
        throw config_error("stages[" + std::to_string(i) + "].target",
                           std::to_string(stages_[i].target), "an integer >= 0");
    }
    if (graceful_ramp_down_ < nanoseconds::zero())
      throw config_error("gracefulRampDown", format_go_duration(graceful_ramp_down_),
                         "a duration >= 0");
    if (max_vus() == 0)
      throw config_error("stages", "(every target 0)", "a stage or startVUs with a target > 0");
  }
  std::string description() const {
    return "Up to " + std::to_string(max_vus()) + " looping VUs for " +
           format_go_duration(regular_duration()) + " over " + std::to_string(stages_.size()) +
           " stages (gracefulRampDown: " + format_go_duration(graceful_ramp_down_) +
           common_description() + ")";
  }

 private:
  std::int64_t start_vus_;
  std::vector<stage> stages_;
  nanoseconds graceful_ramp_down_ = default_graceful_stop;
};

namespace detail {

// What an externally-controlled scenario's control shares with the runners that apply it.
class external_vus {
 public:
  external_vus(std::int64_t vus, std::int64_t max_vus) : vus_(vus), max_vus_(max_vus) {}

  std::int64_t vus() const noexcept { return vus_.load(std::memory_order_relaxed); }
  std::int64_t max_vus() const noexcept { return max_vus_; }
  void validate(std::int64_t vus) const {
    if (vus < 0) throw config_error("vus", std::to_string(vus), "an integer >= 0");
    if (vus > max_vus_)
      throw config_error("vus", std::to_string(vus),
                         "at most maxVUs (" + std::to_string(max_vus_) +
                             "): the number of active VUs must be less than or equal to the "
                             "number of maxVUs");
  }
  void set(std::int64_t vus) {
    validate(vus);
    std::lock_guard<std::mutex> lock(mutex_);
    vus_.store(vus, std::memory_order_relaxed);
    for (auto& apply : listeners_)
      apply(vus);
  }
  // The engine's runners, for the length of a run: each applies a change on its shard.
  void listen(std::function<void(std::int64_t)> apply) {
    std::lock_guard<std::mutex> lock(mutex_);
    listeners_.push_back(std::move(apply));
  }
  void stop_listening() {
    std::lock_guard<std::mutex> lock(mutex_);
    listeners_.clear();
  }

 private:
  std::atomic<std::int64_t> vus_;
  const std::int64_t max_vus_;
  std::mutex mutex_;
  std::vector<std::function<void(std::int64_t)>> listeners_;
};

}  // namespace detail

// k6's `k6 scale --vus N` for an externally-controlled scenario, from the program that runs
// the test: thread-safe, callable before and during the run (also from a flow).
class vu_control {
 public:
  explicit vu_control(std::int64_t vus = 0, std::int64_t max_vus = 1)
      : state_(std::make_shared<detail::external_vus>(vus, max_vus)) {}
  // Scales the looping VUs to `vus`: new ones start at once, VUs taken out finish their
  // iteration first. More than maxVUs is refused (config_error naming both).
  void scale(std::int64_t vus) { state_->set(vus); }
  std::int64_t vus() const noexcept { return state_->vus(); }
  std::int64_t max_vus() const noexcept { return state_->max_vus(); }

 private:
  friend class externally_controlled;
  std::shared_ptr<detail::external_vus> state_;
};

// Closed model, k6's externally-controlled: `control.scale(n)` sets how many of maxVUs VUs
// loop, while the run goes. duration 0 runs until the test is stopped. At the end of the
// duration iterations are interrupted (k6 has no gracefulStop here).
class externally_controlled : public executor_base<externally_controlled> {
 public:
  explicit externally_controlled(const vu_control& control) : state_(control.state_) {}
  externally_controlled& duration(nanoseconds d) {
    duration_ = d;
    return *this;
  }
  nanoseconds duration() const noexcept { return duration_; }
  // "Infinite" is a century here.
  nanoseconds regular_duration() const noexcept {
    return duration_ == nanoseconds::zero() ? nanoseconds(std::chrono::hours(24 * 365 * 100))
                                            : duration_;
  }
  std::int64_t max_vus() const noexcept { return state_->max_vus(); }
  std::int64_t pre_allocated_vus() const noexcept { return state_->max_vus(); }
  detail::external_vus& control() const noexcept { return *state_; }

  void validate() const {
    validate_base();
    if (graceful_stop() != default_graceful_stop)
      throw config_error("gracefulStop", format_go_duration(graceful_stop()),
                         "none: gracefulStop is not supported by the externally controlled "
                         "executor");
    if (state_->max_vus() <= 0)
      throw config_error("maxVUs", std::to_string(state_->max_vus()), "an integer > 0");
    state_->validate(state_->vus());
    if (duration_ < nanoseconds::zero())
      throw config_error("duration", format_go_duration(duration_),
                         "a duration >= 0 (0 runs until the test is stopped)");
  }
  std::string description() const {
    return "Externally controlled execution with " + std::to_string(state_->vus()) + " VUs, " +
           std::to_string(state_->max_vus()) + " max VUs, " +
           (duration_ == nanoseconds::zero() ? std::string("infinite")
                                             : format_go_duration(duration_)) +
           " duration";
  }

 private:
  std::shared_ptr<detail::external_vus> state_;
  nanoseconds duration_{0};
};

using executor =
    std::variant<constant_arrival_rate, ramping_arrival_rate, constant_vus, per_vu_iterations,
                 shared_iterations, ramping_vus, externally_controlled>;

// The open-model executors: iterations start on a schedule, whether VUs are free or not.
template <class E>
inline constexpr bool is_arrival_executor =
    std::is_same_v<E, constant_arrival_rate> || std::is_same_v<E, ramping_arrival_rate>;
// The executors whose length is set by stages.
template <class E>
inline constexpr bool has_stages =
    std::is_same_v<E, ramping_arrival_rate> || std::is_same_v<E, ramping_vus>;

inline bool is_arrival_rate(const executor& e) {
  return std::holds_alternative<constant_arrival_rate>(e) ||
         std::holds_alternative<ramping_arrival_rate>(e);
}

}  // namespace pacer

#endif
