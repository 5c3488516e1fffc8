// Catch2 matchers over pacer::summary, so a load test's thresholds, checks and latencies are
// asserted inside a Catch2 (v2 or v3) test suite, with a compact summary printed on failure.
//
// Opt-in, never included by <pacer/pacer.hpp>: include Catch2 first (v2: <catch2/catch.hpp>;
// v3: <catch2/catch_test_macros.hpp> or catch_all.hpp), then this header, in every translation
// unit that asserts on summaries, so that all of them see the same StringMaker.
//
//   pacer::summary s(pacer::run(plan));
//   REQUIRE_THAT(s, pacer::catch2::passes_thresholds());
//   CHECK_THAT(s, pacer::catch2::check_rate_at_least("status is 200", 0.99));
//   CHECK_THAT(s, pacer::catch2::percentile_below("http_req_duration{scenario:x}", 95, 200ms));
//   CHECK_THAT(s, pacer::catch2::failed_rate_below(0.01));
//
// Each matcher's describe() also says what its last match() found ("(it was 212.40ms)"), so a
// failure names the value next to the limit.
#ifndef PACER_CATCH2_HPP
#define PACER_CATCH2_HPP

#if defined(CATCH_VERSION_MAJOR)
// Catch2 v2's single header, v3's amalgamated header, or a v3 header that brought the version.
#elif defined(CATCH_TEST_MACROS_HPP_INCLUDED) || defined(CATCH_MATCHERS_HPP_INCLUDED) || \
    defined(CATCH_ALL_HPP_INCLUDED)
#include <catch2/catch_version_macros.hpp>
#else
// Catch2 v2: <catch2/catch.hpp>; v3: <catch2/catch_test_macros.hpp> or <catch2/catch_all.hpp>.
#error "pacer/catch2.hpp needs Catch2: include <catch2/catch.hpp> (v2) or a v3 header first"
#endif

#if CATCH_VERSION_MAJOR >= 3
#if !defined(CATCH_AMALGAMATED_HPP_INCLUDED)
#include <catch2/catch_tostring.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#endif
#elif CATCH_VERSION_MAJOR != 2
#error "pacer/catch2.hpp supports Catch2 v2 and v3"
#endif

#include <pacer/core/error.hpp>
#include <pacer/metrics/histogram.hpp>
#include <pacer/metrics/metric.hpp>
#include <pacer/report/summary.hpp>
#include <pacer/report/summary_json.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacer::detail::catch2 {

#if CATCH_VERSION_MAJOR >= 3
template <class T>
using matcher_base = ::Catch::Matchers::MatcherBase<T>;
#else
template <class T>
using matcher_base = ::Catch::MatcherBase<T>;
#endif

inline std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
inline std::string percent(double rate) {
  return fixed(rate * 100, 2) + "%";
}
// Milliseconds as a reader wants them: 850.00µs, 12.34ms, 2.50s.
inline std::string duration_text(double ms) {
  if (ms >= 1000) return fixed(ms / 1000, 2) + "s";
  if (ms >= 1) return fixed(ms, 2) + "ms";
  return fixed(ms * 1000, 2) + "\u00b5s";
}
inline std::string quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}
inline double number(const nlohmann::json& values, const char* key) {
  auto it = values.find(key);
  return it != values.end() && it->is_number() ? it->get<double>() : 0;
}

// The "p(N)" key k6 writes for percentile N (p(95), p(99.9)).
inline std::string percentile_key(double p) {
  if (!(p >= 0 && p <= 100))
    throw config_error("percentile", fixed(p, 3), "a number from 0 to 100");
  char buf[32];
  std::snprintf(buf, sizeof buf, "p(%g)", p);
  return buf;
}
inline std::string percentile_key(std::string_view text) {
  double p = -1;
  bool ok = text.size() > 3 && text.substr(0, 2) == "p(" && text.back() == ')';
  if (ok) {
    std::string_view n = text.substr(2, text.size() - 3);
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), p);
    ok = ec == std::errc() && end == n.data() + n.size() && p >= 0 && p <= 100;
  }
  if (!ok) throw config_error("percentile", std::string(text), "p(N) with 0 <= N <= 100");
  return percentile_key(p);
}

inline const nlohmann::json* find_metric(const summary& s, std::string_view key) {
  const auto& metrics = s.data().at("metrics");
  auto it = metrics.find(std::string(key));
  return it == metrics.end() ? nullptr : &*it;
}

// The value of `stat` (a "p(N)" key) of trend `key` in the metric's summary unit (milliseconds
// for time trends), or nothing with the reason in `why`. Our own runs carry the histograms, so
// any percentile is there and equals what a threshold compares; k6's files have only their
// summaryTrendStats.
inline std::optional<double> trend_value(const summary& s, const std::string& key,
                                         const std::string& stat, std::string& why) {
  const nlohmann::json* m = find_metric(s, key);
  if (m == nullptr) {
    why = "the summary has no metric " + key;
    return std::nullopt;
  }
  const std::string type = m->value("type", "");
  if (type != "trend") {
    why = key + " is a " + type + ", not a trend";
    return std::nullopt;
  }
  const auto& data = s.data();
  auto own = data.find("pacer");
  if (own != data.end() && own->contains("histograms")) {
    const auto& histograms = (*own)["histograms"];
    auto h = histograms.find(key);
    if (h == histograms.end()) {
      why = key + " has no samples";
      return std::nullopt;
    }
    const bool time = m->value("contains", "") == "time";
    return trend_stat(
        metrics::histogram_from_json(*h), stat,
        metrics::trend_unit_divisor(time ? metrics::value_kind::time : metrics::value_kind::plain));
  }
  const auto& values = (*m)["values"];
  auto v = values.find(stat);
  if (v == values.end() || !v->is_number()) {
    why = "the summary has no " + stat + " of " + key + ": not among its summaryTrendStats";
    return std::nullopt;
  }
  return v->get<double>();
}

// Passes and fails of every check called `name`, in every group.
struct check_count {
  std::uint64_t passes = 0, fails = 0;
  bool found = false;
};
inline void count_checks(const nlohmann::json& group, std::string_view name, check_count& out,
                         std::vector<std::string>& names) {
  for (const auto& c : group.value("checks", nlohmann::json::array())) {
    const std::string n = c.value("name", "");
    if (n == name) {
      out.found = true;
      out.passes += c.value("passes", std::uint64_t{0});
      out.fails += c.value("fails", std::uint64_t{0});
    }
    bool seen = false;
    for (const auto& known : names)
      seen = seen || known == n;
    if (!seen) names.push_back(n);
  }
  for (const auto& g : group.value("groups", nlohmann::json::array()))
    count_checks(g, name, out, names);
}

// What StringMaker<pacer::summary> prints: the figures one looks at first when an assertion on
// a load test fails, in short lines (Catch2 wraps its expansions at 80 columns), ending in "}"
// so that the matcher's description reads on from it.
inline std::string compact(const summary& s) {
  std::string out = "{ ";
  const nlohmann::json* reqs = find_metric(s, "http_reqs");
  if (reqs != nullptr) {
    const auto& v = (*reqs)["values"];
    out += fixed(number(v, "count"), 0) + " requests, " + fixed(number(v, "rate"), 2) + "/s";
  } else {
    out += "0 requests";
  }
  if (const nlohmann::json* failed = find_metric(s, "http_req_failed"))
    out += ", " + percent(number((*failed)["values"], "rate")) + " failed";
  out += "\n  http_req_duration";
  std::string why;
  for (const char* stat : {"p(95)", "p(99)"}) {
    auto v = trend_value(s, "http_req_duration", stat, why);
    out += std::string(" ") + stat + "=" + (v ? duration_text(*v) : "n/a");
  }
  if (const nlohmann::json* checks = find_metric(s, "checks")) {
    const auto& v = (*checks)["values"];
    const double passes = number(v, "passes");
    out += "\n  checks " + percent(number(v, "rate")) + " passed (" + fixed(passes, 0) + " of " +
           fixed(passes + number(v, "fails"), 0) + ")";
  } else {
    out += "\n  no checks";
  }
  bool any = false;
  for (const auto& [key, m] : s.data().at("metrics").items()) {
    if (!m.contains("thresholds")) continue;
    for (const auto& [source, result] : m["thresholds"].items()) {
      out += "\n  threshold " + key + " " + source + (result.value("ok", true) ? ": ok" : ": FAIL");
      any = true;
    }
  }
  if (!any) out += "\n  no thresholds";
  auto own = s.data().find("pacer");
  if (own != s.data().end()) {
    if (own->value("aborted_by_threshold", false))
      out += "\n  stopped early by an abortOnFail threshold";
    if (own->value("aborted_by_signal", false)) out += "\n  interrupted by a signal";
  }
  return out + "\n}";
}

}  // namespace pacer::detail::catch2

namespace pacer::catch2 {

// Every threshold of the summary passed, and none stopped the run (k6's exit code 99
// otherwise). A summary without thresholds does not match: asserting on thresholds that do
// not exist is a test that cannot fail.
class thresholds_matcher final : public detail::catch2::matcher_base<summary> {
 public:
  bool match(const summary& s) const override {
    std::string failed;
    std::size_t count = 0;
    for (const auto& [key, m] : s.data().at("metrics").items()) {
      if (!m.contains("thresholds")) continue;
      for (const auto& [source, result] : m["thresholds"].items()) {
        ++count;
        if (result.value("ok", true)) continue;
        if (!failed.empty()) failed += ", ";
        failed += key + " " + source;
      }
    }
    auto own = s.data().find("pacer");
    const bool aborted = own != s.data().end() && own->value("aborted_by_threshold", false);
    if (count == 0)
      seen_ = " (it has none)";
    else if (!failed.empty())
      seen_ = " (failed: " + failed + (aborted ? "; one stopped the run" : "") + ")";
    else if (aborted)
      seen_ = " (an abortOnFail threshold stopped the run)";
    else
      seen_ = " (" + std::to_string(count) + " passed)";
    return count > 0 && failed.empty() && !aborted;
  }
  std::string describe() const override { return "passes all its thresholds" + seen_; }

 private:
  mutable std::string seen_;
};

// The check called `name` (in any group) passed at least `rate` (0..1) of the times it ran.
class check_rate_matcher final : public detail::catch2::matcher_base<summary> {
 public:
  check_rate_matcher(std::string name, double rate) : name_(std::move(name)), rate_(rate) {}

  bool match(const summary& s) const override {
    detail::catch2::check_count c;
    std::vector<std::string> names;
    detail::catch2::count_checks(s.data().at("root_group"), name_, c, names);
    if (!c.found) {
      std::string list;
      for (const auto& n : names)
        list += (list.empty() ? "" : ", ") + detail::catch2::quoted(n);
      seen_ = " (the summary has no check named " + detail::catch2::quoted(name_) +
              (list.empty() ? "; it has no checks)" : "; its checks: " + list + ")");
      return false;
    }
    const std::uint64_t total = c.passes + c.fails;
    if (total == 0) {
      seen_ = " (it never ran)";
      return false;
    }
    const double rate = static_cast<double>(c.passes) / static_cast<double>(total);
    seen_ = " (it passed " + detail::catch2::percent(rate) + ": " + std::to_string(c.passes) +
            " of " + std::to_string(total) + ")";
    return rate >= rate_;
  }
  std::string describe() const override {
    return "has check " + detail::catch2::quoted(name_) + " passing at least " +
           detail::catch2::percent(rate_) + seen_;
  }

 private:
  std::string name_;
  double rate_;
  mutable std::string seen_;
};

// A statistic ("p(95)") of a trend metric or submetric is strictly below a limit, as k6's
// "p(95)<limit" judges it. The limit is in the metric's summary unit: milliseconds for time
// trends (given as a chrono duration or as a number of ms), the recorded unit otherwise.
class trend_matcher final : public detail::catch2::matcher_base<summary> {
 public:
  trend_matcher(std::string metric, std::string stat, double limit, bool limit_is_duration)
      : metric_(std::move(metric)),
        stat_(std::move(stat)),
        limit_(limit),
        limit_is_duration_(limit_is_duration) {}

  bool match(const summary& s) const override {
    std::string why;
    auto v = detail::catch2::trend_value(s, metric_, stat_, why);
    const nlohmann::json* m = detail::catch2::find_metric(s, metric_);
    time_ = m != nullptr && m->value("contains", "") == "time";
    if (!v) {
      seen_ = " (" + why + ")";
      return false;
    }
    if (limit_is_duration_ && !time_) {
      seen_ = " (" + metric_ + " is not a time trend)";
      return false;
    }
    seen_ = " (it was " + text(*v) + ")";
    return *v < limit_;
  }
  std::string describe() const override {
    return "has " + stat_ + " of " + metric_ + " below " + text(limit_) + seen_;
  }

 private:
  std::string text(double v) const {
    if (limit_is_duration_ || time_) return detail::catch2::duration_text(v);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }

  std::string metric_;
  std::string stat_;
  double limit_;
  bool limit_is_duration_;
  mutable bool time_ = false;
  mutable std::string seen_;
};

// The rate of a rate metric (by default http_req_failed) is strictly below `limit` (0..1).
class rate_matcher final : public detail::catch2::matcher_base<summary> {
 public:
  rate_matcher(std::string metric, double limit) : metric_(std::move(metric)), limit_(limit) {}

  bool match(const summary& s) const override {
    const nlohmann::json* m = detail::catch2::find_metric(s, metric_);
    if (m == nullptr) {
      seen_ = " (the summary has no metric " + metric_ + ": no samples)";
      return false;
    }
    if (m->value("type", "") != "rate") {
      seen_ = " (" + metric_ + " is a " + m->value("type", "") + ", not a rate)";
      return false;
    }
    const auto& v = (*m)["values"];
    const double rate = detail::catch2::number(v, "rate");
    const double passes = detail::catch2::number(v, "passes");
    const double total = passes + detail::catch2::number(v, "fails");
    if (total == 0) {
      seen_ = " (it has no samples)";
      return false;
    }
    seen_ = " (it was " + detail::catch2::percent(rate) + ": " + detail::catch2::fixed(passes, 0) +
            " of " + detail::catch2::fixed(total, 0) + ")";
    return rate < limit_;
  }
  std::string describe() const override {
    return "has " + metric_ + " rate below " + detail::catch2::percent(limit_) + seen_;
  }

 private:
  std::string metric_;
  double limit_;
  mutable std::string seen_;
};

inline thresholds_matcher passes_thresholds() {
  return {};
}

inline check_rate_matcher check_rate_at_least(std::string check_name, double rate) {
  return {std::move(check_name), rate};
}

// percentile_below("http_req_duration", 95, 200ms): the limit as a duration (time trends).
template <class Rep, class Period>
trend_matcher percentile_below(std::string metric, double p,
                               std::chrono::duration<Rep, Period> limit) {
  return {std::move(metric), detail::catch2::percentile_key(p),
          std::chrono::duration<double, std::milli>(limit).count(), true};
}
// percentile_below("http_req_duration", "p(95)", 200ms): k6's spelling of the percentile.
template <class Rep, class Period>
trend_matcher percentile_below(std::string metric, std::string_view p,
                               std::chrono::duration<Rep, Period> limit) {
  return {std::move(metric), detail::catch2::percentile_key(p),
          std::chrono::duration<double, std::milli>(limit).count(), true};
}
// The limit as a number in the metric's summary unit, as k6 thresholds write it ("p(95)<200"
// is 200 ms on a time trend).
inline trend_matcher percentile_below(std::string metric, double p, double limit) {
  return {std::move(metric), detail::catch2::percentile_key(p), limit, false};
}
inline trend_matcher percentile_below(std::string metric, std::string_view p, double limit) {
  return {std::move(metric), detail::catch2::percentile_key(p), limit, false};
}

// http_req_failed (or another rate metric or submetric, such as
// "http_req_failed{scenario:x}") is below `rate`.
inline rate_matcher failed_rate_below(double rate, std::string metric = "http_req_failed") {
  return {std::move(metric), rate};
}

}  // namespace pacer::catch2

namespace Catch {
template <>
struct StringMaker<pacer::summary> {
  static std::string convert(const pacer::summary& s) { return pacer::detail::catch2::compact(s); }
};
}  // namespace Catch

#endif
