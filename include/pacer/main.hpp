#ifndef PACER_MAIN_HPP
#define PACER_MAIN_HPP

// The main of registered load tests: PACER_MAIN(), or the same steps as public
// functions (initialize, run_registered) for programs with their own main.
// Nothing here calls std::exit: every path returns k6's exit code.

#include <pacer/check/check.hpp>
#include <pacer/cli/flags.hpp>
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
#include <pacer/scenario/adjust.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/run.hpp>
#include <pacer/threshold/threshold.hpp>
#include <pacer/version.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace pacer {

// Parses and removes the --pacer_* flags (see flags_usage()); what is left in
// argv belongs to the host program. Throws config_error on a bad value.
inline main_flags initialize(int& argc, char** argv, const env_lookup& env = process_env) {
  return parse_flags(argc, argv, env);
}

// Where run_registered writes: the summary, the progress display, errors.
struct main_streams {
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;
  bool out_is_terminal = progress_display::stdout_is_terminal();
  std::string program{};  // shown as the header's "script"
};

namespace detail {

inline text_summary_options text_options(bool colors) {
  text_summary_options o;
  o.indent = " ";
  o.enable_colors = colors;
  return o;
}

inline std::string render_output(const summary& s, output_format f) {
  switch (f) {
    case output_format::json:
      return s.json(2);
    case output_format::export_:
      return s.export_json();
    case output_format::text:
      break;
  }
  return s.text(text_options(false));
}

inline std::vector<output_spec> resolve_outputs(const main_flags& flags) {
  if (!flags.outs.empty()) return flags.outs;
  std::vector<output_spec> outs;
  for (const auto& spec : registered_options()->outs())
    outs.push_back(parse_output(spec));
  return outs;
}

// Refuses, before any traffic, an output that could not be written at the end.
inline void check_outputs(const std::vector<output_spec>& outs) {
  for (const auto& o : outs) {
    if (o.path == "-") continue;
    std::filesystem::path p(o.path);
    std::error_code ec;
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    if (!can_write_file(o.path))
      throw config_error("--pacer_out", o.path, "a file path that can be written");
  }
}

}  // namespace detail

// The registered plan with the flags applied: filter, durations, dry run,
// thresholds, TLS, trend statistics, threads.
inline test_plan registered_plan(const main_flags& flags) {
  test_plan plan = registered_plan();
  if (flags.filter) filter_scenarios(plan, *flags.filter);
  if (flags.duration) override_duration(plan, *flags.duration);
  if (flags.duration_scale) scale_durations(plan, *flags.duration_scale);
  if (flags.dry_run) make_dry_run(plan);
  if (flags.no_thresholds) plan.thresholds.clear();
  if (flags.threads) plan.options.threads = *flags.threads;
  if (flags.insecure_skip_tls_verify)
    plan.options.tls.insecure_skip_verify = *flags.insecure_skip_tls_verify;
  if (flags.summary_trend_stats) plan.options.summary_trend_stats = *flags.summary_trend_stats;
  return plan;
}

// Runs what was registered as the flags say and writes the summaries. Returns
// k6's exit code: 0, 99 (thresholds failed), 104 (invalid configuration) or 105
// (stopped by a signal).
inline int run_registered(const main_flags& flags, const main_streams& io = {}) {
  try {
    // k6's --env: the scenario functions read these through env_or/secret_env.
    for (const auto& [key, value] : flags.env)
      ::setenv(key.c_str(), value.c_str(), 1);
    if (flags.list) {
      std::optional<std::regex> re;
      if (flags.filter) re.emplace(*flags.filter);
      for (const auto& name : registered_scenario_names())
        if (!re || std::regex_search(name, *re)) io.out << name << "\n";
      return 0;
    }
    test_plan plan = registered_plan(flags);
    auto outs = detail::resolve_outputs(flags);
    detail::check_outputs(outs);
    plan.options.handle_signals = true;
    std::optional<progress_display> display;
    if (!flags.quiet) {
      // k6's "output" names streaming outputs; summary files are handleSummary's.
      io.out << render_run_header(plan, io.program, "-", io.out_is_terminal) << "\n" << std::flush;
      display.emplace(io.out, io.out_is_terminal);
      plan.options.progress = std::ref(*display);
      plan.options.progress_interval = display->interval();
    }
    run_result result = run(plan);
    summary s(result);
    bool summary_on_stdout = false;
    for (const auto& o : outs) {
      std::string text = detail::render_output(s, o.format);
      if (o.path == "-") {
        io.out << text << (text.empty() || text.back() != '\n' ? "\n" : "") << std::flush;
        summary_on_stdout = true;
      } else if (!write_file(o.path, text)) {
        io.err << "could not write the summary file " << o.path << "\n";
      }
    }
    if (!summary_on_stdout)
      io.out << s.text(detail::text_options(io.out_is_terminal && summary::colors_for_stdout()))
             << "\n"
             << std::flush;
    for (const auto& w : result.warnings)
      io.err << "warning: " << w << "\n";
    return static_cast<int>(s.code());
  } catch (const config_error& e) {
    io.err << e.what() << "\n";
    return static_cast<int>(exit_code::invalid_config);
  } catch (const std::regex_error& e) {
    io.err << "invalid --pacer_filter: " << e.what() << "\n";
    return static_cast<int>(exit_code::invalid_config);
  } catch (const std::exception& e) {
    // Anything else still ends with a message and k6's code for other errors.
    io.err << e.what() << "\n";
    return static_cast<int>(exit_code::other_error);
  }
}

// The whole program of PACER_MAIN: flags, help, unknown arguments, the run.
inline int main(int argc, char** argv) {
  const std::string self = argc > 0 && argv[0] != nullptr ? argv[0] : "pacer";
  main_flags flags;
  try {
    flags = initialize(argc, argv);
  } catch (const config_error& e) {
    std::cerr << self << ": " << e.what() << "\n";
    return static_cast<int>(exit_code::invalid_config);
  }
  if (flags.help) {
    std::cout << "usage: " << self << " [--pacer_* flags]\n" << flags_usage();
    return 0;
  }
  // Nobody else reads this command line: what is left is a mistake.
  if (argc > 1) {
    std::cerr << self << ": "
              << config_error("argument", argv[1], "a --pacer_* flag (see --help)").what() << "\n";
    return static_cast<int>(exit_code::invalid_config);
  }
  return run_registered(flags, {.program = std::filesystem::path(self).filename().string()});
}

}  // namespace pacer

// int main(int argc, char** argv) { return ::pacer::main(argc, argv); } — ending in
// a declaration so that the `;` after PACER_MAIN() is not an empty declaration.
#define PACER_MAIN()                  \
  int main(int argc, char** argv) {   \
    return ::pacer::main(argc, argv); \
  }                                   \
  static_assert(true, "PACER_MAIN() ends with a semicolon")

#endif
