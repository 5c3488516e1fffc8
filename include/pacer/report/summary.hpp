#ifndef PACER_REPORT_SUMMARY_HPP
#define PACER_REPORT_SUMMARY_HPP

// The end-of-test summary as k6's handleSummary sees it, and its renderings.

#include <pacer/report/summary_json.hpp>
#include <pacer/report/text_summary.hpp>
#include <pacer/scenario/result.hpp>

#include <unistd.h>
#include <cstdlib>
#include <map>
#include <string>

namespace pacer {

// The end-of-test summary as k6's handleSummary sees it: the data object, and
// the renderings a handler returns.
class summary {
 public:
  explicit summary(const run_result& r) : data_(summary_data(r, no_color_env())) {
    code_ = r.code();
  }

  // A k6 handleSummary data object from elsewhere (a k6 run, another process):
  // checked for k6's shape, so it renders and exports like our own.
  static summary from_data(nlohmann::json data) {
    validate_data(data);
    summary s(std::move(data));
    return s;
  }

  // k6's `data` (plus the `pacer` key for our own runs).
  const nlohmann::json& data() const noexcept { return data_; }
  // JSON.stringify(data, null, indent).
  std::string json(int indent = 2) const { return data_.dump(indent); }
  // What `k6 run --summary-export` writes.
  std::string export_json() const { return summary_export(data_).dump(4); }
  // textSummary(data, options) of jslib k6-summary 0.0.2.
  std::string text(const text_summary_options& options = {}) const {
    return text_summary(data_, options);
  }
  // Colours as k6 picks them for stdout: on a terminal, unless NO_COLOR / K6_NO_COLOR.
  static bool colors_for_stdout() { return ::isatty(1) == 1 && !no_color_env(); }
  exit_code code() const noexcept { return code_; }

 private:
  explicit summary(nlohmann::json data) : data_(std::move(data)) {
    code_ = exit_code::ok;
    for (const auto& [name, m] : data_["metrics"].items())
      if (m.contains("thresholds"))
        for (const auto& [expr, t] : m["thresholds"].items())
          if (!t.value("ok", true)) code_ = exit_code::thresholds_failed;
  }

  static void validate_group(const nlohmann::json& g, const std::string& where) {
    auto fail = [&](const std::string& what) {
      throw config_error("summary data " + where, what,
                         "k6's group shape {name, path, id, groups[], checks[]}");
    };
    if (!g.is_object()) fail("not an object");
    for (const char* k : {"name", "path", "id"})
      if (!g.contains(k) || !g[k].is_string()) fail(std::string("missing string ") + k);
    if (!g.contains("groups") || !g["groups"].is_array()) fail("missing array groups");
    if (!g.contains("checks") || !g["checks"].is_array()) fail("missing array checks");
    for (const auto& c : g["checks"])
      if (!c.is_object() || !c.contains("name") || !c.contains("passes") || !c.contains("fails"))
        fail("a check without name, passes and fails");
    for (const auto& sub : g["groups"])
      validate_group(sub, where + ".groups[]");
  }
  static void validate_data(const nlohmann::json& d) {
    if (!d.is_object()) throw config_error("summary data", d.type_name(), "a JSON object");
    if (!d.contains("root_group"))
      throw config_error("summary data", "no root_group", "k6 handleSummary data");
    validate_group(d["root_group"], "root_group");
    if (!d.contains("metrics") || !d["metrics"].is_object())
      throw config_error("summary data", "no metrics object", "k6 handleSummary data");
    for (const auto& [name, m] : d["metrics"].items()) {
      std::string t = m.value("type", "");
      std::string c = m.value("contains", "");
      if (t != "counter" && t != "gauge" && t != "rate" && t != "trend")
        throw config_error("summary metric " + name + " type", t, "counter, gauge, rate or trend");
      if (c != "default" && c != "time" && c != "data")
        throw config_error("summary metric " + name + " contains", c, "default, time or data");
      if (!m.contains("values") || !m["values"].is_object())
        throw config_error("summary metric " + name, "no values object",
                           "{type, contains, values}");
    }
  }
  static bool no_color_env() {
    const char* k6 = std::getenv("K6_NO_COLOR");
    return std::getenv("NO_COLOR") != nullptr || (k6 != nullptr && *k6 != '\0');
  }
  nlohmann::json data_;
  exit_code code_ = exit_code::ok;
};

// What a summary handler returns, as in k6: "stdout", "stderr" or a file path.
using summary_outputs = std::map<std::string, std::string>;

}  // namespace pacer

#endif
