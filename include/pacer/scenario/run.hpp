#ifndef PACER_SCENARIO_RUN_HPP
#define PACER_SCENARIO_RUN_HPP

// pacer::run: carries out a test plan and returns what was measured.

#include <pacer/config.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/plan/scenario.hpp>

namespace pacer {

// Runs every scenario of the plan to completion and returns what was measured.
// Throws config_error (exit code 104) before sending anything if the plan is invalid.
PACER_DECL run_result run(const test_plan& plan);

}  // namespace pacer

#if !defined(PACER_SEPARATE_COMPILATION)
#include <pacer/scenario/impl/run.ipp>
#endif

#endif
