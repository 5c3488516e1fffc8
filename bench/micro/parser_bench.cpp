// The response parser: every response goes through it, its header fields copied into a reused
// arena and its body kept or only counted. One row times Boost.Beast's basic_parser, which it
// replaced, on the same response, for comparison.
#include <pacer/http/connection.hpp>

// The Beast-based reference the parser tests compare against.
#include "../../tests/support/response_parser_diff.hpp"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

std::string response(bool chunked) {
  const std::string body =
      R"({"total_matched":500,"total_enqueued":12,"total_skipped":488,"job_ids":["job-1","job-2"]})";
  std::string r =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/json\r\n"
      "Date: Tue, 03 Mar 2026 10:00:00 GMT\r\n"
      "Server: certctl-target\r\n"
      "X-Request-ID: 3f1c0a52-5c1e-4f7e-9d1a-0b7e6c2d9a11\r\n";
  if (chunked) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", body.size());
    r += "Transfer-Encoding: chunked\r\n\r\n" + std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n";
  } else {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  return r;
}

// As the connection sets it up and feeds it (pacer/http/connection.hpp).
template <class Parser = pacer::http::detail::response_parser>
void parse(benchmark::State& state, bool chunked, bool keep_body) {
  const std::string bytes = response(chunked);
  std::string arena, body;
  std::vector<pacer::http::header_field> fields;
  for (auto _ : state) {
    Parser p(arena, fields, body, keep_body);
    p.header_limit(1u << 20);
    p.body_limit(64u << 20);
    p.eager(true);
    std::size_t used = 0;
    boost::system::error_code ec;
    while (used < bytes.size() && !p.is_done() && !ec)
      used += p.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec || !p.is_done() || p.status() != 200) {
      state.SkipWithError("the response did not parse");
      return;
    }
    benchmark::DoNotOptimize(fields.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

void parse_content_length_body_kept(benchmark::State& state) {
  parse(state, false, true);
}
BENCHMARK(parse_content_length_body_kept);

void parse_content_length_body_counted(benchmark::State& state) {
  parse(state, false, false);
}
BENCHMARK(parse_content_length_body_counted);

void parse_chunked_body_kept(benchmark::State& state) {
  parse(state, true, true);
}
BENCHMARK(parse_chunked_body_kept);

void parse_content_length_body_kept_beast(benchmark::State& state) {
  parse<pacer::test::beast_reference_parser>(state, false, true);
}
BENCHMARK(parse_content_length_body_kept_beast);

}  // namespace
