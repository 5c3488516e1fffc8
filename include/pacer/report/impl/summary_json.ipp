#ifndef PACER_REPORT_IMPL_SUMMARY_JSON_IPP
#define PACER_REPORT_IMPL_SUMMARY_JSON_IPP

// The definitions of summary_json.hpp: k6's data shapes from a run's result.

#include <pacer/metrics/histogram.hpp>
#include <pacer/report/summary_json.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/version.hpp>

#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

namespace pacer {

namespace detail {

// k6 identifies groups and checks by the MD5 of their path, in lowercase hex.
inline std::string md5_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// k6 writes JS numbers: integral values without a fraction.
inline nlohmann::json js_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    return static_cast<std::int64_t>(v);
  return v;
}

// One entry of summaryTrendStats computed from a histogram, in the metric's unit
// (milliseconds for time trends).
// Divided (not multiplied by the inverse) so values match what thresholds compare.
inline double trend_stat(const metrics::histogram& h, const std::string& stat, double divisor) {
  if (stat == "count") return static_cast<double>(h.count());
  if (h.count() == 0) return 0;
  if (stat == "avg") return h.mean() / divisor;
  if (stat == "min") return static_cast<double>(h.min()) / divisor;
  if (stat == "max") return static_cast<double>(h.max()) / divisor;
  if (stat == "med") return h.percentile(50) / divisor;
  if (stat.size() > 3 && stat.rfind("p(", 0) == 0)
    return h.percentile(std::stod(stat.substr(2, stat.size() - 3))) / divisor;
  return 0;
}

inline nlohmann::json metric_values(const run_result& r, std::uint32_t id) {
  const auto& info = r.registry.info(id);
  const auto& s = r.metrics[id];
  double seconds = static_cast<double>(r.test_run_duration.count()) / 1e9;
  nlohmann::json v = nlohmann::json::object();
  switch (info.type) {
    case metrics::metric_type::counter:
      v["count"] = js_number(s.sum);
      v["rate"] = js_number(seconds > 0 ? s.sum / seconds : 0);
      break;
    case metrics::metric_type::gauge:
      v["value"] = js_number(s.value);
      v["min"] = js_number(s.min);
      v["max"] = js_number(s.max);
      break;
    case metrics::metric_type::rate:
      v["rate"] =
          js_number(s.total ? static_cast<double>(s.passes) / static_cast<double>(s.total) : 0);
      v["passes"] = s.passes;
      v["fails"] = s.total - s.passes;
      break;
    case metrics::metric_type::trend: {
      double divisor = metrics::trend_unit_divisor(info.contains);
      for (const auto& stat : r.summary_trend_stats)
        v[stat] = js_number(trend_stat(s.trend, stat, divisor));
      break;
    }
  }
  return v;
}

// What k6 leaves out: how every iteration ended, errors by code, and the
// histograms (nanoseconds) that let several runs merge exactly.
inline nlohmann::json pacer_section(const run_result& r) {
  nlohmann::json p;
  p["schema_version"] = summary_schema_version;
  p["version"] = PACER_VERSION_STRING;
  auto t = r.totals();
  p["iterations"] = {{"scheduled", t.scheduled},
                     {"completed", t.completed},
                     {"interrupted", t.interrupted},
                     {"dropped", t.dropped}};
  nlohmann::json scenarios = nlohmann::json::object();
  for (const auto& s : r.scenarios)
    scenarios[s.name] = {{"description", s.description}, {"scheduled", s.scheduled},
                         {"completed", s.completed},     {"interrupted", s.interrupted},
                         {"dropped", s.dropped},         {"vus_initialized", s.vus_initialized}};
  p["scenarios"] = std::move(scenarios);
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [code, n] : r.failed_requests_by_error_code)
    errors[std::to_string(code)] = n;
  p["failed_requests_by_error_code"] = std::move(errors);
  p["context"] = {{"started_at", r.started_at}, {"host", r.host}, {"threads", r.threads}};
  p["threads"] = r.threads;
  p["connections_opened"] = r.connections_opened;
  p["tls_sessions_resumed"] = r.tls_sessions_resumed;
  p["aborted_by_signal"] = r.aborted_by_signal;
  p["aborted_by_threshold"] = r.aborted_by_threshold;
  p["warnings"] = r.warnings;
  nlohmann::json iteration_errors = nlohmann::json::array();
  for (const auto& e : r.iteration_errors)
    iteration_errors.push_back(
        {{"scenario", e.scenario}, {"message", e.message}, {"count", e.count}});
  p["iteration_errors"] = std::move(iteration_errors);
  if (r.script_failure) p["script_error"] = r.script_error;
  nlohmann::json hist = nlohmann::json::object();
  for (std::uint32_t id = 0; id < r.registry.size(); ++id) {
    const auto& info = r.registry.info(id);
    if (info.type == metrics::metric_type::trend && r.metrics[id].trend.count() > 0)
      hist[info.key] = metrics::to_json_value(r.metrics[id].trend);
  }
  p["histograms"] = std::move(hist);
  return p;
}

}  // namespace detail

namespace detail {

// k6's group tree: every group a run met, nested by path ("::a::b" inside "::a"), each
// with its checks in the order first met.
inline nlohmann::json group_tree(const run_result& r) {
  auto make_group = [](const std::string& path) {
    const auto cut = path.rfind("::");
    std::string name = cut == std::string::npos ? path : path.substr(cut + 2);
    return nlohmann::json{{"name", name},
                          {"path", path},
                          {"id", md5_hex(path)},
                          {"groups", nlohmann::json::array()},
                          {"checks", nlohmann::json::array()}};
  };
  nlohmann::json root = make_group("");
  // The node of `path`, created with its parents where missing.
  std::function<nlohmann::json&(const std::string&)> node =
      [&](const std::string& path) -> nlohmann::json& {
    if (path.empty()) return root;
    const auto cut = path.rfind("::");
    nlohmann::json& parent = node(path.substr(0, cut));
    for (auto& g : parent["groups"])
      if (g["path"] == path) return g;
    parent["groups"].push_back(make_group(path));
    return parent["groups"].back();
  };
  for (const auto& g : r.groups)
    (void)node(g);
  for (const auto& c : r.checks) {
    std::string path = c.group + "::" + c.name;
    node(c.group)["checks"].push_back({{"name", c.name},
                                       {"path", path},
                                       {"id", md5_hex(path)},
                                       {"passes", c.passes},
                                       {"fails", c.fails}});
  }
  return root;
}

}  // namespace detail

PACER_DECL nlohmann::json summary_data(const run_result& r, bool no_color) {
  nlohmann::json d;
  d["root_group"] = detail::group_tree(r);
  d["options"] = {
      {"summaryTrendStats", r.summary_trend_stats}, {"summaryTimeUnit", ""}, {"noColor", no_color}};
  d["state"] = {{"isStdOutTTY", ::isatty(1) == 1},
                {"isStdErrTTY", ::isatty(2) == 1},
                {"testRunDurationMs", static_cast<double>(r.test_run_duration.count()) / 1e6}};
  nlohmann::json metrics = nlohmann::json::object();
  for (std::uint32_t id = 0; id < r.registry.size(); ++id) {
    const auto& info = r.registry.info(id);
    // k6 lists a metric that received samples or carries thresholds.
    nlohmann::json thresholds = nlohmann::json::object();
    for (const auto& t : r.thresholds)
      if (t.key == info.key) thresholds[t.source] = {{"ok", t.ok}};
    if (!r.metrics[id].observed(info.type) && thresholds.empty()) continue;
    nlohmann::json m = {{"type", std::string(metrics::to_string(info.type))},
                        {"contains", std::string(metrics::to_string(info.contains))},
                        {"values", detail::metric_values(r, id)}};
    if (!thresholds.empty()) m["thresholds"] = std::move(thresholds);
    metrics[info.key] = std::move(m);
  }
  d["metrics"] = std::move(metrics);
  d["pacer"] = detail::pacer_section(r);
  return d;
}

PACER_DECL nlohmann::json summary_export(const nlohmann::json& data) {
  nlohmann::json out;
  std::function<nlohmann::json(const nlohmann::json&)> group = [&](const nlohmann::json& g) {
    nlohmann::json o = g;
    nlohmann::json groups = nlohmann::json::object();
    for (const auto& sub : g.value("groups", nlohmann::json::array()))
      groups[sub.value("name", "")] = group(sub);
    nlohmann::json checks = nlohmann::json::object();
    for (const auto& c : g.value("checks", nlohmann::json::array()))
      checks[c.value("name", "")] = c;
    o["groups"] = std::move(groups);
    o["checks"] = std::move(checks);
    return o;
  };
  out["root_group"] = group(data.at("root_group"));
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [key, m] : data.at("metrics").items()) {
    nlohmann::json v = m.at("values");
    if (m.value("type", "") == "rate" && v.contains("rate")) {
      auto rate = v["rate"];
      v.erase("rate");
      v["value"] = rate;
    }
    if (m.contains("thresholds")) {
      nlohmann::json t = nlohmann::json::object();
      for (const auto& [expr, res] : m["thresholds"].items())
        t[expr] = !res.value("ok", true);
      v["thresholds"] = std::move(t);
    }
    metrics[key] = std::move(v);
  }
  out["metrics"] = std::move(metrics);
  if (data.contains("setup_data")) out["setup_data"] = data["setup_data"];
  if (data.contains("pacer")) out["pacer"] = data["pacer"];
  return out;
}

PACER_DECL bool write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return false;
    f << text;
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

PACER_DECL bool can_write_file(const std::string& path) {
  const std::string tmp = path + ".tmp";
  bool ok = static_cast<bool>(std::ofstream(tmp, std::ios::binary | std::ios::trunc));
  std::remove(tmp.c_str());
  return ok;
}

}  // namespace pacer

#endif
