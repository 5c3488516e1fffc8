// Differential fuzzing of pacer's HTTP/1.1 response parser against Boost.Beast's basic_parser,
// which it replaced (tests/support/response_parser_diff.hpp holds the Beast-based reference
// and the driver that feeds a parser as the connection does).
//
// The first bytes of an input choose the setup (HEAD or not, body kept or counted, header and
// body limits, whether EOF follows) and a seed for where reads end; the rest is the server's
// answer. Each answer is parsed whole, one byte a read, and cut at random places. Both parsers
// must agree on success or failure and on how a failure is classified (body limit, header
// limit, unexpected EOF, malformed), on the status, header fields, body and keep-alive; and,
// since the new parser follows Beast's algorithm step by step, on the bytes consumed and the
// exact error code of every put().

// The reference is Beast as pacer ran it, built with NDEBUG: in this one translation unit,
// without Boost's assertions, which the fuzzers otherwise keep. (Beast asserts that a put()
// resuming the last chunk's trailer has at least 5 bytes, though "0\r\n" and one more byte are
// 4; it then goes on correctly.)
#define BOOST_DISABLE_ASSERTS

#include "../support/response_parser_diff.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pacer::test::parse_outcome;
using pacer::test::parse_setup;

void compare(std::string_view input, const std::vector<std::size_t>& cuts,
             const parse_setup& setup) {
  const parse_outcome mine =
      pacer::test::drive<pacer::http::detail::response_parser>(input, cuts, setup);
  const parse_outcome beast =
      pacer::test::drive<pacer::test::beast_reference_parser>(input, cuts, setup);
  const std::string diff = pacer::test::difference(mine, beast, true);
  if (diff.empty()) return;
  std::fprintf(stderr,
               "http_parser_diff_fuzzer: the parsers disagree: %s (pacer: %s, beast: %s)\n"
               "setup: header_limit=%u body_limit=%llu head=%d keep_body=%d eof=%d; %zu cuts:",
               diff.c_str(), mine.category().c_str(), beast.category().c_str(), setup.header_limit,
               static_cast<unsigned long long>(setup.body_limit), setup.head, setup.keep_body,
               setup.eof_at_end, cuts.size());
  for (std::size_t c : cuts)
    std::fprintf(stderr, " %zu", c);
  std::fprintf(stderr, "\n");
  std::abort();
}

// xorshift64*: cheap, and the same cuts for the same input.
std::uint64_t next(std::uint64_t& s) {
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 0x2545F4914F6CDD1DULL;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint8_t a = data[0], b = data[1];
  parse_setup setup;
  setup.head = (a & 1) != 0;
  setup.keep_body = (a & 2) == 0;
  setup.eof_at_end = (a & 4) == 0;
  // Small limits often, so that the fuzzer reaches them; Beast's and the connection's defaults
  // otherwise.
  static constexpr std::uint32_t header_limits[] = {1u << 20, 8192, 512, 64, 32, 17, 9, 1};
  static constexpr std::uint64_t body_limits[] = {64u << 20, 8u << 20, 1024, 100, 16, 5, 1, 0};
  setup.header_limit = header_limits[(a >> 3) & 7];
  setup.body_limit = body_limits[b & 7];
  std::uint64_t seed =
      (static_cast<std::uint64_t>(data[2]) << 8 | data[3]) * 0x9E3779B97F4A7C15ULL + 1;
  const std::string_view input(reinterpret_cast<const char*>(data) + 4, size - 4);

  compare(input, {}, setup);

  std::vector<std::size_t> cuts;
  if (input.size() <= 4096) {
    for (std::size_t k = 1; k < input.size(); ++k)
      cuts.push_back(k);
    compare(input, cuts, setup);
  }
  for (int round = 0; round < 4 && input.size() > 1; ++round) {
    cuts.clear();
    // Few cuts or many, anywhere.
    const std::size_t every = 1 + next(seed) % (input.size() < 64 ? input.size() : 64);
    for (std::size_t k = 1; k < input.size(); ++k)
      if (next(seed) % every == 0) cuts.push_back(k);
    compare(input, cuts, setup);
  }
  return 0;
}
