#ifndef PACER_CLI_HTTP_HARNESS_HPP
#define PACER_CLI_HTTP_HARNESS_HPP

// pacer-http: one request template from the command line, as an open or closed model.

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
#include <pacer/report/summary_json.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/run.hpp>
#include <pacer/threshold/threshold.hpp>
#include <pacer/version.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace pacer::cli {

// What the `pacer-http` command line asks for.
struct http_harness_config {
  test_plan plan;
  std::string summary_json;
  std::string summary_export;
  bool help = false;
};

inline constexpr std::string_view http_harness_usage = R"(usage: pacer-http URL [options]

Sends one request template as an open model (--rate) or a closed model (--vus)
and reports k6 metrics. Durations take k6 forms: 300ms, 30s, 5m, 1h30m.

request:
  --method M                  HTTP method (default GET)
  --header 'Name: value'      request header; repeatable
  --body TEXT                 request body
  --body-file FILE            request body read from FILE
  --timeout D                 per-request timeout (default 60s)
  --tag key=value             tag on every sample; repeatable
  --expected-statuses LO-HI   statuses http_req_failed counts as success (default 200-399)
  --max-redirects N           redirects to follow, each a request of its own (default 0)
open model (constant-arrival-rate):
  --rate N                    iterations per time unit
  --time-unit D               (default 1s)
  --pre-allocated-vus N       VUs created before the start (default 100)
  --max-vus N                 VUs allowed in all (default: --pre-allocated-vus)
  --pacing-slack D            start iterations up to D late so one wake-up starts all
                              that fall due within D (default 0: each at its due time)
closed model (constant-vus, the default):
  --vus N                     looping VUs (default 1)
both:
  --duration D                (default 10s)
  --graceful-stop D           time in-flight iterations get after the end (default 30s)
  --threads N                 shards, one thread each (default: hardware threads)
  --preconnect                open the VUs' connections (and TLS sessions) before the
                              test clock starts, so the first iterations do not pay them
  --as-flow                   send the request from a one-request flow (a coroutine
                              iteration) instead of a template: what a flow costs
TLS:
  --insecure-skip-tls-verify  do not verify server certificates
  --cacert FILE               also trust the CA certificates in FILE (PEM)
limits:
  --max-header-bytes N        response header limit (default 1048576)
  --max-body-bytes N          response body limit (default 67108864)
thresholds (k6 grammar; a failed one makes the exit code 99):
  --threshold 'METRIC=EXPR'   e.g. 'http_req_duration=p(99)<500' or
                              'http_req_failed{status:503}=rate<0.01'; repeatable
output:
  --summary-json FILE         k6 handleSummary data (JSON)
  --summary-export FILE       what k6's --summary-export writes
  --summary-trend-stats LIST  e.g. avg,min,med,max,p(90),p(95),p(99)
exit codes: 0 done, 99 thresholds failed, 104 invalid configuration, 105 stopped by a signal
)";

namespace detail {

inline std::int64_t parse_integer(std::string_view flag, std::string_view text, std::int64_t min,
                                  std::string_view accepted) {
  bool ok = !text.empty() && text.size() <= 18;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + (c - '0');
  }
  if (!ok || v < min)
    throw config_error(std::string(flag), std::string(text), std::string(accepted));
  return v;
}

inline std::string read_text_file(std::string_view flag, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw config_error(std::string(flag), path, "a readable file");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace detail

// Parses the command line; throws config_error naming the flag on bad input.
inline http_harness_config parse_http_harness_args(const std::vector<std::string>& args) {
  http_harness_config cfg;
  std::optional<std::string> url, method, body, time_unit, duration, graceful_stop, timeout,
      pacing_slack;
  std::optional<std::int64_t> rate, pre_vus, max_vus, vus;
  std::vector<std::pair<std::string, std::string>> headers, tags;
  std::optional<std::pair<int, int>> expected;
  std::optional<std::int64_t> redirects;
  std::vector<std::pair<std::string, std::string>> thresholds;
  bool insecure = false;
  bool preconnect = false;
  bool as_flow = false;
  std::string cacert;
  http::response_limits limits;
  unsigned threads = 0;
  std::vector<std::string> trend_stats(std::begin(default_trend_stats),
                                       std::end(default_trend_stats));

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      if (auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        has_inline = true;
      }
    } else {
      if (url) throw config_error("URL", arg, "a single URL; options start with --");
      url = arg;
      continue;
    }
    auto flag_is = [&](std::string_view name) { return arg == name; };
    auto need_value = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= args.size()) throw config_error(arg, "", "a value after " + arg);
      return args[++i];
    };
    if (flag_is("--help") || flag_is("-h")) {
      cfg.help = true;
      return cfg;
    } else if (flag_is("--method")) {
      method = need_value();
    } else if (flag_is("--header")) {
      std::string h = need_value();
      auto colon = h.find(':');
      if (colon == std::string::npos || colon == 0)
        throw config_error("--header", h.substr(0, h.find(':')), "'Name: value'");
      std::string name = h.substr(0, colon);
      std::string v = h.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.erase(0, 1);
      headers.emplace_back(name, v);
    } else if (flag_is("--body")) {
      body = need_value();
    } else if (flag_is("--body-file")) {
      body = detail::read_text_file("--body-file", need_value());
    } else if (flag_is("--timeout")) {
      timeout = need_value();
    } else if (flag_is("--tag")) {
      std::string t = need_value();
      auto eq = t.find('=');
      if (eq == std::string::npos || eq == 0) throw config_error("--tag", t, "key=value");
      tags.emplace_back(t.substr(0, eq), t.substr(eq + 1));
    } else if (flag_is("--expected-statuses")) {
      std::string e = need_value();
      auto dash = e.find('-');
      if (dash == std::string::npos)
        throw config_error("--expected-statuses", e, "LO-HI, e.g. 200-399");
      auto lo = detail::parse_integer("--expected-statuses", e.substr(0, dash), 100,
                                      "LO-HI, e.g. 200-399");
      auto hi = detail::parse_integer("--expected-statuses", e.substr(dash + 1), 100,
                                      "LO-HI, e.g. 200-399");
      expected = {static_cast<int>(lo), static_cast<int>(hi)};
    } else if (flag_is("--threshold")) {
      std::string t = need_value();
      // The metric key ends at the first '=' outside its {tags}.
      std::size_t depth = 0, split = std::string::npos;
      for (std::size_t k = 0; k < t.size() && split == std::string::npos; ++k) {
        if (t[k] == '{')
          ++depth;
        else if (t[k] == '}' && depth > 0)
          --depth;
        else if (t[k] == '=' && depth == 0)
          split = k;
      }
      if (split == std::string::npos || split == 0 || split + 1 == t.size())
        throw config_error("--threshold", t, "METRIC=EXPR, e.g. 'http_req_duration=p(99)<500'");
      thresholds.emplace_back(t.substr(0, split), t.substr(split + 1));
    } else if (flag_is("--max-redirects")) {
      redirects = detail::parse_integer("--max-redirects", need_value(), 0, "an integer 0-100");
      if (*redirects > 100)
        throw config_error("--max-redirects", std::to_string(*redirects), "an integer 0-100");
    } else if (flag_is("--rate")) {
      rate = detail::parse_integer("--rate", need_value(), 1, "an integer > 0");
    } else if (flag_is("--time-unit")) {
      time_unit = need_value();
    } else if (flag_is("--pre-allocated-vus")) {
      pre_vus = detail::parse_integer("--pre-allocated-vus", need_value(), 0, "an integer >= 0");
    } else if (flag_is("--max-vus")) {
      max_vus = detail::parse_integer("--max-vus", need_value(), 1, "an integer > 0");
    } else if (flag_is("--vus")) {
      vus = detail::parse_integer("--vus", need_value(), 1, "an integer > 0");
    } else if (flag_is("--duration")) {
      duration = need_value();
    } else if (flag_is("--graceful-stop")) {
      graceful_stop = need_value();
    } else if (flag_is("--pacing-slack")) {
      pacing_slack = need_value();
    } else if (flag_is("--threads")) {
      threads = static_cast<unsigned>(
          detail::parse_integer("--threads", need_value(), 1, "an integer between 1 and 1024"));
      if (threads > 1024)
        throw config_error("--threads", std::to_string(threads), "an integer between 1 and 1024");
    } else if (flag_is("--preconnect")) {
      if (has_inline) throw config_error(arg, value, "no value");
      preconnect = true;
    } else if (flag_is("--as-flow")) {
      if (has_inline) throw config_error(arg, value, "no value");
      as_flow = true;
    } else if (flag_is("--insecure-skip-tls-verify")) {
      if (has_inline) throw config_error(arg, value, "no value");
      insecure = true;
    } else if (flag_is("--cacert")) {
      cacert = need_value();
    } else if (flag_is("--max-header-bytes")) {
      limits.header_bytes = static_cast<std::uint64_t>(
          detail::parse_integer("--max-header-bytes", need_value(), 1024, "an integer >= 1024"));
      if (limits.header_bytes > 0xffffffffULL)
        throw config_error("--max-header-bytes", std::to_string(limits.header_bytes),
                           "at most 4294967295");
    } else if (flag_is("--max-body-bytes")) {
      limits.body_bytes = static_cast<std::uint64_t>(
          detail::parse_integer("--max-body-bytes", need_value(), 0, "an integer >= 0"));
    } else if (flag_is("--summary-json")) {
      cfg.summary_json = need_value();
    } else if (flag_is("--summary-export")) {
      cfg.summary_export = need_value();
    } else if (flag_is("--summary-trend-stats")) {
      std::string list = need_value();
      trend_stats.clear();
      std::size_t start = 0;
      while (start <= list.size()) {
        auto comma = list.find(',', start);
        std::string item =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item.empty())
          throw config_error("--summary-trend-stats", list,
                             "a comma-separated list such as avg,min,med,max,p(95),p(99)");
        trend_stats.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else {
      throw config_error("option", arg, "one of the options listed by --help");
    }
  }

  if (!url)
    throw config_error("URL", "",
                       "a target URL as the first argument, e.g. http://127.0.0.1:8080/");
  http::request req(method.value_or("GET"), *url);
  for (auto& [k, v] : headers)
    req.header(k, v);
  if (body) req.body(*body);
  if (timeout) req.timeout(parse_duration(*timeout, "--timeout"));
  for (auto& [k, v] : tags)
    req.tag(k, v);
  if (expected) req.expected_statuses(expected->first, expected->second);
  if (redirects) req.max_redirects(static_cast<int>(*redirects));

  nanoseconds run_for = parse_duration(duration.value_or("10s"), "--duration");
  std::optional<nanoseconds> graceful;
  if (graceful_stop) graceful = parse_duration(*graceful_stop, "--graceful-stop");

  executor exec = constant_vus(1);
  if (rate) {
    if (vus)
      throw config_error("--vus", std::to_string(*vus),
                         "no --vus with --rate; use --pre-allocated-vus and --max-vus");
    nanoseconds unit = time_unit ? parse_duration(*time_unit, "--time-unit")
                                 : nanoseconds(std::chrono::seconds(1));
    constant_arrival_rate car(*rate, unit);
    car.duration(run_for).pre_allocated_vus(pre_vus.value_or(100));
    car.max_vus(max_vus.value_or(pre_vus.value_or(100)));
    if (graceful) car.graceful_stop(*graceful);
    if (pacing_slack) car.pacing_slack(parse_duration(*pacing_slack, "--pacing-slack"));
    car.preconnect(preconnect);
    exec = car;
  } else {
    if (pre_vus || max_vus || time_unit || pacing_slack)
      throw config_error(pre_vus     ? "--pre-allocated-vus"
                         : max_vus   ? "--max-vus"
                         : time_unit ? "--time-unit"
                                     : "--pacing-slack",
                         "", "--rate as well: it applies to the open model only");
    constant_vus cv(vus.value_or(1));
    cv.duration(run_for);
    if (graceful) cv.graceful_stop(*graceful);
    cv.preconnect(preconnect);
    exec = cv;
  }
  if (as_flow) {
    // The same request, built once and sent from a coroutine: the flow path's own cost.
    auto shared = std::make_shared<const http::request>(std::move(req));
    cfg.plan.add(scenario("default", exec, [shared](vu& v) -> task<> {
                   co_await v.http(*shared);
                 }).keep_body(false));
  } else {
    cfg.plan.add(scenario("default", exec, std::move(req)));
  }
  for (auto& [key, expr] : thresholds)
    cfg.plan.threshold(key, {pacer::threshold(expr)});
  cfg.plan.options.threads = threads;
  cfg.plan.options.tls.insecure_skip_verify = insecure;
  cfg.plan.options.tls.ca_file = cacert;
  cfg.plan.options.limits = limits;
  cfg.plan.options.summary_trend_stats = trend_stats;
  cfg.plan.options.handle_signals = true;
  return cfg;
}

// A few lines for a person; the JSON outputs carry everything.
inline void print_plain_result(const run_result& r, std::ostream& out) {
  char line[512];
  double seconds = static_cast<double>(r.test_run_duration.count()) / 1e9;
  for (const auto& s : r.scenarios) {
    out << "scenario " << s.name << ": " << s.description << "\n";
    std::snprintf(
        line, sizeof line,
        "  iterations: %llu scheduled, %llu completed, %llu interrupted, %llu dropped\n",
        static_cast<unsigned long long>(s.scheduled), static_cast<unsigned long long>(s.completed),
        static_cast<unsigned long long>(s.interrupted), static_cast<unsigned long long>(s.dropped));
    out << line;
  }
  double reqs = r.count("http_reqs");
  const auto* failed = r.find("http_req_failed");
  double failed_rate = failed && failed->total ? static_cast<double>(failed->passes) /
                                                     static_cast<double>(failed->total)
                                               : 0;
  std::snprintf(line, sizeof line, "http_reqs: %.0f in %.3fs (%.1f/s), failed %.2f%%\n", reqs,
                seconds, seconds > 0 ? reqs / seconds : 0, failed_rate * 100);
  out << line;
  auto trend_line = [&](std::string_view key) {
    const auto* s = r.find(key);
    if (s == nullptr || s->trend.count() == 0) return;
    const auto& h = s->trend;
    std::snprintf(line, sizeof line,
                  "%-24s avg=%.3fms min=%.3fms med=%.3fms p(90)=%.3fms p(99)=%.3fms max=%.3fms\n",
                  std::string(key).c_str(), h.mean() / 1e6, static_cast<double>(h.min()) / 1e6,
                  h.percentile(50) / 1e6, h.percentile(90) / 1e6, h.percentile(99) / 1e6,
                  static_cast<double>(h.max()) / 1e6);
    out << line;
  };
  trend_line("http_req_duration");
  trend_line("iteration_schedule_lag");
  for (const auto& [code, n] : r.failed_requests_by_error_code)
    out << "  error_code " << code << ": " << n << " requests\n";
  for (const auto& t : r.thresholds)
    out << (t.ok ? "  threshold ok     " : "  threshold FAILED ") << t.key << ": " << t.source
        << "\n";
  for (const auto& w : r.warnings)
    out << "warning: " << w << "\n";
}

// The whole `pacer-http` program; returns the process exit code.
inline int http_harness_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  http_harness_config cfg;
  try {
    cfg = parse_http_harness_args(args);
    if (cfg.help) {
      std::cout << http_harness_usage;
      return 0;
    }
    // A long run must not be lost to an output path that cannot be written.
    for (const auto* path : {&cfg.summary_json, &cfg.summary_export})
      if (!path->empty() && !can_write_file(*path))
        throw config_error(path == &cfg.summary_json ? "--summary-json" : "--summary-export", *path,
                           "a file path that can be written");
    run_result r = run(cfg.plan);
    print_plain_result(r, std::cout);
    auto data = summary_data(r);
    if (!cfg.summary_json.empty() && !write_file(cfg.summary_json, data.dump(2))) {
      std::cerr << "pacer-http: cannot write --summary-json file " << cfg.summary_json << "\n";
      return static_cast<int>(exit_code::other_error);
    }
    if (!cfg.summary_export.empty() &&
        !write_file(cfg.summary_export, summary_export(data).dump(4))) {
      std::cerr << "pacer-http: cannot write --summary-export file " << cfg.summary_export << "\n";
      return static_cast<int>(exit_code::other_error);
    }
    return static_cast<int>(r.code());
  } catch (const config_error& e) {
    std::cerr << "pacer-http: " << e.what() << "\n(see pacer-http --help)\n";
    return static_cast<int>(exit_code::invalid_config);
  }
}

}  // namespace pacer::cli

#endif
