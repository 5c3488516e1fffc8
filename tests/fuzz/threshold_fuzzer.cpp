// Fuzzes the threshold expression parser and the metric selector parser with the same input.
// Any text is either accepted or rejected with config_error. An accepted expression must parse
// back to itself from its canonical text (method, operator, number), which the typed form
// (pacer::p(99) < 5s) relies on, and must evaluate against every metric type without crashing.

#include <pacer/threshold/threshold.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool same_number(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

void expression(std::string_view text) {
  pacer::threshold_expression e;
  try {
    e = pacer::parse_threshold_expression(text);
  } catch (const pacer::config_error&) {
    return;
  }
  if (e.source != text) std::abort();
  if (e.agg == pacer::threshold_expression::aggregation::percentile &&
      !(e.percentile >= 0 && e.percentile <= 100))
    std::abort();

  const std::string canonical =
      e.method() + std::string(e.operator_text()) + pacer::detail::thr_number_text(e.rhs);
  const pacer::threshold_expression again = pacer::parse_threshold_expression(canonical);
  if (again.agg != e.agg || again.op != e.op || !same_number(again.percentile, e.percentile) ||
      !same_number(again.rhs, e.rhs))
    std::abort();

  // A few samples so percentiles, min and max have something to interpolate.
  pacer::metrics::sink s;
  for (std::uint64_t v : {0ULL, 1ULL, 1'000'000ULL, 123'456'789ULL})
    s.add_trend(v);
  s.add_counter(3);
  s.add_gauge(-2);
  s.add_rate(true);
  using pacer::metrics::metric_type;
  for (metric_type t :
       {metric_type::counter, metric_type::gauge, metric_type::rate, metric_type::trend}) {
    try {
      pacer::validate_for(e, t, "metric");
    } catch (const pacer::config_error&) {
      continue;
    }
    (void)pacer::threshold_passes(e, t, pacer::metrics::value_kind::time, s, 1.5);
    (void)pacer::threshold_passes(e, t, pacer::metrics::value_kind::plain, pacer::metrics::sink{},
                                  0);
  }
}

void selector(std::string_view text) {
  pacer::metric_selector m;
  try {
    m = pacer::parse_selector(text);
  } catch (const pacer::config_error&) {
    return;
  }
  if (m.metric.empty() || m.key.compare(0, m.metric.size(), m.metric) != 0) std::abort();
  const bool braces = text.find('{') != std::string_view::npos;
  if (m.is_submetric() != braces) std::abort();
  if (braces && m.key.back() != '}') std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  expression(text);
  selector(text);
  return 0;
}
