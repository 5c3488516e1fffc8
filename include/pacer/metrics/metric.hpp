#ifndef PACER_METRICS_METRIC_HPP
#define PACER_METRICS_METRIC_HPP

// k6's metric vocabulary: metric types, value kinds, tag sets and the built-in metric names.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacer::metrics {

// The four k6 metric kinds.
enum class metric_type { counter, gauge, rate, trend };
// What a metric's values are, as k6 calls it in summaries ("contains").
enum class value_kind { plain, time, data };

inline std::string_view to_string(metric_type t) {
  switch (t) {
    case metric_type::counter:
      return "counter";
    case metric_type::gauge:
      return "gauge";
    case metric_type::rate:
      return "rate";
    case metric_type::trend:
      return "trend";
  }
  return "counter";
}
inline std::string_view to_string(value_kind k) {
  switch (k) {
    case value_kind::plain:
      return "default";
    case value_kind::time:
      return "time";
    case value_kind::data:
      return "data";
  }
  return "default";
}

// Trends keep integers: nanoseconds for time (values given in ms), thousandths
// otherwise. Negative values are recorded as 0 (the histogram is unsigned).
inline double trend_unit_divisor(value_kind k) noexcept {
  return k == value_kind::time ? 1e6 : 1e3;
}
inline std::uint64_t to_trend_units(double v, value_kind k) noexcept {
  double scaled = v * trend_unit_divisor(k);
  if (!(scaled > 0)) return 0;
  if (scaled >= 1.8e19) return UINT64_MAX;
  return static_cast<std::uint64_t>(std::llround(scaled));
}

// A set of tags, sorted by key; built at setup time, never on the hot path.
class tag_set {
 public:
  tag_set() = default;
  tag_set(std::initializer_list<std::pair<std::string, std::string>> tags) {
    for (auto& [k, v] : tags)
      set(k, v);
  }
  void set(std::string_view key, std::string_view value) {
    auto it = std::lower_bound(tags_.begin(), tags_.end(), key,
                               [](const auto& p, std::string_view k) { return p.first < k; });
    if (it != tags_.end() && it->first == key)
      it->second = value;
    else
      tags_.emplace(it, std::string(key), std::string(value));
  }
  void merge(const tag_set& other) {
    for (auto& [k, v] : other.tags_)
      set(k, v);
  }
  const std::string* find(std::string_view key) const {
    auto it = std::lower_bound(tags_.begin(), tags_.end(), key,
                               [](const auto& p, std::string_view k) { return p.first < k; });
    return it != tags_.end() && it->first == key ? &it->second : nullptr;
  }
  // True when every tag of `filter` is present here with the same value.
  bool contains_all(const tag_set& filter) const {
    for (auto& [k, v] : filter.tags_) {
      const std::string* mine = find(k);
      if (mine == nullptr || *mine != v) return false;
    }
    return true;
  }
  bool empty() const noexcept { return tags_.empty(); }
  auto begin() const { return tags_.begin(); }
  auto end() const { return tags_.end(); }
  friend bool operator==(const tag_set&, const tag_set&) = default;

 private:
  std::vector<std::pair<std::string, std::string>> tags_;
};

// Names of k6's built-in metrics (k6 keeps them verbatim, so do we).
namespace builtin {
inline constexpr std::string_view vus = "vus";
inline constexpr std::string_view vus_max = "vus_max";
inline constexpr std::string_view iterations = "iterations";
inline constexpr std::string_view iteration_duration = "iteration_duration";
inline constexpr std::string_view dropped_iterations = "dropped_iterations";
inline constexpr std::string_view data_sent = "data_sent";
inline constexpr std::string_view data_received = "data_received";
inline constexpr std::string_view http_reqs = "http_reqs";
inline constexpr std::string_view http_req_duration = "http_req_duration";
inline constexpr std::string_view http_req_blocked = "http_req_blocked";
inline constexpr std::string_view http_req_connecting = "http_req_connecting";
inline constexpr std::string_view http_req_tls_handshaking = "http_req_tls_handshaking";
inline constexpr std::string_view http_req_sending = "http_req_sending";
inline constexpr std::string_view http_req_waiting = "http_req_waiting";
inline constexpr std::string_view http_req_receiving = "http_req_receiving";
inline constexpr std::string_view http_req_failed = "http_req_failed";
inline constexpr std::string_view checks = "checks";
inline constexpr std::string_view group_duration = "group_duration";
// Our extension: actual iteration start minus its scheduled start.
inline constexpr std::string_view iteration_schedule_lag = "iteration_schedule_lag";
}  // namespace builtin

}  // namespace pacer::metrics

#endif
