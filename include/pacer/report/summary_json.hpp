#ifndef PACER_REPORT_SUMMARY_JSON_HPP
#define PACER_REPORT_SUMMARY_JSON_HPP

// k6's handleSummary data and --summary-export shapes, built from a run's result.

#include <pacer/config.hpp>
#include <pacer/scenario/result.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace pacer {

// Version of the "pacer" section. 2: histogram buckets as one "index:count ..." string.
inline constexpr int summary_schema_version = 2;

// The k6 handleSummary `data` object for this run, plus the `pacer` key.
PACER_DECL nlohmann::json summary_data(const run_result& r, bool no_color = false);

// What `k6 run --summary-export` writes: the legacy shape derived from the data object.
PACER_DECL nlohmann::json summary_export(const nlohmann::json& data);

// Writes `text` to `path` through a temporary file renamed into place, so a
// reader never sees a half-written file. False when it cannot.
PACER_DECL bool write_file(const std::string& path, const std::string& text);

// Whether write_file(path, ...) can succeed, checked before a run without leaving
// anything behind (not even an empty file at `path`).
PACER_DECL bool can_write_file(const std::string& path);

}  // namespace pacer

#if !defined(PACER_SEPARATE_COMPILATION)
#include <pacer/report/impl/summary_json.ipp>
#endif

#endif
