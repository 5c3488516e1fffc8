// pacer's own HTTP/1.1 response parser against Boost.Beast's basic_parser, which it replaced:
// every input, cut into reads at every position (and fed one byte at a time), must give the same
// status, header fields, body, keep-alive, and the same bytes consumed and error code from
// every put(), as the connection drives it.

#include <pacer/http/response_parser.hpp>

#include "support/response_parser_diff.hpp"

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pacer::test::beast_reference_parser;
using pacer::test::parse_outcome;
using pacer::test::parse_setup;
using new_parser = pacer::http::detail::response_parser;

struct parser_case {
  const char* name;
  std::string input;
  std::string expect;  // parse_outcome::category() of the whole input in one read
  int status = 0;      // when it parses
  bool keep_alive = false;
  std::string body = {};
  parse_setup setup = {};
};

parse_setup head() {
  parse_setup s;
  s.head = true;
  return s;
}
parse_setup header_limit(std::uint32_t n) {
  parse_setup s;
  s.header_limit = n;
  return s;
}
parse_setup body_limit(std::uint64_t n) {
  parse_setup s;
  s.body_limit = n;
  return s;
}
parse_setup counted() {
  parse_setup s;
  s.keep_body = false;
  return s;
}
parse_setup no_eof() {
  parse_setup s;
  s.eof_at_end = false;
  return s;
}

const std::string hdr = "HTTP/1.1 200 OK\r\n";

std::vector<parser_case> cases() {
  return {
      // Content-Length
      {"content-length", hdr + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", "ok",
       200, true, "hello"},
      {"content-length zero", hdr + "Content-Length: 0\r\n\r\n", "ok", 200, true},
      {"content-length, body counted", hdr + "Content-Length: 5\r\n\r\nhello", "ok", 200, true, "",
       counted()},
      {"content-length list of equal values", hdr + "Content-Length: 3, 3\r\n\r\nabc", "ok", 200,
       true, "abc"},
      {"duplicate equal content-length", hdr + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
       "ok", 200, true, "abc"},
      {"content-length mismatch", hdr + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
       "malformed"},
      {"content-length list mismatch", hdr + "Content-Length: 3,4\r\n\r\nabcd", "malformed"},
      {"content-length empty element", hdr + "Content-Length: 3,,3\r\n\r\nabc", "malformed"},
      {"content-length not a number", hdr + "Content-Length: 3x\r\n\r\nabc", "malformed"},
      {"content-length negative", hdr + "Content-Length: -1\r\n\r\n", "malformed"},
      {"content-length empty", hdr + "Content-Length:\r\n\r\n", "malformed"},
      {"content-length overflow", hdr + "Content-Length: 99999999999999999999\r\n\r\n",
       "malformed"},
      {"content-length short body", hdr + "Content-Length: 10\r\n\r\nhello", "unexpected EOF"},
      {"content-length, bytes after the body", hdr + "Content-Length: 2\r\n\r\nhello", "ok", 200,
       true, "he"},
      {"content-length then chunked",
       hdr + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "malformed"},
      {"chunked then content-length",
       hdr + "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "malformed"},
      // chunked
      {"chunked", hdr + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
       "ok", 200, true, "hello world"},
      {"chunked upper-case hex",
       hdr + "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", "ok", 200, true,
       "0123456789"},
      {"chunked extensions",
       hdr + "Transfer-Encoding: chunked\r\n\r\n5;name=value;flag\r\nhello\r\n"
             "3 ; q=\"a \\\"quoted\\\" ;x\"\r\nabc\r\n0;last\r\n\r\n",
       "ok", 200, true, "helloabc"},
      {"chunked bad extension",
       hdr + "Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", "malformed"},
      {"chunked extension then whitespace",
       hdr + "Transfer-Encoding: chunked\r\n\r\n5;a=b \r\nhello\r\n0\r\n\r\n", "malformed"},
      {"chunked extension junk",
       hdr + "Transfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n", "malformed"},
      {"chunked trailers",
       hdr + "Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 42\r\n"
             "Location: /elsewhere\r\n\r\n",
       "ok", 200, true, "abc"},
      {"chunked trailer says close",
       hdr + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nConnection: close\r\n\r\n", "ok",
       200, false, "abc"},
      {"chunked trailer content-length",
       hdr + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nContent-Length: 3\r\n\r\n",
       "malformed"},
      {"chunked bad trailer", hdr + "Transfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
       "malformed"},
      {"chunked not last", hdr + "Transfer-Encoding: chunked, gzip\r\n\r\nbody until close", "ok",
       200, false, "body until close"},
      {"chunked last of several",
       hdr + "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n", "ok", 200, true, "ab"},
      {"chunked twice in one field", hdr + "Transfer-Encoding: chunked, chunked\r\n\r\nuntil close",
       "ok", 200, false, "until close"},
      {"duplicate transfer-encoding",
       hdr + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "malformed"},
      {"chunk size not hex", hdr + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed"},
      {"chunk size overflow",
       hdr + "Transfer-Encoding: chunked\r\n\r\n11111111111111111\r\nx\r\n0\r\n\r\n", "malformed"},
      {"chunk without CRLF after data",
       hdr + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n", "malformed"},
      {"chunked truncated", hdr + "Transfer-Encoding: chunked\r\n\r\n5\r\nhel", "unexpected EOF"},
      {"chunked without last chunk", hdr + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
       "unexpected EOF"},
      {"chunked trailer unfinished", hdr + "Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",
       "unexpected EOF"},
      {"chunk line bare CR", hdr + "Transfer-Encoding: chunked\r\n\r\n3\rabc\r\n0\r\n\r\n",
       "malformed"},
      // the body runs until the connection closes
      {"until close", hdr + "Server: x\r\n\r\nsome body", "ok", 200, false, "some body"},
      {"until close, empty", hdr + "\r\n", "ok", 200, false},
      {"until close, no EOF yet", hdr + "\r\nsome", "pending", 0, false, "", no_eof()},
      // HEAD, 1xx, 204, 304
      {"head with content-length", hdr + "Content-Length: 100\r\n\r\n", "ok", 200, true, "",
       head()},
      {"head with chunked", hdr + "Transfer-Encoding: chunked\r\n\r\n", "ok", 200, true, "",
       head()},
      {"head without length", hdr + "\r\n", "ok", 200, true, "", head()},
      {"head still checks content-length", hdr + "Content-Length: x\r\n\r\n", "malformed", 0, false,
       "", head()},
      {"103 early hints",
       "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + hdr +
           "Content-Length: 2\r\n\r\nok",
       "ok", 200, true, "ok"},
      {"100 continue then 204",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", "ok",
       204, true},
      {"101 is final", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nxyz", "ok",
       101, true},
      {"too many 1xx",
       [] {
         std::string s;
         for (int i = 0; i < 6; ++i)
           s += "HTTP/1.1 103 Early Hints\r\n\r\n";
         return s + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
       }(),
       "too many 1xx"},
      {"204 ignores content-length", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "ok",
       204, true},
      {"304", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", "ok", 304, true},
      // keep-alive
      {"HTTP/1.1 close", hdr + "Connection: close\r\nContent-Length: 0\r\n\r\n", "ok", 200, false},
      {"HTTP/1.1 close in a list", hdr + "Connection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n",
       "ok", 200, false},
      {"proxy-connection close", hdr + "Proxy-Connection: close\r\nContent-Length: 0\r\n\r\n", "ok",
       200, false},
      {"HTTP/1.0", "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", "ok", 404, false},
      {"HTTP/1.0 keep-alive",
       "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", "ok", 200, true},
      {"bad connection list", hdr + "Connection: close keep-alive\r\nContent-Length: 0\r\n\r\n",
       "malformed"},
      // the status line
      {"no reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", "ok", 200, true},
      {"reason with obs-text and tab", "HTTP/1.1 599 \xc3\xa9t\xc3\xa9\tx\r\n\r\n", "ok", 599,
       false},
      {"status 000", "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", "ok", 0, true},
      {"no space after status", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", "malformed"},
      {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n", "malformed"},
      {"letters in status", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed"},
      {"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", "malformed"},
      {"HTTP/0.9", "HTTP/0.9 200 OK\r\n\r\n", "malformed"},
      {"lower-case version", "http/1.1 200 OK\r\n\r\n", "malformed"},
      {"not HTTP", "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "malformed"},
      {"control character in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", "malformed"},
      {"bare LF after the status line", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "malformed"},
      {"CR without LF after the status line", "HTTP/1.1 200 OK\rX\r\n\r\n", "malformed"},
      {"empty", "", "unexpected EOF"},
      {"truncated status line", "HTTP/1.1 20", "unexpected EOF"},
      {"truncated header", hdr + "Content-Type: text/pl", "unexpected EOF"},
      // header fields
      {"OWS trimmed",
       hdr + "X-A:   spaced value \t \r\nX-B:\t\r\nX-C:x\r\nContent-Length: 0\r\n\r\n", "ok", 200,
       true},
      {"obs-text in a value", hdr + "X-A: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", "ok", 200,
       true},
      {"obs-fold joined", hdr + "X-A: one\r\n  two \r\n\tthree\r\nContent-Length: 0\r\n\r\n", "ok",
       200, true},
      {"obs-fold after an empty first line", hdr + "X-A:\r\n two\r\nContent-Length: 0\r\n\r\n",
       "ok", 200, true},
      {"obs-fold of content-length", hdr + "Content-Length:\r\n 2\r\n\r\nok", "ok", 200, true,
       "ok"},
      {"obs-fold too long",
       hdr + "X-A: " + std::string(3000, 'a') + "\r\n " + std::string(3000, 'b') +
           "\r\nContent-Length: 0\r\n\r\n",
       "header limit"},
      {"space before the colon", hdr + "X-A : v\r\nContent-Length: 0\r\n\r\n", "malformed"},
      {"empty name", hdr + ": v\r\nContent-Length: 0\r\n\r\n", "malformed"},
      {"no colon", hdr + "X-A v\r\nContent-Length: 0\r\n\r\n", "malformed"},
      {"control character in a value",
       hdr + "X-A: a\x7f"
             "b\r\nContent-Length: 0\r\n\r\n",
       "malformed"},
      {"bare LF in a value", hdr + "X-A: a\nb\r\nContent-Length: 0\r\n\r\n", "malformed"},
      {"bare CR in a value", hdr + "X-A: a\rb\r\nContent-Length: 0\r\n\r\n", "malformed"},
      {"CR without LF ends the header", hdr + "X-A: a\r\n\rX", "malformed"},
      {"many fields",
       [] {
         std::string s = hdr;
         for (int i = 0; i < 40; ++i)
           s += "X-Field-" + std::to_string(i) + ": value number " + std::to_string(i) + "\r\n";
         return s + "Content-Length: 3\r\n\r\nend";
       }(),
       "ok", 200, true, "end"},
      // limits
      // As Beast counts it: the status line, then what is left of the fields.
      {"fields at the limit",
       hdr + "X-A: " + std::string(36, 'a') + "\r\nContent-Length: 0\r\n\r\n", "ok", 200, true, "",
       header_limit(64)},
      {"fields just over the limit",
       hdr + "X-A: " + std::string(37, 'a') + "\r\nContent-Length: 0\r\n\r\n", "header limit", 0,
       false, "", header_limit(64)},
      {"header over the limit",
       hdr + "X-A: " + std::string(80, 'a') + "\r\nContent-Length: 0\r\n\r\n", "header limit", 0,
       false, "", header_limit(64)},
      {"status line over the limit", "HTTP/1.1 200 " + std::string(100, 'r') + "\r\n\r\n",
       "header limit", 0, false, "", header_limit(64)},
      {"content-length over the body limit", hdr + "Content-Length: 11\r\n\r\nhello world",
       "body limit", 0, false, "", body_limit(10)},
      {"content-length at the body limit", hdr + "Content-Length: 10\r\n\r\nhello worl", "ok", 200,
       true, "hello worl", body_limit(10)},
      {"chunks over the body limit",
       hdr + "Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
       "body limit", 0, false, "", body_limit(10)},
      {"body until close over the body limit", hdr + "\r\nhello world", "body limit", 0, false, "",
       body_limit(10)},
      {"body until close at the body limit", hdr + "\r\nhello worl", "ok", 200, false, "hello worl",
       body_limit(10)},
  };
}

// Every way of cutting `input` into two reads, and one byte a read.
std::vector<std::vector<std::size_t>> cuttings(std::size_t size) {
  std::vector<std::vector<std::size_t>> all{{}};
  for (std::size_t k = 1; k < size; ++k)
    all.push_back({k});
  std::vector<std::size_t> bytes;
  for (std::size_t k = 1; k < size; ++k)
    bytes.push_back(k);
  all.push_back(bytes);
  return all;
}

}  // namespace

TEST_CASE("the response parser gives what Beast's basic_parser gives, however the input is cut",
          "[parser]") {
  for (const parser_case& c : cases()) {
    INFO("case: " << c.name);
    const parse_outcome whole = pacer::test::drive<new_parser>(c.input, {}, c.setup);
    CHECK(whole.category() == c.expect);
    if (c.expect == "ok") {
      CHECK(whole.status == c.status);
      CHECK(whole.keep_alive == c.keep_alive);
      CHECK(whole.body == c.body);
    }
    parse_setup setup = c.setup;
#ifndef NDEBUG
    setup.avoid_beast_assertion = true;  // see parse_setup
#endif
    for (const auto& cuts : cuttings(c.input.size())) {
      INFO("reads end at " << (cuts.empty() ? std::string("the end")
                                            : std::to_string(cuts.front()) +
                                                  (cuts.size() > 1 ? " (one byte a read)" : "")));
      const parse_outcome mine = pacer::test::drive<new_parser>(c.input, cuts, setup);
      const parse_outcome beast = pacer::test::drive<beast_reference_parser>(c.input, cuts, setup);
      const std::string diff = pacer::test::difference(mine, beast, true);
      INFO("pacer: " << mine.category() << ", beast: " << beast.category());
      CHECK(diff == "");
      if (!diff.empty()) break;
    }
  }
}

TEST_CASE("the response parser keeps fields in the arena and leaves trailers out", "[parser]") {
  std::string arena, body;
  std::vector<pacer::http::header_field> fields;
  new_parser p(arena, fields, body, true);
  p.header_limit(1 << 20);
  p.body_limit(64u << 20);
  p.eager(true);
  const std::string in =
      "HTTP/1.1 201 Created\r\nX-A:  a b \r\nX-Fold: one\r\n two\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Trailer: t\r\n\r\n";
  boost::system::error_code ec;
  CHECK(p.put(boost::asio::buffer(in), ec) == in.size());
  CHECK(!ec);
  REQUIRE(p.is_done());
  CHECK(p.status() == 201);
  CHECK(p.keep_alive());
  CHECK(body == "hi");
  const pacer::http::response_view r(p.status(), arena, fields, body);
  REQUIRE(r.header_count() == 3);
  CHECK(r.header_name(0) == "X-A");
  CHECK(r.header_value(0) == "a b");
  CHECK(r.header_value(1) == "one two");
  CHECK(r.header_name(2) == "Transfer-Encoding");
  std::string_view v;
  CHECK(!r.header("X-Trailer", v));
  CHECK(arena == "X-Aa bX-Foldone twoTransfer-Encodingchunked");
}
