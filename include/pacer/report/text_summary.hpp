#ifndef PACER_REPORT_TEXT_SUMMARY_HPP
#define PACER_REPORT_TEXT_SUMMARY_HPP

// textSummary(data, options) of jslib k6-summary 0.0.2, reproduced byte for byte.
//
// The original is JavaScript run by k6's embedded engine (goja), so every step
// here mirrors a JavaScript operation: IEEE double arithmetic in the same order,
// Number.prototype.toFixed / toString, `names.sort()` (UTF-16 code unit order),
// loose comparisons and string conversions of whatever the data holds.

#include <pacer/config.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pacer {

struct text_summary_options {
  std::string indent = " ";
  // 0.0.2 defaults to colours and never looks at data.options.noColor; k6 itself
  // passes `!noColor && isStdOutTTY` for its default summary.
  bool enable_colors = true;
  std::optional<std::vector<std::string>> summary_trend_stats{};  // overrides data.options when set
  std::optional<std::string> summary_time_unit{};                 // overrides data.options when set
};

// textSummary(data, options) of jslib k6-summary 0.0.2 over k6's handleSummary data.
// Options: 0.0.2's defaults, then data.options, then the caller's (indent and colours
// always come from the caller). Lines are joined with '\n', without a final newline;
// padding leaves trailing spaces as the original does. Keys other than root_group,
// options and metrics (state, setup_data, pacer, …) are not read.
// Throws std::invalid_argument where 0.0.2 would throw, e.g. without summaryTrendStats.
PACER_DECL std::string text_summary(const nlohmann::json& data,
                                    const text_summary_options& opts = {});

}  // namespace pacer

#if !defined(PACER_SEPARATE_COMPILATION)
#include <pacer/report/impl/text_summary.ipp>
#endif

#endif
