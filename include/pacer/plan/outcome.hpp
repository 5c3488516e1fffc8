#ifndef PACER_PLAN_OUTCOME_HPP
#define PACER_PLAN_OUTCOME_HPP

// How a scenario's iterations, checks and thresholds ended: the counts the engine keeps
// beside its metrics, and the run result reports.

#include <cstdint>
#include <string>

namespace pacer {

// How the iterations of one scenario ended. Every scheduled iteration ends as
// exactly one of completed, interrupted or dropped.
struct scenario_outcome {
  std::string name;
  std::string description;
  std::uint64_t scheduled = 0;
  std::uint64_t completed = 0;
  std::uint64_t interrupted = 0;
  std::uint64_t dropped = 0;
  std::int64_t vus_initialized = 0;
};

// One k6 check in the summary's group tree: in the group at path `group` ("" for the
// root group, "::list::detail" for a nested one); its own path is group + "::" + name.
struct check_outcome {
  std::string name;
  std::uint64_t passes = 0;
  std::uint64_t fails = 0;
  std::string group;
};

// An exception that ended iterations of a scenario, with how often it did (k6 logs each
// one; pacer reports each distinct message once, with its count).
struct iteration_error {
  std::string scenario;  // "setup" / "teardown" for those functions
  std::string message;
  std::uint64_t count = 0;
};

// The final evaluation of one threshold expression.
struct threshold_outcome {
  std::string key;     // metric or submetric, e.g. "http_req_duration{scenario:x}"
  std::string source;  // the expression as written, e.g. "p(99)<5000"
  bool ok = true;
  bool aborted = false;  // this abortOnFail threshold stopped the run
};

}  // namespace pacer

#endif
