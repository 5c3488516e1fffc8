#ifndef PACER_CLI_RUN_MAIN_HPP
#define PACER_CLI_RUN_MAIN_HPP

// run_main: the command line, summary handler and exit code of a builder-style harness.

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
#include <pacer/report/progress_display.hpp>
#include <pacer/report/summary.hpp>
#include <pacer/scenario/adjust.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/run.hpp>
#include <pacer/threshold/threshold.hpp>
#include <pacer/version.hpp>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace pacer {

// k6's handleSummary: turns the summary into outputs ("stdout", "stderr", or a
// file path, relative paths being written under the results directory).
using summary_handler = std::function<summary_outputs(const summary&)>;

// What a harness built on run_main accepts on its command line.
struct main_options {
  std::optional<nanoseconds> duration;  // shortens (or lengthens) every scenario
  std::string results_dir = "results";
  bool quiet = false;
  bool help = false;
};

inline constexpr std::string_view main_usage = R"(options:
  --duration D       run every scenario for D instead (k6 durations: 30s, 5m, 1h30m)
  --results-dir DIR  where relative summary files go (default: results)
  --quiet            no run header and no live progress display
  --help             this text
exit codes: 0 passed, 99 thresholds failed, 104 invalid configuration, 105 stopped by a signal,
  107 setup() or teardown() threw (100 / 101: timed out)
)";

inline main_options parse_main_args(int argc, char** argv) {
  main_options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    auto next = [&]() -> std::string {
      if (inline_value) return value;
      if (i + 1 >= argc) throw config_error(arg, "", "a value after " + arg);
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      o.help = true;
    } else if (arg == "--duration") {
      o.duration = parse_duration(next(), "--duration");
    } else if (arg == "--quiet" || arg == "-q") {
      o.quiet = true;
    } else if (arg == "--results-dir") {
      o.results_dir = next();
      if (o.results_dir.empty()) throw config_error("--results-dir", "", "a directory path");
    } else {
      throw config_error("option", arg, "--duration D, --results-dir DIR, --quiet or --help");
    }
  }
  return o;
}

// Writes a handler's outputs; a failure is reported and does not change the
// exit code (as in k6).
inline void write_outputs(const summary_outputs& outputs, const std::string& results_dir) {
  for (const auto& [key, text] : outputs) {
    if (key == "stdout") {
      // k6 prints the text as is; a final newline keeps the shell prompt apart.
      std::cout << text << (text.empty() || text.back() != '\n' ? "\n" : "") << std::flush;
      continue;
    }
    if (key == "stderr") {
      std::cerr << text << std::flush;
      continue;
    }
    std::filesystem::path path(key);
    if (path.is_relative()) path = std::filesystem::path(results_dir) / path;
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    if (!write_file(path.string(), text))
      std::cerr << "could not write the summary file " << path.string() << "\n";
  }
}

// The whole program of a harness: flags, plan, run, summary handler, exit code.
// The plan is built by `make_plan` inside the error handling, so a bad URL, header
// or threshold in it exits 104 with its message instead of ending the program.
inline int run_main(int argc, char** argv, const std::function<test_plan()>& make_plan,
                    const summary_handler& handler) {
  const char* self = argc > 0 ? argv[0] : "pacer";
  try {
    main_options o = parse_main_args(argc, argv);
    if (o.help) {
      std::cout << "usage: " << self << " [options]\n" << main_usage;
      return 0;
    }
    test_plan plan = make_plan();
    if (o.duration) override_duration(plan, *o.duration);
    std::error_code ec;
    std::filesystem::create_directories(o.results_dir, ec);
    if (ec || !std::filesystem::is_directory(o.results_dir))
      throw config_error("--results-dir", o.results_dir, "a directory that can be created");
    plan.options.handle_signals = true;
    std::optional<progress_display> display;
    if (!o.quiet) {
      const bool terminal = progress_display::stdout_is_terminal();
      std::cout << render_run_header(plan, std::filesystem::path(self).filename().string(), "-",
                                     terminal)
                << "\n"
                << std::flush;
      display.emplace(std::cout, terminal);
      plan.options.progress = std::ref(*display);
      plan.options.progress_interval = display->interval();
    }
    run_result r = run(plan);
    summary s(r);
    write_outputs(handler(s), o.results_dir);
    // Each distinct iteration error once, with its count; setup failures; VU shortages.
    for (const auto& w : r.warnings)
      std::cerr << "warning: " << w << "\n";
    return static_cast<int>(s.code());
  } catch (const config_error& e) {
    std::cerr << self << ": " << e.what() << "\n";
    return static_cast<int>(exit_code::invalid_config);
  } catch (const std::exception& e) {
    // Anything else (out of memory, a failing system call) still ends with a
    // message and k6's code for other errors, never with an abort.
    std::cerr << self << ": " << e.what() << "\n";
    return static_cast<int>(exit_code::other_error);
  }
}

// The same for a plan built beforehand.
inline int run_main(test_plan plan, int argc, char** argv, const summary_handler& handler) {
  return run_main(
      argc, argv, [&plan] { return std::move(plan); }, handler);
}

}  // namespace pacer

#endif
