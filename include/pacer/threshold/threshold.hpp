#ifndef PACER_THRESHOLD_THRESHOLD_HPP
#define PACER_THRESHOLD_THRESHOLD_HPP

// k6 thresholds as a pure module: metric selectors ("http_req_duration{status:200}"),
// threshold expressions ("p(95)<2000"), their validation against a metric type, and their
// evaluation on an aggregated sink. Parsing follows k6 v0.54 step by step, so the same
// inputs are accepted and rejected; the only deliberate differences are that percentiles
// outside 0..100 and a bare "p" are rejected instead of misbehaving.

#include <pacer/core/duration.hpp>
#include <pacer/core/error.hpp>
#include <pacer/metrics/metric.hpp>
#include <pacer/metrics/registry.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace pacer {

namespace detail {

// Length of the whitespace rune at the front of `s`, 0 if none. The set is
// Go's unicode.IsSpace, which strings.TrimSpace uses; k6 trims with it.
inline std::size_t thr_space_at_front(std::string_view s) noexcept {
  if (s.empty()) return 0;
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (s.size() >= 2 && c == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return 2;
  if (s.size() >= 3) {
    const unsigned char c1 = b(1), c2 = b(2);
    if (c == 0xE1 && c1 == 0x9A && c2 == 0x80) return 3;  // U+1680
    // U+2000-200A, U+2028, U+2029, U+202F
    if (c == 0xE2 && c1 == 0x80 &&
        ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF))
      return 3;
    if (c == 0xE2 && c1 == 0x81 && c2 == 0x9F) return 3;  // U+205F
    if (c == 0xE3 && c1 == 0x80 && c2 == 0x80) return 3;  // U+3000
  }
  return 0;
}

inline std::size_t thr_space_at_back(std::string_view s) noexcept {
  for (std::size_t n = 1; n <= 3 && n <= s.size(); ++n) {
    std::string_view tail = s.substr(s.size() - n);
    if (thr_space_at_front(tail) == n) return n;
  }
  return 0;
}

// Go's strings.TrimSpace.
inline std::string_view thr_trim_space(std::string_view s) noexcept {
  while (std::size_t n = thr_space_at_front(s))
    s.remove_prefix(n);
  while (std::size_t n = thr_space_at_back(s))
    s.remove_suffix(n);
  return s;
}

// Go's strings.Trim(s, `"'`): any run of either quote character, on both ends.
inline std::string_view thr_trim_quotes(std::string_view s) noexcept {
  const auto quote = [](char c) { return c == '"' || c == '\''; };
  while (!s.empty() && quote(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && quote(s.back()))
    s.remove_suffix(1);
  return s;
}

inline char thr_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}
inline bool thr_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
inline bool thr_hex_letter(char c) noexcept {
  return thr_lower(c) >= 'a' && thr_lower(c) <= 'f';
}

inline bool thr_iequals(std::string_view a, std::string_view lower_b) noexcept {
  if (a.size() != lower_b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (thr_lower(a[i]) != lower_b[i]) return false;
  return true;
}

// Go's underscoreOK: an underscore may only sit between digits (or after a base prefix).
inline bool thr_underscores_ok(std::string_view s) noexcept {
  char saw = '^';
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (thr_lower(s[1]) == 'b' || thr_lower(s[1]) == 'o' || thr_lower(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = thr_lower(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    if (thr_digit(s[i]) || (hex && thr_hex_letter(s[i]))) {
      saw = '0';
      continue;
    }
    if (s[i] == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

// Go's strconv.ParseFloat(s, 64): decimal or hexadecimal (0x1.8p3) literals with optional
// sign and digit-separating underscores, "inf"/"infinity" with optional sign and "nan", all
// case-insensitive. Empty on a syntax error or on overflow (Go's ErrRange); underflow
// yields zero, as in Go.
inline std::optional<double> thr_parse_go_float(std::string_view s) {
  if (s.empty()) return std::nullopt;
  {
    std::string_view t = s;
    bool negative = false;
    bool signed_ = false;
    if (t[0] == '+' || t[0] == '-') {
      negative = t[0] == '-';
      signed_ = true;
      t.remove_prefix(1);
    }
    if (thr_iequals(t, "inf") || thr_iequals(t, "infinity"))
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    if (!signed_ && thr_iequals(t, "nan")) return std::numeric_limits<double>::quiet_NaN();
  }
  std::size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++i;
  }
  bool hex = false;
  if (i + 2 < s.size() && s[i] == '0' && thr_lower(s[i + 1]) == 'x') {
    hex = true;
    i += 2;
  }
  bool underscores = false;
  bool saw_dot = false;
  bool saw_digits = false;
  std::string text;  // mantissa and exponent without sign, prefix or underscores
  bool nonzero = false;
  int int_digits = 0;
  int zeros_after_dot = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      underscores = true;
      continue;
    }
    if (c == '.') {
      if (saw_dot) break;
      saw_dot = true;
      text += c;
      continue;
    }
    if (thr_digit(c) || (hex && thr_hex_letter(c))) {
      saw_digits = true;
      text += c;
      if (c != '0') nonzero = true;
      if (!saw_dot && nonzero) ++int_digits;
      if (saw_dot && !nonzero) ++zeros_after_dot;
      continue;
    }
    break;
  }
  if (!saw_digits) return std::nullopt;
  // Position of the first non-zero digit relative to the point, to tell overflow from
  // underflow below.
  const int lead = int_digits > 0 ? int_digits : -zeros_after_dot;
  long long exponent = 0;
  if (i < s.size() && thr_lower(s[i]) == (hex ? 'p' : 'e')) {
    ++i;
    if (i >= s.size()) return std::nullopt;
    text += hex ? 'p' : 'e';
    bool exp_negative = false;
    if (s[i] == '+' || s[i] == '-') {
      exp_negative = s[i] == '-';
      text += s[i];
      ++i;
    }
    if (i >= s.size() || !thr_digit(s[i])) return std::nullopt;
    for (; i < s.size() && (thr_digit(s[i]) || s[i] == '_'); ++i) {
      if (s[i] == '_') {
        underscores = true;
        continue;
      }
      text += s[i];
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (s[i] - '0');
    }
    if (exp_negative) exponent = -exponent;
  } else if (hex) {
    return std::nullopt;  // Go requires the p exponent on hexadecimal mantissas
  }
  if (i != s.size()) return std::nullopt;
  if (underscores && !thr_underscores_ok(s)) return std::nullopt;

  double v = 0;
  const auto fmt = hex ? std::chars_format::hex : std::chars_format::general;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, fmt);
  if (ec == std::errc::result_out_of_range) {
    if (!nonzero) {
      v = 0;
    } else {
      // Too large fails like Go's ErrRange; too small is Go's silent zero.
      const long long magnitude = (hex ? 4LL * lead : lead) + exponent;
      if (magnitude > 0) return std::nullopt;
      v = 0;
    }
  } else if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

// A number as JavaScript's Number#toString writes it, which is also what a k6 script
// interpolating the number into a threshold string produces. Go's ParseFloat reads it back
// to the same double.
inline std::string thr_number_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  char buf[128];
  const double a = std::fabs(v);
  const bool fixed = a >= 1e-6 && a < 1e21;
  const auto r = std::to_chars(buf, buf + sizeof buf, v,
                               fixed ? std::chars_format::fixed : std::chars_format::scientific);
  std::string out(buf, r.ptr);
  if (!fixed) {
    // "1e-07" -> "1e-7", "1.5e+21" stays: JavaScript writes no exponent padding.
    const std::size_t e = out.find('e');
    std::size_t d = e + 2;
    while (d + 1 < out.size() && out[d] == '0')
      out.erase(d, 1);
  }
  return out;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Metric selectors: "metric" or "metric{tag:value,tag2:value2}".

struct metric_selector {
  std::string metric;     // the base metric's name
  metrics::tag_set tags;  // the submetric filter; empty for a plain metric
  std::string key;        // the (sub)metric's name in summaries, as k6 forms it
  bool is_submetric() const noexcept { return !tags.empty(); }
};

namespace detail {
inline constexpr std::string_view thr_selector_form = "metric_name or metric_name{tag:value,...}";

[[noreturn]] inline void thr_selector_error(std::string_view key, const std::string& reason) {
  throw config_error("threshold metric (parsing metric name failed: " + reason + ")",
                     std::string(key), std::string(thr_selector_form));
}
}  // namespace detail

// Parses a threshold key the way k6 does. Tag keys and values are trimmed of whitespace and
// then of surrounding quotes; a value is a literal ("{status:>=500}" means the text ">=500").
// `key` is the base name, '{', the brace contents with outer whitespace trimmed, and '}' —
// the user's text apart from that trimming.
inline metric_selector parse_selector(std::string_view key) {
  const std::size_t open = key.find('{');
  const std::size_t close = key.rfind('}');
  metric_selector out;
  if (open == std::string_view::npos && close == std::string_view::npos) {
    if (key.empty()) detail::thr_selector_error(key, "the metric name is empty");
    out.metric = std::string(key);
    out.key = out.metric;
    return out;
  }
  if (open == std::string_view::npos || close == std::string_view::npos)
    detail::thr_selector_error(key, "unmatched opening/closing curly brace");
  if (close < open)
    detail::thr_selector_error(key, "closing curly brace appears before the opening one");
  if (close != key.size() - 1)
    detail::thr_selector_error(key, "the closing curly brace must be the last character");
  const std::string_view inside = key.substr(open + 1, close - open - 1);

  // k6 checks every part's shape on the untrimmed text before building the tag set.
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = inside.find(',', start);
    const std::string_view part = inside.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon + 1 == part.size())
      detail::thr_selector_error(key, "tag expression \"" + std::string(part) +
                                          "\" is malformed; each tag must be key:value");
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  out.metric = std::string(key.substr(0, open));
  if (out.metric.empty()) detail::thr_selector_error(key, "the metric name is empty");

  const std::string_view trimmed = detail::thr_trim_space(inside);
  start = 0;
  while (true) {
    const std::size_t comma = trimmed.find(',', start);
    const std::string_view part = trimmed.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::size_t colon = part.find(':');
    // Later duplicates of a tag key win, as in k6.
    out.tags.set(detail::thr_trim_quotes(detail::thr_trim_space(part.substr(0, colon))),
                 detail::thr_trim_quotes(detail::thr_trim_space(part.substr(colon + 1))));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  out.key = out.metric + "{" + std::string(trimmed) + "}";
  return out;
}

// ---------------------------------------------------------------------------------------
// Threshold expressions: "aggregation operator number".

struct threshold_expression {
  enum class aggregation { count, rate, value, min, max, avg, med, percentile };
  // k6's "==" and "===" are the same float equality; `source` keeps the spelling.
  enum class comparison { lt, le, gt, ge, eq, ne };

  std::string source;  // verbatim: summaries key thresholds by this text
  aggregation agg = aggregation::count;
  double percentile = 0;  // 0..100, for aggregation::percentile
  comparison op = comparison::lt;
  double rhs = 0;  // in the metric's unit: ms for time, bytes for data, 0..1 for rates

  // "avg", "count", ..., or "p(99.9)".
  std::string method() const {
    switch (agg) {
      case aggregation::count:
        return "count";
      case aggregation::rate:
        return "rate";
      case aggregation::value:
        return "value";
      case aggregation::min:
        return "min";
      case aggregation::max:
        return "max";
      case aggregation::avg:
        return "avg";
      case aggregation::med:
        return "med";
      case aggregation::percentile:
        return "p(" + detail::thr_number_text(percentile) + ")";
    }
    return "count";
  }
  std::string_view operator_text() const noexcept {
    switch (op) {
      case comparison::lt:
        return "<";
      case comparison::le:
        return "<=";
      case comparison::gt:
        return ">";
      case comparison::ge:
        return ">=";
      case comparison::eq:
        return "==";
      case comparison::ne:
        return "!=";
    }
    return "<";
  }
  friend bool operator==(const threshold_expression&, const threshold_expression&) = default;
};

namespace detail {
inline constexpr std::string_view thr_expression_form =
    "aggregation operator number, e.g. p(99)<5000, rate<0.01 or count>=100; aggregations: "
    "count, rate, value, avg, min, max, med, p(N) with 0 <= N <= 100; operators: <, <=, >, >=, "
    "==, ===, !=; the number has no unit (time in milliseconds, data in bytes)";

[[noreturn]] inline void thr_expression_error(std::string_view source, const std::string& reason) {
  throw config_error("threshold expression (" + reason + ")", std::string(source),
                     std::string(thr_expression_form));
}

inline bool thr_looks_like_unit(std::string_view rhs) noexcept {
  if (rhs.empty() || !(thr_digit(rhs[0]) || rhs[0] == '.' || rhs[0] == '-' || rhs[0] == '+'))
    return false;
  const char last = thr_lower(rhs.back());
  return last >= 'a' && last <= 'z';
}
}  // namespace detail

// Parses like k6: the first operator of <=, <, >=, >, ===, ==, != (in that order) found
// anywhere splits the text at its first occurrence; both sides are trimmed; the left side
// must be an aggregation keyword or p(N) with no spaces inside; the right side is a Go
// float. Errors are reported in k6's order: operator, left side, right side.
inline threshold_expression parse_threshold_expression(std::string_view source) {
  using agg = threshold_expression::aggregation;
  using cmp = threshold_expression::comparison;
  static constexpr std::array<std::pair<std::string_view, cmp>, 7> operators{{
      {"<=", cmp::le},
      {"<", cmp::lt},
      {">=", cmp::ge},
      {">", cmp::gt},
      {"===", cmp::eq},
      {"==", cmp::eq},
      {"!=", cmp::ne},
  }};
  threshold_expression out;
  out.source = std::string(source);
  std::string_view lhs;
  std::string_view rhs;
  bool found = false;
  for (const auto& [token, op] : operators) {
    const std::size_t at = source.find(token);
    if (at == std::string_view::npos) continue;
    lhs = detail::thr_trim_space(source.substr(0, at));
    rhs = detail::thr_trim_space(source.substr(at + token.size()));
    out.op = op;
    found = true;
    break;
  }
  if (!found) detail::thr_expression_error(source, "no comparison operator");

  static constexpr std::array<std::pair<std::string_view, agg>, 7> keywords{{
      {"value", agg::value},
      {"count", agg::count},
      {"rate", agg::rate},
      {"avg", agg::avg},
      {"min", agg::min},
      {"med", agg::med},
      {"max", agg::max},
  }};
  bool method = false;
  for (const auto& [word, a] : keywords) {
    if (lhs == word) {
      out.agg = a;
      method = true;
      break;
    }
  }
  if (!method) {
    if (lhs.size() >= 3 && lhs.substr(0, 2) == "p(" && lhs.back() == ')') {
      const std::string_view inner = lhs.substr(2, lhs.size() - 3);
      const std::optional<double> p = detail::thr_parse_go_float(inner);
      if (!p)
        detail::thr_expression_error(source,
                                     "malformed percentile value \"" + std::string(inner) + "\"");
      // k6 does not range-check; out-of-range percentiles have no defined meaning there.
      if (!(*p >= 0 && *p <= 100))
        detail::thr_expression_error(source,
                                     "percentile " + std::string(inner) + " is outside 0..100");
      out.agg = agg::percentile;
      out.percentile = *p;
    } else if (lhs.empty()) {
      detail::thr_expression_error(source, "missing aggregation method");
    } else {
      // Includes a bare "p", which k6 would quietly read as p(0).
      detail::thr_expression_error(source,
                                   "unknown aggregation method \"" + std::string(lhs) + "\"");
    }
  }

  const std::optional<double> value = detail::thr_parse_go_float(rhs);
  if (!value) {
    std::string reason = "right hand side \"" + std::string(rhs) + "\" is not a number";
    if (detail::thr_looks_like_unit(rhs)) reason += "; units are not accepted";
    detail::thr_expression_error(source, reason);
  }
  out.rhs = *value;
  return out;
}

// ---------------------------------------------------------------------------------------
// Validation against the metric type (k6's table of aggregation methods).

namespace detail {
inline bool thr_supports(threshold_expression::aggregation a, metrics::metric_type t) noexcept {
  using agg = threshold_expression::aggregation;
  switch (t) {
    case metrics::metric_type::counter:
      return a == agg::count || a == agg::rate;
    case metrics::metric_type::gauge:
      return a == agg::value;
    case metrics::metric_type::rate:
      return a == agg::rate;
    case metrics::metric_type::trend:
      return a == agg::avg || a == agg::min || a == agg::max || a == agg::med ||
             a == agg::percentile;
  }
  return false;
}

inline std::string_view thr_supported_list(metrics::metric_type t) noexcept {
  switch (t) {
    case metrics::metric_type::counter:
      return "count, rate";
    case metrics::metric_type::gauge:
      return "value";
    case metrics::metric_type::rate:
      return "rate";
    case metrics::metric_type::trend:
      return "avg, min, max, med, p(N)";
  }
  return "";
}
}  // namespace detail

// Throws config_error when the aggregation does not exist for the metric's type.
// `metric` is the selector key, named in the message.
inline void validate_for(const threshold_expression& e, metrics::metric_type type,
                         std::string_view metric) {
  if (detail::thr_supports(e.agg, type)) return;
  throw config_error("threshold on metric " + std::string(metric) +
                         " (unsupported aggregation method " + e.method() + " on metric of type " +
                         std::string(metrics::to_string(type)) + ")",
                     e.source,
                     "one of the supported aggregation methods for this metric: " +
                         std::string(detail::thr_supported_list(type)));
}

// ---------------------------------------------------------------------------------------
// Evaluation.

// The value k6 compares with the expression's number, in k6's units: milliseconds for time
// trends, the raw value otherwise. Counter rate is sum / test-run seconds (Go float
// division, so a zero duration gives Inf or NaN); a Rate with no samples has no value (NaN
// here, and threshold_passes treats it as passing); empty trends and gauges give 0.
// Throws config_error if the aggregation does not exist for the type.
inline double aggregate(const threshold_expression& e, metrics::metric_type type,
                        metrics::value_kind kind, const metrics::sink& s, double test_run_seconds) {
  using agg = threshold_expression::aggregation;
  if (!detail::thr_supports(e.agg, type)) validate_for(e, type, "(unnamed)");
  switch (type) {
    case metrics::metric_type::counter:
      return e.agg == agg::count ? s.sum : s.sum / test_run_seconds;
    case metrics::metric_type::gauge:
      return s.value;
    case metrics::metric_type::rate:
      if (s.total == 0) return std::numeric_limits<double>::quiet_NaN();
      return static_cast<double>(s.passes) / static_cast<double>(s.total);
    case metrics::metric_type::trend:
      break;
  }
  double raw = 0;
  switch (e.agg) {
    case agg::min:
      raw = static_cast<double>(s.trend.min());
      break;
    case agg::max:
      raw = static_cast<double>(s.trend.max());
      break;
    case agg::avg:
      raw = s.trend.mean();
      break;
    case agg::med:
      raw = s.trend.percentile(50);
      break;
    case agg::percentile:
      raw = s.trend.percentile(e.percentile);
      break;
    default:
      break;
  }
  // Trends hold integers (nanoseconds for time, thousandths otherwise); k6 compares
  // milliseconds or plain values. Division, as k6 derives its float milliseconds.
  return raw / metrics::trend_unit_divisor(kind);
}

// Whether the expression holds. A Rate without samples passes whatever the operator (k6
// finds no value to compare and skips the check); other empty sinks compare their zeros.
// Skipping empty sinks during periodic evaluation is the caller's business.
inline bool threshold_passes(const threshold_expression& e, metrics::metric_type type,
                             metrics::value_kind kind, const metrics::sink& s,
                             double test_run_seconds) {
  if (type == metrics::metric_type::rate && s.total == 0 && detail::thr_supports(e.agg, type))
    return true;
  const double lhs = aggregate(e, type, kind, s, test_run_seconds);
  using cmp = threshold_expression::comparison;
  switch (e.op) {
    case cmp::lt:
      return lhs < e.rhs;
    case cmp::le:
      return lhs <= e.rhs;
    case cmp::gt:
      return lhs > e.rhs;
    case cmp::ge:
      return lhs >= e.rhs;
    case cmp::eq:
      return lhs == e.rhs;
    case cmp::ne:
      return lhs != e.rhs;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// One entry of a threshold array: an expression, or k6's object form
// { threshold, abortOnFail, delayAbortEval }.

struct threshold {
  threshold_expression expr;
  bool abort_on_fail = false;
  nanoseconds delay_abort_eval{0};  // 0: no delay

  threshold() = default;
  threshold(threshold_expression e, bool abort = false, nanoseconds delay = nanoseconds{0})
      : expr(std::move(e)), abort_on_fail(abort), delay_abort_eval(delay) {}
  // Lets {"p(95)<200", pacer::p(99) < 1s, pacer::abort_on_fail("rate<0.01")} build a list.
  template <class S>
  requires std::is_convertible_v<const S&, std::string_view> threshold(const S& source)
      : expr(parse_threshold_expression(std::string_view(source))) {}
};

// k6's { threshold: expr, abortOnFail: true, delayAbortEval: delay }.
inline threshold abort_on_fail(threshold_expression expr, nanoseconds delay_abort_eval = {}) {
  if (delay_abort_eval < nanoseconds{0})
    throw config_error("delayAbortEval", format_go_duration(delay_abort_eval), "a duration >= 0");
  return threshold(std::move(expr), true, delay_abort_eval);
}
inline threshold abort_on_fail(std::string_view expr, nanoseconds delay_abort_eval = {}) {
  return abort_on_fail(parse_threshold_expression(expr), delay_abort_eval);
}
// The delay as k6 scripts write it: "10s", "1m30s".
inline threshold abort_on_fail(std::string_view expr, std::string_view delay_abort_eval) {
  return abort_on_fail(parse_threshold_expression(expr),
                       parse_duration(delay_abort_eval, "delayAbortEval"));
}

// For a threshold that just failed a periodic evaluation: whether it stops the test now,
// `time_in_test` after the test started.
inline bool threshold_aborts_test(const threshold& t, nanoseconds time_in_test) noexcept {
  return t.abort_on_fail &&
         (t.delay_abort_eval <= nanoseconds{0} || t.delay_abort_eval < time_in_test);
}

// ---------------------------------------------------------------------------------------
// Typed form: pacer::p(99) < 5s, pacer::rate() < 0.01, pacer::count() >= 100. Each yields
// the threshold_expression of its canonical k6 text ("p(99)<5000"), so it is keyed in
// summaries exactly like the string form. A plain number is in the metric's unit; a
// std::chrono duration is converted to milliseconds (meaningful on time metrics only).

struct threshold_method {
  threshold_expression::aggregation agg = threshold_expression::aggregation::count;
  double percentile = 0;
};

inline threshold_method p(double percentile) {
  if (!(percentile >= 0 && percentile <= 100))
    throw config_error("threshold percentile", "p(" + detail::thr_number_text(percentile) + ")",
                       "p(N) with 0 <= N <= 100");
  return {threshold_expression::aggregation::percentile, percentile};
}
inline threshold_method count() noexcept {
  return {threshold_expression::aggregation::count};
}
inline threshold_method rate() noexcept {
  return {threshold_expression::aggregation::rate};
}
inline threshold_method value() noexcept {
  return {threshold_expression::aggregation::value};
}
inline threshold_method avg() noexcept {
  return {threshold_expression::aggregation::avg};
}
inline threshold_method med() noexcept {
  return {threshold_expression::aggregation::med};
}
inline threshold_method min() noexcept {
  return {threshold_expression::aggregation::min};
}
inline threshold_method max() noexcept {
  return {threshold_expression::aggregation::max};
}

namespace detail {
template <class T>
struct thr_is_duration : std::false_type {};
template <class Rep, class Period>
struct thr_is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

template <class T>
concept thr_operand =
    (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) || thr_is_duration<T>::value;

template <class T>
double thr_operand_value(const T& v) {
  if constexpr (thr_is_duration<T>::value)
    return std::chrono::duration<double, std::milli>(v).count();
  else
    return static_cast<double>(v);
}

template <class T>
threshold_expression thr_make(const threshold_method& m, std::string_view op, const T& rhs) {
  threshold_expression e;
  e.agg = m.agg;
  e.percentile = m.percentile;
  // Going through the parser guarantees the typed and string forms are identical.
  return parse_threshold_expression(e.method() + std::string(op) +
                                    thr_number_text(thr_operand_value(rhs)));
}
}  // namespace detail

template <detail::thr_operand T>
threshold_expression operator<(const threshold_method& m, const T& rhs) {
  return detail::thr_make(m, "<", rhs);
}
template <detail::thr_operand T>
threshold_expression operator<=(const threshold_method& m, const T& rhs) {
  return detail::thr_make(m, "<=", rhs);
}
template <detail::thr_operand T>
threshold_expression operator>(const threshold_method& m, const T& rhs) {
  return detail::thr_make(m, ">", rhs);
}
template <detail::thr_operand T>
threshold_expression operator>=(const threshold_method& m, const T& rhs) {
  return detail::thr_make(m, ">=", rhs);
}
template <detail::thr_operand T>
threshold_expression operator==(const threshold_method& m, const T& rhs) {
  return detail::thr_make(m, "==", rhs);
}
template <detail::thr_operand T>
threshold_expression operator!=(const threshold_method& m, const T& rhs) {
  return detail::thr_make(m, "!=", rhs);
}

}  // namespace pacer

#endif  // PACER_THRESHOLD_THRESHOLD_HPP
