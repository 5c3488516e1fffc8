#ifndef PACER_CORE_DURATION_HPP
#define PACER_CORE_DURATION_HPP

// Durations: k6's duration strings parsed and Go's duration format printed.

#include <pacer/core/error.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace pacer {

using std::chrono::nanoseconds;

inline constexpr std::string_view duration_form =
    "a duration such as 300ms, 30s, 5m, 1h30m or 1d12h (units d, h, m, s, ms, us, ns); "
    "a bare number is milliseconds";

// Parses a k6 duration ("1m30s", "1.5s", "1d12h"; a bare number is ms, as in k6).
// `option` names the setting in the error message.
inline nanoseconds parse_duration(std::string_view text, std::string_view option = "duration") {
  auto fail = [&]() -> nanoseconds {
    throw config_error(std::string(option), std::string(text), std::string(duration_form));
  };
  if (text.empty()) return fail();
  std::string_view s = text;
  bool negative = false;
  if (s.front() == '-' || s.front() == '+') {
    negative = s.front() == '-';
    s.remove_prefix(1);
    if (s.empty()) return fail();
  }
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  // Bare number: milliseconds.
  bool bare = true;
  for (char c : s)
    if (!is_digit(c) && c != '.') bare = false;
  long double total_ns = 0;
  if (bare) {
    try {
      std::size_t used = 0;
      long double ms = std::stold(std::string(s), &used);
      if (used != s.size()) return fail();
      total_ns = ms * 1e6L;
    } catch (const std::exception&) {
      return fail();
    }
  } else {
    while (!s.empty()) {
      std::size_t i = 0;
      while (i < s.size() && (is_digit(s[i]) || s[i] == '.'))
        ++i;
      if (i == 0) return fail();
      long double number = 0;
      try {
        std::size_t used = 0;
        number = std::stold(std::string(s.substr(0, i)), &used);
        if (used != i) return fail();
      } catch (const std::exception&) {
        return fail();
      }
      s.remove_prefix(i);
      std::size_t u = 0;
      while (u < s.size() && !is_digit(s[u]) && s[u] != '.')
        ++u;
      std::string_view unit = s.substr(0, u);
      s.remove_prefix(u);
      long double scale = 0;
      if (unit == "ns")
        scale = 1;
      else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
        scale = 1e3L;
      else if (unit == "ms")
        scale = 1e6L;
      else if (unit == "s")
        scale = 1e9L;
      else if (unit == "m")
        scale = 60e9L;
      else if (unit == "h")
        scale = 3600e9L;
      else if (unit == "d")
        scale = 86400e9L;
      else
        return fail();
      total_ns += number * scale;
    }
  }
  if (total_ns > 9.2e18L) return fail();
  auto ns = static_cast<std::int64_t>(std::llround(total_ns));
  return nanoseconds(negative ? -ns : ns);
}

namespace detail {
// Go's fmtFrac/fmtInt: `v` scaled by 10^prec, printed with trailing zeros dropped.
inline std::string go_frac(std::uint64_t v, int prec, std::uint64_t& rest) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    auto digit = v % 10;
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  rest = v;
  if (print) digits.insert(digits.begin(), '.');
  return digits;
}
}  // namespace detail

// Formats like Go's time.Duration.String(): "5m0s", "1m30s", "500ms", "1.5s", "0s".
inline std::string format_go_duration(nanoseconds d) {
  std::int64_t n = d.count();
  if (n == 0) return "0s";
  bool neg = n < 0;
  std::uint64_t u = neg ? static_cast<std::uint64_t>(-(n + 1)) + 1 : static_cast<std::uint64_t>(n);
  std::string out;
  if (u < 1'000'000'000ULL) {
    int prec = 0;
    const char* unit = "ns";
    if (u < 1000ULL) {
      unit = "ns";
    } else if (u < 1'000'000ULL) {
      prec = 3;
      unit = "\xC2\xB5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    std::uint64_t rest = 0;
    std::string frac = detail::go_frac(u, prec, rest);
    out = std::to_string(rest) + frac + unit;
  } else {
    std::uint64_t rest = 0;
    std::string frac = detail::go_frac(u, 9, rest);
    std::uint64_t secs = rest % 60;
    rest /= 60;
    out = std::to_string(secs) + frac + "s";
    if (rest > 0) {
      std::uint64_t mins = rest % 60;
      rest /= 60;
      out = std::to_string(mins) + "m" + out;
      if (rest > 0) out = std::to_string(rest) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

// Milliseconds as k6 reports time values (float ms with nanosecond resolution).
inline double to_ms(nanoseconds d) {
  return static_cast<double>(d.count()) / 1e6;
}

}  // namespace pacer

#endif
