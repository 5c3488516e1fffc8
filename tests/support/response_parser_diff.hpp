#ifndef PACER_TESTS_SUPPORT_RESPONSE_PARSER_DIFF_HPP
#define PACER_TESTS_SUPPORT_RESPONSE_PARSER_DIFF_HPP

// Differential testing of pacer's response parser against Boost.Beast's basic_parser, which it
// replaced: the Beast-based reference adapter (what connection.hpp used before), and a driver
// that feeds either parser an input cut into reads as connection::read() and parse() do,
// recording what every put() returned. Used by tests/response_parser_test.cpp, the
// http_parser_diff fuzzer and the parser micro-benchmark.

#include <pacer/http/response.hpp>
#include <pacer/http/response_parser.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/optional.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacer::test {

// The Beast-based parser connection.hpp used before pacer::http::detail::response_parser.
class beast_reference_parser final : public boost::beast::http::basic_parser<false> {
 public:
  beast_reference_parser(std::string& arena, std::vector<http::header_field>& fields,
                         std::string& body, bool keep_body)
      : arena_(arena), fields_(fields), body_(body), keep_body_(keep_body) {
    arena_.clear();
    fields_.clear();
    body_.clear();
  }
  int status() const noexcept { return status_; }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::system::error_code;
  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { status_ = code; }
  void on_field_impl(boost::beast::http::field, string_view name, string_view value,
                     error_code&) override {
    if (header_done_) return;  // trailers are not headers
    http::header_field f;
    f.name_offset = arena_.size();
    f.name_size = name.size();
    arena_.append(name.data(), name.size());
    f.value_offset = arena_.size();
    f.value_size = value.size();
    arena_.append(value.data(), value.size());
    fields_.push_back(f);
  }
  void on_header_impl(error_code&) override { header_done_ = true; }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(string_view s, error_code&) override {
    if (keep_body_) body_.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code&) override {
    if (keep_body_) body_.append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(error_code&) override {}

  std::string& arena_;
  std::vector<http::header_field>& fields_;
  std::string& body_;
  bool keep_body_;
  int status_ = 0;
  bool header_done_ = false;
};

// How the connection sets a parser up, and whether the server closes after the input.
struct parse_setup {
  std::uint32_t header_limit = 1u << 20;
  std::uint64_t body_limit = 64u << 20;
  bool head = false;
  bool keep_body = true;
  bool eof_at_end = true;
  // Beast asserts (BOOST_ASSERT, so in debug builds only) that a put() resuming the last
  // chunk's trailer has at least 5 bytes, though "0\r\n" and one more byte are 4. With this,
  // after need_more the next put() waits for 5 unparsed bytes (for both parsers alike).
  bool avoid_beast_assertion = false;
};

// Everything observable of one run.
struct parse_outcome {
  bool done = false;                // a final response parsed
  boost::system::error_code error;  // put()'s error, or put_eof()'s
  bool eof_error = false;           // EOF before any byte of a response, or with put_eof ok
  bool too_many_1xx = false;        // the connection's bound on 1xx responses
  bool pending = false;             // no EOF and not done: waits for more
  int status = 0;
  bool keep_alive = false;
  int informational = 0;
  std::string arena, body;
  std::vector<std::pair<std::size_t, std::size_t>> fields;              // (name size, value size)
  std::vector<std::pair<std::size_t, boost::system::error_code>> puts;  // each put()'s result

  // A failure as the connection classifies it (classify_io): the body limit, the header
  // limit, an unexpected EOF, or a malformed response.
  std::string category() const {
    namespace he = boost::beast::http;
    if (done) return "ok";
    if (pending) return "pending";
    if (too_many_1xx) return "too many 1xx";
    if (eof_error || error == he::error::partial_message) return "unexpected EOF";
    if (error == he::error::body_limit) return "body limit";
    if (error == he::error::header_limit) return "header limit";
    return "malformed";
  }
};

// Feeds `input` to a fresh Parser as reads ending at each of `cuts` (ascending, inside the
// input) and at its end arrive, as pacer::http::detail::connection does: 1xx responses other
// than 101 are skipped, up to five, and EOF follows the input when setup.eof_at_end.
template <class Parser>
parse_outcome drive(std::string_view input, const std::vector<std::size_t>& cuts,
                    const parse_setup& setup) {
  parse_outcome out;
  std::string arena, body;
  std::vector<http::header_field> fields;
  std::optional<Parser> parser;
  auto fresh = [&] {
    parser.emplace(arena, fields, body, setup.keep_body);
    parser->header_limit(setup.header_limit);
    parser->body_limit(setup.body_limit);
    parser->eager(true);
    if (setup.head) parser->skip(true);
  };
  auto record = [&] {
    out.status = parser->status();
    out.arena = arena;
    out.body = body;
    for (const auto& f : fields)
      out.fields.emplace_back(f.name_size, f.value_size);
    if (out.done) out.keep_alive = parser->keep_alive();
  };
  fresh();
  std::size_t begin = 0;
  bool needs_more = false;
  auto parse = [&](std::size_t end) -> bool {  // false: the run has ended
    while (begin < end && !parser->is_done()) {
      if (setup.avoid_beast_assertion && needs_more && end - begin < 5) break;
      boost::system::error_code ec;
      const std::size_t used =
          parser->put(boost::asio::const_buffer(input.data() + begin, end - begin), ec);
      out.puts.emplace_back(used, ec);
      begin += used;
      needs_more = ec == boost::beast::http::error::need_more;
      if (needs_more) break;
      if (ec) {
        out.error = ec;
        record();
        return false;
      }
      if (parser->is_done() && parser->status() >= 100 && parser->status() < 200 &&
          parser->status() != 101) {
        if (++out.informational > 5) {
          out.too_many_1xx = true;
          record();
          return false;
        }
        fresh();
        continue;
      }
      if (used == 0) break;
    }
    if (parser->is_done()) {
      out.done = true;
      record();
      return false;
    }
    return true;
  };
  for (std::size_t cut : cuts)
    if (!parse(cut)) return out;
  if (!parse(input.size())) return out;
  if (!setup.eof_at_end) {
    out.pending = true;
    record();
    return out;
  }
  if (parser->got_some()) {
    boost::system::error_code ec;
    parser->put_eof(ec);
    out.error = ec;
    if (!ec && parser->is_done()) {
      out.done = true;
      record();
      return out;
    }
  }
  out.eof_error = !out.error;
  record();
  return out;
}

// What differs between two outcomes, or empty. With `exact`, also each put()'s bytes consumed
// and error code, and the error code of a failure; without, only the failure's category.
inline std::string difference(const parse_outcome& a, const parse_outcome& b, bool exact) {
  if (a.category() != b.category()) return "category " + a.category() + " vs " + b.category();
  if (a.informational != b.informational) return "number of 1xx responses";
  if (a.status != b.status)
    return "status " + std::to_string(a.status) + " vs " + std::to_string(b.status);
  if (a.done) {
    if (a.keep_alive != b.keep_alive) return "keep_alive";
    if (a.fields != b.fields) return "header field sizes";
    if (a.arena != b.arena) return "header arena";
    if (a.body != b.body) return "body";
  }
  if (exact) {
    if (a.error != b.error) return "error " + a.error.message() + " vs " + b.error.message();
    if (a.puts != b.puts) return "bytes consumed or error of a put()";
    if (!a.done && (a.fields != b.fields || a.arena != b.arena || a.body != b.body))
      return "what an unfinished response delivered";
  }
  return {};
}

}  // namespace pacer::test

#endif
