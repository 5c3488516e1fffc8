#ifndef PACER_METRICS_REGISTRY_HPP
#define PACER_METRICS_REGISTRY_HPP

// Metrics and their series: names, tag sets and submetrics resolved to small ids once,
// and the per-shard store that records samples by id.

#include <pacer/core/error.hpp>
#include <pacer/metrics/histogram.hpp>
#include <pacer/metrics/metric.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pacer::metrics {

// One summary entry: a metric, or a submetric (the metric restricted to samples
// whose tags contain `filter`), keyed by its k6 name ("http_req_duration{status:200}").
struct series_info {
  std::string key;
  std::string metric;
  metric_type type = metric_type::counter;
  value_kind contains = value_kind::plain;
  tag_set filter;
  bool is_submetric = false;
};

// The aggregate of one series. One struct for all kinds keeps the store a flat
// vector indexed by series id; only the fields of the series' type are used.
struct sink {
  double sum = 0;            // counter
  std::uint64_t passes = 0;  // rate: non-zero samples
  std::uint64_t total = 0;   // rate: all samples; counter/gauge: sample count
  double value = 0;          // gauge: last value
  double min = 0, max = 0;   // gauge
  histogram trend;           // trend: integer units (nanoseconds for time trends)

  void add_counter(double v) noexcept {
    sum += v;
    ++total;
  }
  void add_rate(bool non_zero) noexcept {
    passes += non_zero ? 1 : 0;
    ++total;
  }
  void add_gauge(double v) noexcept {
    // k6 quirk kept on purpose: the running max starts at 0.
    if (total == 0) {
      min = v;
      max = v > 0 ? v : 0;
    } else {
      min = v < min ? v : min;
      max = v > max ? v : max;
    }
    value = v;
    ++total;
  }
  void add_trend(std::uint64_t v) noexcept { trend.record(v); }

  bool observed(metric_type t) const noexcept {
    return t == metric_type::trend ? trend.count() > 0 : total > 0;
  }

  // Exact merge of another shard's aggregate of the same series.
  void merge(const sink& o, metric_type t) {
    switch (t) {
      case metric_type::counter:
        sum += o.sum;
        total += o.total;
        break;
      case metric_type::rate:
        passes += o.passes;
        total += o.total;
        break;
      case metric_type::gauge:
        if (o.total == 0) break;
        if (total == 0) {
          *this = o;
        } else {
          min = o.min < min ? o.min : min;
          max = o.max > max ? o.max : max;
          value = o.value;
          total += o.total;
        }
        break;
      case metric_type::trend:
        trend.merge(o.trend);
        break;
    }
  }
};

// The metrics and submetrics of a run, fixed before the run starts. Sample
// sources resolve their tag sets against it once, into lists of series ids, so
// recording a sample never compares strings.
class registry {
 public:
  using series_id = std::uint32_t;

  series_id metric(std::string_view name, metric_type type, value_kind contains) {
    for (series_id i = 0; i < series_.size(); ++i) {
      const auto& s = series_[i];
      if (!s.is_submetric && s.metric == name) {
        if (s.type != type || s.contains != contains)
          throw config_error(
              "metric " + std::string(name), std::string(to_string(type)),
              "the type it was first declared with (" + std::string(to_string(s.type)) + ")");
        return i;
      }
    }
    series_.push_back({std::string(name), std::string(name), type, contains, {}, false});
    return static_cast<series_id>(series_.size() - 1);
  }

  // A submetric of an existing metric; `key` is its summary name (k6 uses the
  // selector text verbatim).
  series_id submetric(std::string_view parent, tag_set filter, std::string key) {
    const series_info* p = find(parent);
    if (p == nullptr)
      throw config_error("submetric " + key, std::string(parent), "the name of a known metric");
    for (series_id i = 0; i < series_.size(); ++i)
      if (series_[i].key == key) return i;
    series_info s = *p;
    s.key = std::move(key);
    s.filter = std::move(filter);
    s.is_submetric = true;
    series_.push_back(std::move(s));
    return static_cast<series_id>(series_.size() - 1);
  }

  // The metric and every submetric of it whose filter the tags satisfy.
  std::vector<series_id> resolve(std::string_view metric_name, const tag_set& tags) const {
    std::vector<series_id> out;
    for (series_id i = 0; i < series_.size(); ++i) {
      const auto& s = series_[i];
      if (s.metric != metric_name) continue;
      if (!s.is_submetric || tags.contains_all(s.filter)) out.push_back(i);
    }
    return out;
  }

  const series_info* find(std::string_view metric_name) const {
    for (const auto& s : series_)
      if (!s.is_submetric && s.metric == metric_name) return &s;
    return nullptr;
  }
  const series_info& info(series_id id) const { return series_[id]; }
  std::size_t size() const noexcept { return series_.size(); }

 private:
  std::vector<series_info> series_;
};

// One shard's aggregates, indexed by series id. Owned by one thread while the
// run is going; merged by the coordinator afterwards.
class store {
 public:
  explicit store(std::size_t series = 0) : sinks_(series) {}
  sink& operator[](registry::series_id id) noexcept { return sinks_[id]; }
  const sink& operator[](registry::series_id id) const noexcept { return sinks_[id]; }
  std::size_t size() const noexcept { return sinks_.size(); }

  void add_counter(const std::vector<registry::series_id>& ids, double v) noexcept {
    for (auto id : ids)
      sinks_[id].add_counter(v);
  }
  void add_rate(const std::vector<registry::series_id>& ids, bool non_zero) noexcept {
    for (auto id : ids)
      sinks_[id].add_rate(non_zero);
  }
  void add_trend(const std::vector<registry::series_id>& ids, std::uint64_t v) noexcept {
    for (auto id : ids)
      sinks_[id].add_trend(v);
  }
  void add_gauge(const std::vector<registry::series_id>& ids, double v) noexcept {
    for (auto id : ids)
      sinks_[id].add_gauge(v);
  }

  void merge(const store& other, const registry& reg) {
    if (sinks_.size() < other.sinks_.size()) sinks_.resize(other.sinks_.size());
    for (std::size_t i = 0; i < other.sinks_.size(); ++i)
      sinks_[i].merge(other.sinks_[i], reg.info(static_cast<registry::series_id>(i)).type);
  }

 private:
  std::vector<sink> sinks_;
};

}  // namespace pacer::metrics

#endif
