#ifndef PACER_PACER_HPP
#define PACER_PACER_HPP

// Everything a load-test harness needs (PACER_MAIN and the --pacer_* flags are in
// <pacer/main.hpp>; the Catch2 and Google Benchmark adapters in their own headers).
#include <pacer/check/check.hpp>
#include <pacer/core/duration.hpp>
#include <pacer/core/env.hpp>
#include <pacer/core/error.hpp>
#include <pacer/http/request.hpp>
#include <pacer/http/tls.hpp>
#include <pacer/metrics/histogram.hpp>
#include <pacer/metrics/registry.hpp>
#include <pacer/plan/executors.hpp>
#include <pacer/plan/scenario.hpp>
#include <pacer/registration.hpp>
#include <pacer/report/progress_display.hpp>
#include <pacer/report/summary.hpp>
#include <pacer/report/summary_json.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/run.hpp>
#include <pacer/threshold/threshold.hpp>
#include <pacer/version.hpp>

#endif
