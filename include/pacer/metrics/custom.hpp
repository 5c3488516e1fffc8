#ifndef PACER_METRICS_CUSTOM_HPP
#define PACER_METRICS_CUSTOM_HPP

// Custom metrics (k6's Counter, Gauge, Rate, Trend): declarations and the recorder that
// a scenario's response hook writes to.

#include <pacer/core/error.hpp>
#include <pacer/metrics/registry.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace pacer {

// A custom metric declared on a plan (k6: new Counter/Gauge/Rate/Trend(name, isTime)).
struct metric_handle {
  std::uint32_t index = 0;
};

struct custom_metric {
  std::string name;
  metrics::metric_type type;
  metrics::value_kind contains;
};

namespace detail {
// k6's rule for metric names.
inline void validate_metric_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128 && !(name[0] >= '0' && name[0] <= '9');
  for (char c : name)
    ok = ok &&
         ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok)
    throw config_error("metric name", name,
                       "letters, digits and _ (not first a digit), at most 128 characters");
}
}  // namespace detail

// Where a response hook records samples of custom metrics. It writes into the
// shard that runs the VU: no lock, and the scenario's tags are resolved once per
// metric (extra tags cost a resolution per call).
class recorder {
 public:
  recorder(metrics::store& store, const metrics::registry& reg, const metrics::tag_set& base,
           const std::vector<custom_metric>& defs,
           std::vector<std::vector<metrics::registry::series_id>>& cache)
      : store_(store), reg_(reg), base_(base), defs_(defs), cache_(cache) {}

  // A sample with the scenario's tags. Time trends take milliseconds, as in k6.
  // A handle from another plan is ignored: nothing here may throw on a shard.
  void add(metric_handle m, double value) {
    if (m.index < defs_.size()) add_to(series(m), m, value);
  }
  void add(metric_handle m, double value, const metrics::tag_set& extra_tags) {
    if (m.index >= defs_.size()) return;
    metrics::tag_set t = base_;
    t.merge(extra_tags);
    add_to(reg_.resolve(def(m).name, t), m, value);
  }

 private:
  const custom_metric& def(metric_handle m) const { return defs_[m.index]; }
  const std::vector<metrics::registry::series_id>& series(metric_handle m) {
    if (cache_.size() < defs_.size()) cache_.resize(defs_.size());
    auto& ids = cache_[m.index];
    if (ids.empty()) ids = reg_.resolve(def(m).name, base_);
    return ids;
  }
  void add_to(const std::vector<metrics::registry::series_id>& ids, metric_handle m, double v) {
    const auto& d = def(m);
    switch (d.type) {
      case metrics::metric_type::counter:
        store_.add_counter(ids, v);
        break;
      case metrics::metric_type::gauge:
        store_.add_gauge(ids, v);
        break;
      case metrics::metric_type::rate:
        store_.add_rate(ids, v != 0);
        break;
      case metrics::metric_type::trend:
        store_.add_trend(ids, metrics::to_trend_units(v, d.contains));
        break;
    }
  }

  metrics::store& store_;
  const metrics::registry& reg_;
  const metrics::tag_set& base_;
  const std::vector<custom_metric>& defs_;
  std::vector<std::vector<metrics::registry::series_id>>& cache_;
};

}  // namespace pacer

#endif
