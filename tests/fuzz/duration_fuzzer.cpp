// Fuzzes parse_duration. Any text is either accepted or rejected with config_error; an
// accepted duration printed the Go way (format_go_duration) must parse back to the same value,
// since run headers and error messages print durations that users paste back as flags.

#include <pacer/core/duration.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

// parse_duration refuses magnitudes above 9.2e18 ns, a little short of the int64 range.
constexpr std::int64_t parse_bound = 9'200'000'000'000'000'000;

void round_trip(pacer::nanoseconds d) {
  if (d.count() > parse_bound || d.count() < -parse_bound) return;
  const std::string text = pacer::format_go_duration(d);
  if (pacer::parse_duration(text) != d) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    round_trip(pacer::parse_duration(text, "fuzz"));
  } catch (const pacer::config_error&) {
  }
  // The same bytes as a nanosecond count, for format_go_duration's whole range.
  if (size >= sizeof(std::int64_t)) {
    std::int64_t n = 0;
    std::memcpy(&n, data, sizeof n);
    round_trip(pacer::nanoseconds(n));
  }
  return 0;
}
