#ifndef PACER_REPORT_IMPL_TEXT_SUMMARY_IPP
#define PACER_REPORT_IMPL_TEXT_SUMMARY_IPP

// The definition of text_summary: every JavaScript step of k6-summary 0.0.2.

#include <pacer/report/text_summary.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacer {

namespace detail::tsum {

using json = nlohmann::json;
// A value as the JavaScript code sees it; nullptr stands for `undefined`.
using jsval = const json*;

// Where 0.0.2 would throw a TypeError (and k6 fall back to its own summary).
[[noreturn]] inline void type_error(const std::string& what) {
  throw std::invalid_argument("text_summary: " + what);
}

// ---------------------------------------------------------------- Unicode

// Invalid bytes become U+FFFD one by one, as when k6 hands Go strings to the engine.
inline std::u32string utf8_to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0u) == 0x80u;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (ok && len == 3) ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    if (ok && len == 4) ok = cp >= 0x10000 && cp <= 0x10FFFF;
    if (!ok) {
      out += U'\uFFFD';
      ++i;
      continue;
    }
    out += cp;
    i += len;
  }
  return out;
}

inline std::u16string utf8_to_u16(std::string_view s) {
  std::u16string out;
  for (char32_t cp : utf8_to_u32(s)) {
    if (cp < 0x10000) {
      out += static_cast<char16_t>(cp);
    } else {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    }
  }
  return out;
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A substring can split a surrogate pair; the lone half leaves the engine as U+FFFD.
inline std::string u16_to_utf8(std::u16string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char32_t u = s[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (s[i + 1] - 0xDC00u));
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      append_utf8(out, U'\uFFFD');
    } else {
      append_utf8(out, u);
    }
  }
  return out;
}

// strWidth: code points, not counting ANSI escape sequences. 0.0.2 counts after
// NFKC normalisation; this counts the code points as given, which is the same for
// everything k6 emits and for any NFC text without compatibility characters.
inline std::size_t str_width(std::string_view s) {
  bool in_esc = false;
  bool in_long_esc = false;
  std::size_t width = 0;
  for (const char32_t c : utf8_to_u32(s)) {
    if (c == 0x1B) {
      in_esc = true;
      continue;
    }
    if (in_esc && c == U'[') {
      in_long_esc = true;
      continue;
    }
    if (in_esc && in_long_esc && c >= 0x40 && c <= 0x7E) {
      in_esc = false;
      in_long_esc = false;
      continue;
    }
    if (in_esc && !in_long_esc && c >= 0x40 && c <= 0x5F) {
      in_esc = false;
      continue;
    }
    if (!in_esc && !in_long_esc) ++width;
  }
  return width;
}

// String.prototype.repeat: a negative count is a RangeError.
inline std::string repeat(std::string_view unit, std::ptrdiff_t count) {
  if (count < 0) type_error("negative padding");
  std::string out;
  for (std::ptrdiff_t i = 0; i < count; ++i)
    out += unit;
  return out;
}

// ---------------------------------------------------------------- numbers

// Rounds a product to double before it meets an addition: the engine never fuses a
// multiply and an add, while compilers may (fp-contract) where FMA is available.
inline double no_fma(double v) {
  volatile double r = v;
  return r;
}

// Number.prototype.toString(): shortest round-trip digits in JavaScript's layout.
inline std::string js_number_to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";  // also -0
  std::string sign = v < 0 ? "-" : "";
  char buf[64];
  const auto res =
      std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t epos = sci.find('e');
  std::string digits(1, sci[0]);
  if (epos > 2) digits.append(sci.substr(2, epos - 2));
  std::string_view exp_text = sci.substr(epos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  int exp10 = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // position of the decimal point relative to the digits
  if (k <= n && n <= 21) return sign + digits + std::string(static_cast<std::size_t>(n - k), '0');
  if (0 < n && n <= 21) {
    const auto un = static_cast<std::size_t>(n);
    return sign + digits.substr(0, un) + "." + digits.substr(un);
  }
  if (-6 < n && n <= 0)
    return sign + "0." + std::string(static_cast<std::size_t>(-n), '0') + digits;
  std::string out = sign + digits.substr(0, 1);
  if (k > 1) out += "." + digits.substr(1);
  out += n - 1 >= 0 ? "e+" : "e-";
  out += std::to_string(n - 1 >= 0 ? n - 1 : 1 - n);
  return out;
}

// Number.prototype.toFixed(f): the exact binary value rounded half up (ties go to the
// larger magnitude), unlike printf's round-half-even; |v| >= 1e21 falls back to toString.
inline std::string js_to_fixed(double v, int f) {
  if (std::isnan(v)) return "NaN";
  if (std::fabs(v) >= 1e21) return js_number_to_string(v);
  std::string out = v < 0 ? "-" : "";  // -0 prints as "0.00"
  v = std::fabs(v);
  // 1100 fractional digits hold any double's expansion exactly, so nothing is rounded here.
  char buf[1200];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 1100);
  const std::string_view exact(buf, static_cast<std::size_t>(res.ptr - buf));
  const std::size_t dot = exact.find('.');
  const auto uf = static_cast<std::size_t>(f);
  std::string digits(exact.substr(0, dot));
  digits.append(exact.substr(dot + 1, uf));
  if (exact[dot + 1 + uf] >= '5') {
    std::size_t i = digits.size();
    while (i > 0 && digits[i - 1] == '9')
      digits[--i] = '0';
    if (i == 0)
      digits.insert(digits.begin(), '1');
    else
      ++digits[i - 1];
  }
  if (f == 0) return out + digits;
  out += digits.substr(0, digits.size() - uf);
  out += '.';
  out += digits.substr(digits.size() - uf);
  return out;
}

// parseFloat(v.toFixed(prec)).toString(): drops trailing zeros and "-0".
inline std::string to_fixed_no_trailing_zeros(double v, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::fabs(v) >= 1e21) return js_number_to_string(v);  // toString parses back to v
  const std::string fixed = js_to_fixed(v, prec);
  double parsed = 0;
  std::from_chars(fixed.data(), fixed.data() + fixed.size(), parsed);
  return js_number_to_string(parsed);
}

inline double pow10_int(int prec) {
  return prec == 0 ? 1.0 : prec == 2 ? 100.0 : std::pow(10.0, prec);
}

// toFixedNoTrailingZerosTrunc: truncate (not round) to `prec` decimals first.
inline std::string to_fixed_trunc(double v, int prec) {
  const double mult = pow10_int(prec);
  return to_fixed_no_trailing_zeros(std::trunc(mult * v) / mult, prec);
}

// Math.log as k6's engine computes it (Go's math.Log, a simplified fdlibm). Other
// implementations differ in the last bit for some inputs, and floor(log(b) / log(1000))
// picks the byte unit, so the same bits are needed.
inline double go_log(double x) {
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  constexpr double l1 = 6.666666666666735130e-01;
  constexpr double l2 = 3.999999999940941908e-01;
  constexpr double l3 = 2.857142874366239149e-01;
  constexpr double l4 = 2.222219843214978396e-01;
  constexpr double l5 = 1.818357216161805012e-01;
  constexpr double l6 = 1.531383769920937332e-01;
  constexpr double l7 = 1.479819860511658591e-01;
  if (std::isnan(x) || x == std::numeric_limits<double>::infinity()) return x;
  if (x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  int ki = 0;
  double f1 = std::frexp(x, &ki);
  if (f1 < 7.07106781186547524401e-01) {
    f1 *= 2;
    --ki;
  }
  const double f = f1 - 1;
  const double k = ki;
  const double s = f / (2 + f);
  const double s2 = s * s;
  const double s4 = s2 * s2;
  const double t1 = s2 * (l1 + no_fma(s4 * (l3 + no_fma(s4 * (l5 + no_fma(s4 * l7))))));
  const double t2 = s4 * (l2 + no_fma(s4 * (l4 + no_fma(s4 * l6))));
  const double r = no_fma(t1) + no_fma(t2);
  const double hfsq = no_fma(no_fma(0.5 * f) * f);
  return no_fma(k * ln2_hi) - ((hfsq - (no_fma(s * (hfsq + r)) + no_fma(k * ln2_lo))) - f);
}

// Math.pow(1000, e) for the integral e of humanizeBytes, as Go's math.Pow computes it
// (repeated squaring of the mantissa): exact up to 1000^7, one rounding for 1000^8.
inline double go_pow_1000(double e) {
  if (std::isnan(e)) return e;
  if (std::isinf(e)) return e > 0 ? e : 0.0;
  if (e == 0) return 1;
  if (e < 0) return 1 / go_pow_1000(-e);
  int xe = 0;
  double x1 = std::frexp(1000.0, &xe);
  double a1 = 1;
  long ae = 0;
  for (auto i = static_cast<std::uint64_t>(e); i != 0; i >>= 1) {
    if (xe < -(1 << 12) || (1 << 12) < xe) {
      ae += xe;
      break;
    }
    if ((i & 1) == 1) {
      a1 *= x1;
      ae += xe;
    }
    x1 *= x1;
    xe <<= 1;
    if (x1 < .5) {
      x1 += x1;
      --xe;
    }
  }
  if (ae > 4096) return std::numeric_limits<double>::infinity();
  return std::ldexp(a1, static_cast<int>(ae));
}

// ---------------------------------------------------------------- JS conversions

inline bool is_stringish(jsval v) {
  return v != nullptr && (v->is_string() || v->is_array() || v->is_object());
}

// StringToNumber for decimal literals, "Infinity" and 0x/0o/0b integers.
inline double string_to_number(std::string_view s) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const auto space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  if (s.empty()) return 0;
  if (s == "Infinity" || s == "+Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  if (s.size() > 2 && s[0] == '0' &&
      std::string_view("xXoObB").find(s[1]) != std::string_view::npos) {
    const int base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
    double v = 0;
    for (const char c : s.substr(2)) {
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : 99;
      if (d >= base) return nan;
      v = v * base + d;
    }
    return v;
  }
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') body.remove_prefix(1);
  std::size_t i = 0;
  std::size_t mantissa_digits = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9')
    ++i, ++mantissa_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9')
      ++i, ++mantissa_digits;
  }
  if (mantissa_digits == 0) return nan;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    const std::size_t start = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9')
      ++i;
    if (i == start) return nan;
  }
  if (i != body.size()) return nan;
  double v = 0;
  const char* first = s[0] == '+' ? s.data() + 1 : s.data();
  std::from_chars(first, s.data() + s.size(), v);
  return v;
}

inline std::string to_js_string(jsval v);

// ToNumber.
inline double to_number(jsval v) {
  if (v == nullptr) return std::numeric_limits<double>::quiet_NaN();
  if (v->is_null()) return 0;
  if (v->is_boolean()) return v->get<bool>() ? 1 : 0;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) return string_to_number(v->get_ref<const std::string&>());
  if (v->is_array()) return string_to_number(to_js_string(v));
  return std::numeric_limits<double>::quiet_NaN();
}

// ToString, as used by `+` concatenation.
inline std::string to_js_string(jsval v) {
  if (v == nullptr) return "undefined";
  if (v->is_null()) return "null";
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number()) return js_number_to_string(v->get<double>());
  if (v->is_string()) return v->get<std::string>();
  if (v->is_array()) {
    std::string out;
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (i > 0) out += ',';
      const json& e = (*v)[i];
      if (!e.is_null()) out += to_js_string(&e);
    }
    return out;
  }
  return "[object Object]";
}

inline bool truthy(jsval v) {
  if (v == nullptr || v->is_null()) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number()) {
    const double d = v->get<double>();
    return d != 0 && !std::isnan(d);
  }
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  return true;
}

// obj.key: a TypeError on undefined/null, undefined on other primitives.
inline jsval get(jsval obj, const std::string& key, const char* what) {
  if (obj == nullptr || obj->is_null())
    type_error(std::string("cannot read '") + key + "' of " + what);
  if (!obj->is_object()) return nullptr;
  const auto it = obj->find(key);
  return it == obj->end() ? nullptr : &*it;
}

// x == 0
inline bool loose_eq_zero(jsval v) {
  if (v == nullptr || v->is_null()) return false;
  return to_number(v) == 0;
}

// x != ''
inline bool loose_ne_empty_string(jsval v) {
  if (v == nullptr || v->is_null()) return true;
  if (v->is_string() || v->is_array() || v->is_object()) return !to_js_string(v).empty();
  return to_number(v) != 0;
}

// a + b, then used as a number: concatenation wins as soon as one side is a string.
inline double plus_as_number(jsval a, jsval b) {
  if (is_stringish(a) || is_stringish(b))
    return string_to_number(to_js_string(a) + to_js_string(b));
  return to_number(a) + to_number(b);
}

// ---------------------------------------------------------------- humanize

inline bool fixed_time_unit(const std::string& unit) {
  return unit == "s" || unit == "ms" || unit == "us";
}

inline std::string humanize_bytes(jsval bytes) {
  static constexpr std::string_view units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  const double b = to_number(bytes);
  if (b < 10) return to_js_string(bytes) + " B";
  const double e = std::floor(go_log(b) / go_log(1000));
  // units[e | 0]: ToInt32, so NaN and infinities pick "B"; past "YB" it is undefined.
  const double idx = std::isfinite(e) ? e : 0;
  const std::string suffix =
      idx >= 0 && idx < 9 ? std::string(units[static_cast<std::size_t>(idx)]) : "undefined";
  const double val = std::floor(no_fma((b / go_pow_1000(e)) * 10) + 0.5) / 10;
  return js_to_fixed(val, val < 10 ? 1 : 0) + " " + suffix;
}

inline std::string humanize_generic_duration(jsval dur_value) {
  if (dur_value != nullptr && dur_value->is_number() && dur_value->get<double>() == 0) return "0s";
  const double dur = to_number(dur_value);
  if (dur < 0.001) return js_number_to_string(std::trunc(dur * 1000000)) + "ns";
  if (dur < 1) return to_fixed_trunc(dur * 1000, 2) + "\u00b5s";
  if (dur < 1000) return to_fixed_trunc(dur, 2) + "ms";
  std::string result = to_fixed_trunc(std::fmod(dur, 60000) / 1000, dur > 60000 ? 0 : 2) + "s";
  double rem = std::trunc(dur / 60000);
  if (rem < 1) return result;
  result = js_number_to_string(std::fmod(rem, 60)) + "m" + result;
  rem = std::trunc(rem / 60);
  if (rem < 1) return result;
  return js_number_to_string(rem) + "h" + result;
}

inline std::string humanize_duration(jsval dur, const std::string& unit) {
  if (fixed_time_unit(unit)) {
    const double coef = unit == "s" ? 0.001 : unit == "ms" ? 1 : 1000;
    return js_to_fixed(to_number(dur) * coef, 2) + (unit == "us" ? "\u00b5s" : unit);
  }
  return humanize_generic_duration(dur);
}

// humanizeValue(val, metric, timeUnit); `unit` is "" unless a fixed unit applies.
inline std::string humanize_value(jsval val, jsval metric, const std::string& unit) {
  const jsval type = get(metric, "type", "metric");
  if (type != nullptr && type->is_string() && type->get_ref<const std::string&>() == "rate")
    return js_to_fixed(std::trunc(to_number(val) * 100 * 100) / 100, 2) + "%";
  const jsval contains = get(metric, "contains", "metric");
  const std::string kind =
      contains != nullptr && contains->is_string() ? contains->get<std::string>() : "";
  if (kind == "data") return humanize_bytes(val);
  if (kind == "time") return humanize_duration(val, unit);
  // val.toFixed(6): only numbers have toFixed.
  if (val == nullptr || !val->is_number()) type_error("value is not a number");
  return to_fixed_no_trailing_zeros(val->get<double>(), 6);
}

// ---------------------------------------------------------------- layout

struct palette {
  static constexpr int faint = 2;
  static constexpr int red = 31;
  static constexpr int green = 32;
  static constexpr int cyan = 36;
};

struct decorator {
  bool enabled;
  std::string operator()(const std::string& text, int color, int style = 0) const {
    if (!enabled) return text;
    std::string out = "\x1b[" + std::to_string(color);
    if (style != 0) out += ";" + std::to_string(style);
    return out + "m" + text + "\x1b[0m";
  }
};

inline std::string summarize_check(const std::string& indent, jsval check,
                                   const decorator& decorate) {
  const jsval name = get(check, "name", "check");
  const jsval passes = get(check, "passes", "check");
  const jsval fails = get(check, "fails", "check");
  if (loose_eq_zero(fails))
    return decorate(indent + "\u2713 " + to_js_string(name), palette::green);
  const double percent = std::floor((100 * to_number(passes)) / plus_as_number(passes, fails));
  return decorate(indent + "\u2717 " + to_js_string(name) + "\n" + indent + " \u21b3  " +
                      js_number_to_string(percent) + "% \u2014 \u2713 " + to_js_string(passes) +
                      " / \u2717 " + to_js_string(fails),
                  palette::red);
}

// Only arrays have elements here; other values have no `length` and loop zero times.
inline std::vector<jsval> elements(jsval list, const char* what) {
  if (list == nullptr || list->is_null()) type_error(std::string("missing ") + what);
  std::vector<jsval> out;
  if (list->is_array())
    for (const json& e : *list)
      out.push_back(&e);
  return out;
}

inline void summarize_group(std::string indent, jsval group, const decorator& decorate,
                            std::vector<std::string>& lines) {
  const jsval name = get(group, "name", "group");
  if (loose_ne_empty_string(name)) {
    lines.push_back(indent + "\u2588 " + to_js_string(name) + "\n");
    indent += "  ";
  }
  const auto checks = elements(get(group, "checks", "group"), "group checks");
  for (const jsval check : checks)
    lines.push_back(summarize_check(indent, check, decorate));
  if (!checks.empty()) lines.emplace_back();
  for (const jsval sub : elements(get(group, "groups", "group"), "group groups"))
    summarize_group(indent, sub, decorate, lines);
}

// A submetric "parent{tags}" shows as "{ tags }": substring(indexOf('{') + 1, length - 1)
// in UTF-16 units, which swaps its bounds when the first exceeds the second.
inline std::string display_name(const std::string& name) {
  const std::u16string u = utf8_to_u16(name);
  const std::size_t pos = u.find(u'{');
  if (pos == std::u16string::npos) return name;
  std::size_t a = std::min(pos + 1, u.size());
  std::size_t b = u.empty() ? 0 : u.size() - 1;
  if (a > b) std::swap(a, b);
  return "{ " + u16_to_utf8(std::u16string_view(u).substr(a, b - a)) + " }";
}

inline std::string metric_indent(const std::string& name) {
  return name.find('{') == std::string::npos ? "" : "  ";
}

struct metric_row {
  std::string name;
  std::u16string sort_key;
  jsval metric;
  bool trend = false;
  std::vector<std::string> cols;  // trend columns, or value followed by extras
};

inline std::string summarize_metric_mark(jsval metric, const decorator& decorate) {
  const jsval thresholds = get(metric, "thresholds", "metric");
  if (!truthy(thresholds)) return " ";
  bool failed = false;
  if (thresholds->is_object() || thresholds->is_array()) {
    for (const json& t : *thresholds) {
      // A null entry would be a TypeError in 0.0.2 unless a failure was seen before it in
      // key order; key order is unknown here, so it simply counts as not ok.
      if (t.is_null() || !truthy(get(&t, "ok", "threshold"))) failed = true;
    }
  } else if (thresholds->is_string()) {
    failed = true;  // every character is an entry without `ok`
  }
  return failed ? decorate("\u2717", palette::red) : decorate("\u2713", palette::green);
}

inline void summarize_metrics(const std::string& base_indent, const std::vector<std::string>& stats,
                              const std::string& unit, jsval metrics, const decorator& decorate,
                              std::vector<std::string>& lines) {
  const std::string indent = base_indent + "  ";
  std::vector<metric_row> rows;
  std::size_t name_len_max = 0;
  std::size_t non_trend_value_max = 0;
  std::vector<std::size_t> non_trend_extra_max(2, 0);
  std::vector<std::size_t> trend_col_max(stats.size(), 0);

  if (metrics != nullptr && metrics->is_object()) {
    for (const auto& [name, metric_json] : metrics->items()) {
      metric_row row{name, utf8_to_u16(name), &metric_json, false, {}};
      name_len_max = std::max(name_len_max, str_width(metric_indent(name) + display_name(name)));
      const jsval type = get(row.metric, "type", "metric");
      const std::string type_name =
          type != nullptr && type->is_string() ? type->get<std::string>() : "";
      if (type_name == "trend") {
        row.trend = true;
        const jsval values = get(row.metric, "values", "metric");
        for (std::size_t i = 0; i < stats.size(); ++i) {
          const jsval v = get(values, stats[i], "metric values");
          std::string col;
          if (stats[i] == "count") {
            if (v == nullptr || v->is_null()) type_error("trend has no count");
            col = to_js_string(v);
          } else {
            col = humanize_value(v, row.metric, unit);
          }
          trend_col_max[i] = std::max(trend_col_max[i], str_width(col));
          row.cols.push_back(std::move(col));
        }
      } else {
        const auto value = [&](const char* key) {
          return get(get(row.metric, "values", "metric"), key, "metric values");
        };
        if (type_name == "counter") {
          row.cols = {humanize_value(value("count"), row.metric, unit),
                      humanize_value(value("rate"), row.metric, unit) + "/s"};
        } else if (type_name == "gauge") {
          row.cols = {humanize_value(value("value"), row.metric, unit),
                      "min=" + humanize_value(value("min"), row.metric, unit),
                      "max=" + humanize_value(value("max"), row.metric, unit)};
        } else if (type_name == "rate") {
          row.cols = {humanize_value(value("rate"), row.metric, unit),
                      "\u2713 " + to_js_string(value("passes")),
                      "\u2717 " + to_js_string(value("fails"))};
        } else {
          row.cols = {"[no data]"};
        }
        non_trend_value_max = std::max(non_trend_value_max, str_width(row.cols[0]));
        // A counter's "…/s" widens extra column 1 for every line, though the counter
        // line itself is printed without padding.
        for (std::size_t i = 1; i < row.cols.size(); ++i)
          non_trend_extra_max[i - 1] = std::max(non_trend_extra_max[i - 1], str_width(row.cols[i]));
      }
      rows.push_back(std::move(row));
    }
  }

  // names.sort(): plain UTF-16 code unit order, not localeCompare.
  std::sort(rows.begin(), rows.end(),
            [](const metric_row& a, const metric_row& b) { return a.sort_key < b.sort_key; });

  const auto pad = [](std::size_t max, const std::string& s) {
    return repeat(" ",
                  static_cast<std::ptrdiff_t>(max) - static_cast<std::ptrdiff_t>(str_width(s)));
  };
  for (const metric_row& row : rows) {
    const std::string mark = summarize_metric_mark(row.metric, decorate);
    const std::string fmt_indent = metric_indent(row.name);
    const std::string name = display_name(row.name);
    const auto dots = static_cast<std::ptrdiff_t>(name_len_max) -
                      static_cast<std::ptrdiff_t>(str_width(name)) -
                      static_cast<std::ptrdiff_t>(str_width(fmt_indent)) + 3;
    std::string data;
    if (row.trend) {
      for (std::size_t i = 0; i < row.cols.size(); ++i) {
        if (i > 0) data += ' ';
        data += stats[i] + "=" + decorate(row.cols[i], palette::cyan) +
                pad(trend_col_max[i], row.cols[i]);
      }
    } else {
      data = decorate(row.cols[0], palette::cyan) + pad(non_trend_value_max, row.cols[0]);
      if (row.cols.size() == 2) {
        data += " " + decorate(row.cols[1], palette::cyan, palette::faint);
      } else if (row.cols.size() > 2) {
        for (std::size_t i = 1; i < row.cols.size(); ++i)
          data += " " + decorate(row.cols[i], palette::cyan, palette::faint) +
                  pad(non_trend_extra_max[i - 1], row.cols[i]);
      }
    }
    lines.push_back(indent + fmt_indent + mark + " " + name +
                    decorate(repeat(".", dots) + ":", palette::faint) + " " + data);
  }
}

}  // namespace detail::tsum

PACER_DECL std::string text_summary(const nlohmann::json& data, const text_summary_options& opts) {
  namespace ts = detail::tsum;
  const ts::jsval data_options = ts::get(&data, "options", "data");

  std::vector<std::string> stats;
  if (opts.summary_trend_stats) {
    stats = *opts.summary_trend_stats;
  } else {
    const ts::jsval from_data = data_options != nullptr && !data_options->is_null()
                                    ? ts::get(data_options, "summaryTrendStats", "options")
                                    : nullptr;
    if (from_data == nullptr || !from_data->is_array()) ts::type_error("no summaryTrendStats");
    for (const auto& s : *from_data)
      stats.push_back(ts::to_js_string(&s));
  }

  std::string unit;
  if (opts.summary_time_unit) {
    unit = *opts.summary_time_unit;
  } else if (data_options != nullptr && !data_options->is_null()) {
    const ts::jsval u = ts::get(data_options, "summaryTimeUnit", "options");
    if (u != nullptr && u->is_string()) unit = u->get<std::string>();
  }

  const ts::decorator decorate{opts.enable_colors};
  std::vector<std::string> lines;
  ts::summarize_group(opts.indent + "    ", ts::get(&data, "root_group", "data"), decorate, lines);
  ts::summarize_metrics(opts.indent, stats, unit, ts::get(&data, "metrics", "data"), decorate,
                        lines);

  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace pacer

#endif
