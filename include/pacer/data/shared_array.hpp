#ifndef PACER_DATA_SHARED_ARRAY_HPP
#define PACER_DATA_SHARED_ARRAY_HPP

// k6's SharedArray: a data set loaded once, before the run, from CSV (libcsv) or JSON, read
// by every VU without a copy, and picked from by VU, by iteration or at random.
//
// CSV needs libcsv (Debian's libcsv-dev): link the `pacer::data` CMake target.

#include <pacer/core/error.hpp>

#include <nlohmann/json.hpp>

#include <csv.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pacer {

struct csv_options {
  char delimiter = ',';
  // The first row names the columns: each row is then an object {column: value}. Without
  // it, each row is an array of its values.
  bool header = true;
};

// Rows of data, each a JSON value (CSV values are strings), immutable once loaded and
// shared by every copy: copying a shared_array into a flow's lambda copies a pointer.
class shared_array {
 public:
  shared_array() : rows_(std::make_shared<const std::vector<nlohmann::json>>()) {}
  explicit shared_array(std::vector<nlohmann::json> rows)
      : rows_(std::make_shared<const std::vector<nlohmann::json>>(std::move(rows))) {}

  // An RFC 4180 file: quoted fields, doubled quotes, CRLF or LF. A row with another number
  // of fields than the header, a broken quote or bytes that are not UTF-8 are refused,
  // naming the file and the row (k6's exit code 104 where a program reports config_error).
  static shared_array from_csv(const std::filesystem::path& file, csv_options options = {}) {
    const std::string text = read(file);
    struct state {
      const std::filesystem::path* file;
      bool header;
      std::vector<std::string> columns;
      std::vector<std::string> fields;
      std::vector<nlohmann::json> rows;
      std::size_t row_number = 0;  // 1-based, counting the header
      std::string error;
    } st{&file, options.header, {}, {}, {}, 0, {}};
    auto on_field = [](void* data, std::size_t n, void* p) {
      auto& s = *static_cast<state*>(p);
      s.fields.emplace_back(data != nullptr ? static_cast<const char*>(data) : "", n);
    };
    auto on_row = [](int, void* p) {
      auto& s = *static_cast<state*>(p);
      ++s.row_number;
      auto fields = std::move(s.fields);
      s.fields.clear();
      if (!s.error.empty()) return;
      for (std::size_t i = 0; i < fields.size(); ++i)
        if (!valid_utf8(fields[i])) {
          s.error = "row " + std::to_string(s.row_number) + " field " + std::to_string(i + 1) +
                    " is not UTF-8";
          return;
        }
      if (s.header && s.columns.empty()) {
        s.columns = std::move(fields);
        return;
      }
      if (s.header) {
        if (fields.size() != s.columns.size()) {
          s.error = "row " + std::to_string(s.row_number) + " has " +
                    std::to_string(fields.size()) + " fields, the header " +
                    std::to_string(s.columns.size());
          return;
        }
        nlohmann::json row = nlohmann::json::object();
        for (std::size_t i = 0; i < fields.size(); ++i)
          row[s.columns[i]] = std::move(fields[i]);
        s.rows.push_back(std::move(row));
      } else {
        s.rows.emplace_back(std::move(fields));
      }
    };
    csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
      throw config_error("CSV file", file.string(), "memory for a parser");
    csv_set_delim(&parser, static_cast<unsigned char>(options.delimiter));
    const std::size_t used = csv_parse(&parser, text.data(), text.size(), on_field, on_row, &st);
    const bool parsed = used == text.size() && csv_fini(&parser, on_field, on_row, &st) == 0;
    const int code = csv_error(&parser);
    csv_free(&parser);
    const std::string accepted = "RFC 4180 CSV with a header row and as many fields in each row";
    if (!parsed)
      throw config_error("CSV file " + file.string(),
                         "row " + std::to_string(st.row_number + 1) + ": " + csv_strerror(code),
                         accepted);
    if (!st.error.empty()) throw config_error("CSV file " + file.string(), st.error, accepted);
    return shared_array(std::move(st.rows));
  }

  // A JSON array (of objects, or of any values).
  static shared_array from_json(const std::filesystem::path& file) {
    auto doc = nlohmann::json::parse(read(file), nullptr, false);
    if (doc.is_discarded())
      throw config_error("JSON file", file.string(), "a file holding one JSON array");
    if (!doc.is_array())
      throw config_error("JSON file " + file.string(), doc.type_name(), "a JSON array");
    return shared_array(doc.get<std::vector<nlohmann::json>>());
  }

  std::size_t size() const noexcept { return rows_->size(); }
  bool empty() const noexcept { return rows_->empty(); }
  const nlohmann::json& operator[](std::size_t i) const { return (*rows_)[i]; }
  const nlohmann::json& at(std::size_t i) const { return rows_->at(i); }

  // One row per VU, round robin: k6's data[(__VU - 1) % data.length].
  const nlohmann::json& for_vu(std::uint64_t vu_id) const {
    return pick(vu_id == 0 ? 0 : vu_id - 1, "for_vu");
  }
  // One row per iteration of the scenario: data[scenario.iterationInTest % data.length].
  const nlohmann::json& for_iteration(std::uint64_t iteration_in_test) const {
    return pick(iteration_in_test, "for_iteration");
  }
  // A row at random (a generator per thread: VUs of a shard share one, no lock).
  const nlohmann::json& random() const {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return pick(generator(), "random");
  }

 private:
  const nlohmann::json& pick(std::uint64_t n, const char* how) const {
    if (rows_->empty())
      throw std::runtime_error(std::string("shared_array::") + how + ": the data set is empty");
    return (*rows_)[static_cast<std::size_t>(n % rows_->size())];
  }

  static std::string read(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw config_error("data file", file.string(), "a readable file");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // Structure only (lead byte and continuation bytes): enough to keep what JSON cannot
  // hold out of the data set.
  static bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
      const auto c = static_cast<unsigned char>(s[i]);
      const std::size_t extra = c < 0x80             ? 0
                                : (c & 0xe0) == 0xc0 ? 1
                                : (c & 0xf0) == 0xe0 ? 2
                                : (c & 0xf8) == 0xf0 ? 3
                                                     : 4;
      if (extra == 4 || s.size() - i <= extra) return false;
      for (std::size_t k = 1; k <= extra; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
      i += extra + 1;
    }
    return true;
  }

  std::shared_ptr<const std::vector<nlohmann::json>> rows_;
};

}  // namespace pacer

#endif
