#ifndef PACER_SCENARIO_RESULT_HPP
#define PACER_SCENARIO_RESULT_HPP

// What a run measured: merged metrics, iteration accounting, checks and thresholds.

#include <pacer/core/duration.hpp>
#include <pacer/core/error.hpp>
#include <pacer/metrics/registry.hpp>
#include <pacer/plan/outcome.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pacer {

// What a run measured: merged metrics of all shards plus the counts k6 does not give.
struct run_result {
  metrics::registry registry;
  metrics::store metrics;
  nanoseconds test_run_duration{0};
  std::vector<scenario_outcome> scenarios;
  std::vector<check_outcome> checks;  // in the order first declared or met
  std::vector<std::string> groups;    // paths of every group met ("::setup", "::list::detail")
  std::vector<iteration_error> iteration_errors;
  // setup() or teardown() failed: k6's exit code for it (107, or 100/101 for a timeout)
  // and the message; the scenarios did not run when setup failed.
  std::optional<exit_code> script_failure;
  std::string script_error;
  std::vector<threshold_outcome> thresholds;
  bool aborted_by_threshold = false;
  std::map<int, std::uint64_t> failed_requests_by_error_code;
  std::vector<std::string> warnings;
  std::vector<std::string> summary_trend_stats;
  bool aborted_by_signal = false;
  unsigned threads = 0;
  std::string started_at;  // UTC, ISO 8601
  std::string host;
  std::uint64_t connections_opened = 0;
  std::uint64_t tls_sessions_resumed = 0;

  exit_code code() const noexcept {
    if (aborted_by_signal) return exit_code::aborted_by_signal;
    if (script_failure) return *script_failure;
    return thresholds_passed() ? exit_code::ok : exit_code::thresholds_failed;
  }

  bool thresholds_passed() const noexcept {
    if (aborted_by_threshold) return false;
    for (const auto& t : thresholds)
      if (!t.ok) return false;
    return true;
  }

  // The aggregate of a metric or submetric by its summary key, or nullptr.
  const metrics::sink* find(std::string_view key) const {
    for (std::uint32_t i = 0; i < registry.size(); ++i)
      if (registry.info(i).key == key) return &metrics[i];
    return nullptr;
  }
  // A counter's total (0 when absent).
  double count(std::string_view key) const {
    const auto* s = find(key);
    return s == nullptr ? 0 : s->sum;
  }

  scenario_outcome totals() const {
    scenario_outcome t;
    t.name = "all";
    for (auto& s : scenarios) {
      t.scheduled += s.scheduled;
      t.completed += s.completed;
      t.interrupted += s.interrupted;
      t.dropped += s.dropped;
      t.vus_initialized += s.vus_initialized;
    }
    return t;
  }
};

}  // namespace pacer

#endif
