#ifndef PACER_SCENARIO_ADJUST_HPP
#define PACER_SCENARIO_ADJUST_HPP

// Whole-plan changes a command line asks for: another duration, a scaled-down
// smoke run, a dry run of one iteration per scenario, a subset of scenarios.

#include <pacer/plan/scenario.hpp>

#include <cmath>
#include <regex>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace pacer {

// Sets every scenario's regular duration to `d`; ramping stages keep their shape.
inline void override_duration(test_plan& plan, nanoseconds d) {
  for (auto& sc : plan.scenarios) {
    std::visit(
        [&](auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (has_stages<E>) {
            auto total = e.regular_duration();
            std::vector<stage> scaled = e.stages();
            if (total.count() > 0)
              for (auto& s : scaled)
                s.duration = nanoseconds(static_cast<std::int64_t>(
                    static_cast<long double>(s.duration.count()) * d.count() / total.count()));
            e.stages(std::move(scaled));
          } else {
            e.duration(d);
          }
        },
        sc.exec);
  }
}

// Multiplies every duration, stage and start time by `factor` (graceful stops and
// request timeouts stay: they bound the server, not the test's length). Durations
// are kept at 1 s or more where k6 requires it.
inline void scale_durations(test_plan& plan, double factor) {
  auto scaled = [&](nanoseconds d) {
    return nanoseconds(static_cast<std::int64_t>(
        std::llround(static_cast<long double>(d.count()) * static_cast<long double>(factor))));
  };
  for (auto& sc : plan.scenarios) {
    std::visit(
        [&](auto& e) {
          using E = std::decay_t<decltype(e)>;
          e.start_time(scaled(e.start_time()));
          if constexpr (has_stages<E>) {
            std::vector<stage> stages = e.stages();
            for (auto& s : stages)
              s.duration = scaled(s.duration);
            e.stages(std::move(stages));
          } else {
            e.duration(std::max<nanoseconds>(scaled(e.duration()), std::chrono::seconds(1)));
          }
        },
        sc.exec);
  }
}

// One iteration per scenario, at once, on one VU: checks that requests, checks and
// outputs work without putting load on anything. Thresholds are dropped.
inline void make_dry_run(test_plan& plan) {
  for (auto& sc : plan.scenarios) {
    nanoseconds graceful = std::visit([](const auto& e) { return e.graceful_stop(); }, sc.exec);
    // One arrival per second for one second is exactly one iteration, at t = 0.
    sc.exec = constant_arrival_rate(1, std::chrono::seconds(1))
                  .duration(std::chrono::seconds(1))
                  .pre_allocated_vus(1)
                  .max_vus(1)
                  .graceful_stop(graceful);
  }
  plan.thresholds.clear();
}

// Keeps the scenarios whose name matches `pattern` (ECMAScript regex, searched).
inline void filter_scenarios(test_plan& plan, const std::string& pattern) {
  std::regex re(pattern);
  std::erase_if(plan.scenarios,
                [&](const scenario& sc) { return !std::regex_search(sc.name, re); });
  if (plan.scenarios.empty())
    throw config_error("--pacer_filter", pattern, "a regex matching at least one scenario name");
}

}  // namespace pacer

#endif
