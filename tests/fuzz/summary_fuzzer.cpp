// Fuzzes reading a k6 handleSummary data object (summary::from_data) and rendering it. What
// from_data accepts must render as text and as --summary-export; a rejection is a config_error,
// a std::invalid_argument (where k6-summary's JavaScript would throw) or a JSON exception.
// Any other exception escapes to libFuzzer and is reported. The text of valid UTF-8 data must
// be valid UTF-8, and the layout never asks for negative padding.

#include <pacer/report/summary.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "summary_fuzzer: %s\n", what);
  std::abort();
}

bool valid_utf8(std::string_view s) {
  // Strict: no overlong forms, surrogates or code points past U+10FFFF.
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80                 ? 1
                      : c >= 0xC2 && c <= 0xDF ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
    if (len == 0 || i + len > s.size()) return false;
    char32_t cp = len == 1 ? c : c & (0x7Fu >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nlohmann::json doc =
      nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  try {
    const pacer::summary s = pacer::summary::from_data(std::move(doc));
    if (!valid_utf8(s.text({.indent = " ", .enable_colors = true})))
      finding("the text summary is not valid UTF-8");
    (void)s.text({.indent = "",
                  .enable_colors = false,
                  .summary_trend_stats = {{"avg", "p(90)"}},
                  .summary_time_unit = "ms"});
    (void)s.export_json();
    (void)s.json(2);
  } catch (const pacer::config_error&) {
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).find("negative padding") != std::string_view::npos)
      finding("the text summary layout asked for negative padding");
  } catch (const nlohmann::json::exception&) {
  }
  return 0;
}
