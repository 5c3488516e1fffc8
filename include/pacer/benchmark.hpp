// Google Benchmark bridge: a pacer test plan registered as a benchmark, run once per benchmark
// iteration, with its k6 figures (rps, failure rate, http_req_duration percentiles, checks,
// failed thresholds) as counters, so load results reach --benchmark_out JSON tooling.
//
// Opt-in, never included by <pacer/pacer.hpp>; needs Google Benchmark 1.7 or later.
//
//   static auto* bench = pacer::gbench::register_plan("bulk_renewal", make_plan)
//                            ->Unit(benchmark::kMillisecond);
//   BENCHMARK_MAIN();
//
// The benchmark uses manual time: an iteration's time is the run's test_run_duration. It runs
// one iteration per repetition unless told otherwise, and leaves --benchmark_repetitions (and,
// with iterations = 0, --benchmark_min_time) to Google Benchmark. Do not add ->Threads(): each
// thread would run the whole plan at once.
#ifndef PACER_BENCHMARK_HPP
#define PACER_BENCHMARK_HPP

#include <pacer/core/error.hpp>
#include <pacer/plan/scenario.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/run.hpp>

#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace pacer::gbench {

struct register_options {
  // Plan runs per repetition. 0 leaves the count to --benchmark_min_time (a run lasts the
  // plan's duration, so one is usually enough).
  benchmark::IterationCount iterations = 1;
};

// Builds the plan when the benchmark runs (after flags are parsed, and not at all when the
// benchmark is filtered out).
using plan_factory = std::function<test_plan()>;

}  // namespace pacer::gbench

namespace pacer::detail::gbench {

// The figures one run reports, summed over iterations (Google Benchmark averages them).
struct figures {
  double rps = 0, failed_rate = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0, checks_rate = 0,
         thresholds_failed = 0;
  bool has_checks = false;

  void add(const run_result& r) {
    const double seconds = static_cast<double>(r.test_run_duration.count()) / 1e9;
    rps += seconds > 0 ? r.count("http_reqs") / seconds : 0;
    if (const auto* f = r.find("http_req_failed"); f != nullptr && f->total > 0)
      failed_rate += static_cast<double>(f->passes) / static_cast<double>(f->total);
    if (const auto* d = r.find("http_req_duration"); d != nullptr && d->trend.count() > 0) {
      p50_ms += d->trend.percentile(50) / 1e6;
      p95_ms += d->trend.percentile(95) / 1e6;
      p99_ms += d->trend.percentile(99) / 1e6;
      max_ms += static_cast<double>(d->trend.max()) / 1e6;
    }
    if (const auto* c = r.find("checks"); c != nullptr && c->total > 0) {
      has_checks = true;
      checks_rate += static_cast<double>(c->passes) / static_cast<double>(c->total);
    }
    for (const auto& t : r.thresholds)
      thresholds_failed += t.ok ? 0 : 1;
  }

  void report(benchmark::State& state) const {
    auto set = [&](const char* name, double v) {
      state.counters[name] = benchmark::Counter(v, benchmark::Counter::kAvgIterations);
    };
    set("rps", rps);
    set("failed_rate", failed_rate);
    set("p50_ms", p50_ms);
    set("p95_ms", p95_ms);
    set("p99_ms", p99_ms);
    set("max_ms", max_ms);
    // k6 has no checks metric without checks; neither do we.
    if (has_checks) set("checks_rate", checks_rate);
    set("thresholds_failed", thresholds_failed);
  }
};

// Why a run fails the benchmark, with its figures: Google Benchmark drops the counters of a
// benchmark that reports an error, so the message has to carry them.
inline std::string threshold_failure(const run_result& r) {
  std::string failed;
  for (const auto& t : r.thresholds)
    if (!t.ok) failed += (failed.empty() ? "" : ", ") + t.key + " " + t.source;
  if (r.aborted_by_threshold) failed += std::string(failed.empty() ? "" : "; ") + "run aborted";
  figures f;
  f.add(r);
  char buf[160];
  std::snprintf(buf, sizeof buf, " (rps %.2f, failed %.2f%%, p95 %.2f ms, p99 %.2f ms)", f.rps,
                f.failed_rate * 100, f.p95_ms, f.p99_ms);
  return "thresholds failed: " + failed + buf;
}

inline void run_plan(benchmark::State& state, const test_plan& plan) {
  figures sum;
  std::string error;
  for (auto _ : state) {
    run_result r;
    try {
      r = pacer::run(plan);
    } catch (const config_error& e) {
      error = std::string("invalid configuration: ") + e.what();
    } catch (const std::exception& e) {
      error = std::string("run failed: ") + e.what();
    }
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      return;
    }
    state.SetIterationTime(static_cast<double>(r.test_run_duration.count()) / 1e9);
    sum.add(r);
    if (!r.thresholds_passed() && error.empty()) error = threshold_failure(r);
  }
  sum.report(state);
  if (!error.empty()) state.SkipWithError(error.c_str());
}

inline benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b,
                                                 const pacer::gbench::register_options& options) {
  b->UseManualTime();
  if (options.iterations > 0) b->Iterations(options.iterations);
  return b;
}

}  // namespace pacer::detail::gbench

namespace pacer::gbench {

// Registers benchmark `name` running the plan `make_plan` builds. Returns Google Benchmark's
// builder for further settings (->Unit(benchmark::kMillisecond), ->Repetitions(n), ...).
// A plan that fails to build or is invalid (config_error), or whose thresholds fail, reports
// the benchmark as an error with the reason.
inline benchmark::internal::Benchmark* register_plan(const std::string& name,
                                                     plan_factory make_plan,
                                                     register_options options = {}) {
  auto run = [make_plan = std::move(make_plan)](benchmark::State& state) {
    std::unique_ptr<test_plan> plan;
    try {
      plan = std::make_unique<test_plan>(make_plan());
    } catch (const config_error& e) {
      state.SkipWithError((std::string("invalid configuration: ") + e.what()).c_str());
      return;
    } catch (const std::exception& e) {
      state.SkipWithError((std::string("building the plan failed: ") + e.what()).c_str());
      return;
    }
    detail::gbench::run_plan(state, *plan);
  };
  return detail::gbench::configure(benchmark::RegisterBenchmark(name.c_str(), std::move(run)),
                                   options);
}

// The same with a plan built beforehand.
inline benchmark::internal::Benchmark* register_plan(const std::string& name, test_plan plan,
                                                     register_options options = {}) {
  auto shared = std::make_shared<const test_plan>(std::move(plan));
  return detail::gbench::configure(
      benchmark::RegisterBenchmark(
          name.c_str(),
          [shared](benchmark::State& state) { detail::gbench::run_plan(state, *shared); }),
      options);
}

}  // namespace pacer::gbench

#endif
