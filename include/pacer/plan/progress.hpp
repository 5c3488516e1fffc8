#ifndef PACER_PLAN_PROGRESS_HPP
#define PACER_PLAN_PROGRESS_HPP

// What a run reports while it goes: the figures behind k6's live progress display.

#include <pacer/core/duration.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace pacer {

// Where a scenario is in its life (k6's progress-bar status character).
enum class scenario_status {
  waiting,      // before its startTime ("•")
  running,      // regular duration ("" )
  stopping,     // graceful stop: waiting for in-flight iterations ("↓")
  finished,     // done, all iterations accounted for ("✓")
  interrupted,  // stopped early: signal, abortOnFail ("✗")
};

enum class executor_kind {
  constant_arrival_rate,
  ramping_arrival_rate,
  constant_vus,
  per_vu_iterations,
  shared_iterations,
  ramping_vus,
  externally_controlled
};

// One scenario at one moment.
struct scenario_progress {
  std::string name;
  executor_kind kind = executor_kind::constant_arrival_rate;
  scenario_status status = scenario_status::waiting;
  nanoseconds start_time{0};
  nanoseconds duration{0};  // regular duration (sum of stages for ramping)
  nanoseconds elapsed{0};   // since the scenario's own start (0 while waiting)
  // VUs running an iteration now, and VUs activated so far (pre-allocated plus
  // those created at run time); max_vus is the scenario's budget.
  std::int64_t busy_vus = 0;
  std::int64_t active_vus = 0;
  std::int64_t max_vus = 0;
  std::uint64_t completed = 0;
  std::uint64_t interrupted = 0;
  std::uint64_t dropped = 0;
  // Arrival-rate executors: the configured rate now, and the highest of the
  // schedule (for a stable column width), in iterations per second.
  double rate = 0;
  double max_rate = 0;
  // Iteration-count executors: the iterations of the whole scenario, and per VU.
  std::uint64_t total_iterations = 0;
  std::int64_t iterations_per_vu = 0;

  // Fraction done, as k6 computes it: iterations done over all of them for the
  // iteration-count executors, elapsed over the regular duration for the others.
  double progress() const noexcept {
    if (status == scenario_status::finished) return 1;
    if (total_iterations > 0) {
      const bool past = kind == executor_kind::per_vu_iterations && elapsed >= duration;
      const double p =
          static_cast<double>(completed + interrupted) / static_cast<double>(total_iterations);
      return past ? 1 : (p > 1 ? 1 : p);
    }
    if (duration.count() <= 0) return 0;
    double p = static_cast<double>(elapsed.count()) / static_cast<double>(duration.count());
    return p < 0 ? 0 : (p > 1 ? 1 : p);
  }
};

// The whole run at one moment; scenarios ordered by start time, then name.
struct progress_snapshot {
  nanoseconds elapsed{0};
  nanoseconds max_duration{0};  // longest scenario end incl. graceful stop
  std::int64_t busy_vus = 0;
  std::int64_t initialized_vus = 0;
  std::int64_t max_vus = 0;  // sum of every scenario's budget
  std::uint64_t completed = 0;
  std::uint64_t interrupted = 0;
  bool final = false;  // the last snapshot, taken after every shard stopped
  std::vector<scenario_progress> scenarios;
};

// Called by the run's coordinator thread (never a shard) with a fresh snapshot.
using progress_callback = std::function<void(const progress_snapshot&)>;

}  // namespace pacer

#endif
