#ifndef PACER_HTTP_RESPONSE_PARSER_HPP
#define PACER_HTTP_RESPONSE_PARSER_HPP

// The incremental HTTP/1.1 response parser every response goes through: header fields are
// copied into a reused arena and the body into a reused string (or only counted), with no
// allocation of its own. It is a drop-in for a Boost.Beast basic_parser<false> fed one buffer
// at a time: the same states, the same bytes consumed by each put(), the same error codes, the
// same header and body limits, but without virtual calls or field-name hashing, and scanning
// with tables, memchr and SSE2.

#include <pacer/http/response.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pacer::http::detail {

// Character classes for the response parser: token characters (RFC 9110 tchar), control
// characters that end a line's text (CTL but HTAB, and DEL), hex digits.
struct response_char_table {
  static constexpr unsigned char token = 1, ctl = 2, hex = 4;
  unsigned char v[256] = {};
  constexpr response_char_table() {
    for (int c = 0; c < 256; ++c) {
      unsigned char k = 0;
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) k |= token;
      for (char t : std::string_view("!#$%&'*+-.^_`|~"))
        if (c == static_cast<unsigned char>(t)) k |= token;
      if ((c < 0x20 && c != '\t') || c == 0x7f) k |= ctl;
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) k |= hex;
      v[c] = k;
    }
  }
};
inline constexpr response_char_table response_chars{};

class response_parser {
 public:
  response_parser(std::string& arena, std::vector<header_field>& fields, std::string& body,
                  bool keep_body)
      : arena_(arena), fields_(fields), body_(body), keep_body_(keep_body) {
    arena_.clear();
    fields_.clear();
    body_.clear();
  }
  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;

  // Beast's defaults: 8 KiB of header, 8 MiB of body.
  void header_limit(std::uint32_t v) noexcept { header_limit_ = v; }
  void body_limit(std::optional<std::uint64_t> v) noexcept {
    has_body_limit_ = v.has_value();
    body_limit_ = v.value_or(0);
  }
  // Eager: one put() goes on past the header into the body, as far as its input reaches.
  void eager(bool v) noexcept { eager_ = v; }
  // The response to a HEAD request: complete after its header.
  void skip(bool v) noexcept { skip_body_ = v; }

  bool got_some() const noexcept { return state_ != state::nothing_yet; }
  bool is_header_done() const noexcept { return state_ > state::fields; }
  bool is_done() const noexcept { return state_ == state::complete; }
  int status() const noexcept { return status_; }
  // Once the header is done: whether the connection may carry another request.
  bool keep_alive() const noexcept {
    if ((f_ & flag_http11) != 0) {
      if ((f_ & flag_connection_close) != 0) return false;
    } else if ((f_ & flag_connection_keep_alive) == 0) {
      return false;
    }
    return (f_ & flag_need_eof) == 0;
  }

  // Parses what it can of `buffer` and returns how many bytes it consumed; the caller presents
  // the rest again, with more after it. `need_more` asks for more input.
  std::size_t put(boost::asio::const_buffer buffer, boost::system::error_code& ec) {
    if (state_ == state::complete) {
      ec = error::stale_parser;
      return 0;
    }
    const char* p = static_cast<const char*>(buffer.data());
    std::size_t n = buffer.size();
    const char* const p0 = p;
    const char* const p1 = p + n;
    error e{};
    for (;;) {
      switch (state_) {
        case state::nothing_yet:
          if (n == 0) {
            e = error::need_more;
            goto done;
          }
          state_ = state::start_line;
          [[fallthrough]];

        case state::start_line: {
          e = maybe_need_more(p, n);
          if (e != error{}) goto done;
          e = parse_start_line(p, p + std::min<std::size_t>(header_limit_, n));
          if (e != error{}) {
            e = header_unfinished(e, p, p1, n);
            goto done;
          }
          n = static_cast<std::size_t>(p1 - p);
          if (p >= p1) {
            e = error::need_more;
            goto done;
          }
          [[fallthrough]];
        }

        case state::fields:
          e = maybe_need_more(p, n);
          if (e != error{}) goto done;
          e = parse_fields(p, p + std::min<std::size_t>(header_limit_, n), false);
          if (e != error{}) {
            e = header_unfinished(e, p, p1, n);
            goto done;
          }
          e = finish_header();
          if (e != error{}) goto done;
          break;

        case state::body0:
          state_ = state::body;
          [[fallthrough]];
        case state::body:
          take_body(p, n, state::complete);
          break;

        case state::body_to_eof0:
          state_ = state::body_to_eof;
          [[fallthrough]];
        case state::body_to_eof:
          if (has_body_limit_) {
            if (n > body_limit_) {
              e = error::body_limit;
              goto done;
            }
            body_limit_ -= n;
          }
          on_body(p, n);
          p += n;
          break;

        case state::chunk_header0:
          state_ = state::chunk_header;
          [[fallthrough]];
        case state::chunk_header:
          e = parse_chunk_header(p, n);
          if (e != error{}) goto done;
          break;

        case state::chunk_body:
          take_body(p, n, state::chunk_header);
          break;

        case state::complete:
          goto done;
      }
      if (p < p1 && state_ != state::complete && eager_) {
        n = static_cast<std::size_t>(p1 - p);
        continue;
      }
      break;
    }
  done:
    if (e != error{})
      ec = e;
    else
      ec = {};
    return static_cast<std::size_t>(p - p0);
  }

  // The connection was closed: a body delimited by the close is complete, anything else
  // unfinished is a partial message.
  void put_eof(boost::system::error_code& ec) {
    ec = {};
    if (state_ == state::nothing_yet || state_ == state::start_line || state_ == state::fields) {
      ec = error::partial_message;
      return;
    }
    if ((f_ & (flag_content_length | flag_chunked)) != 0) {
      if (state_ != state::complete) ec = error::partial_message;
      return;
    }
    state_ = state::complete;
  }

 private:
  using error = boost::beast::http::error;
  enum class state : unsigned char {
    nothing_yet,
    start_line,
    fields,
    body0,
    body,
    body_to_eof0,
    body_to_eof,
    chunk_header0,
    chunk_header,
    chunk_body,
    complete
  };
  static constexpr unsigned flag_http11 = 1u << 0;
  static constexpr unsigned flag_need_eof = 1u << 1;
  static constexpr unsigned flag_expect_crlf = 1u << 2;
  static constexpr unsigned flag_connection_close = 1u << 3;
  static constexpr unsigned flag_connection_keep_alive = 1u << 4;
  static constexpr unsigned flag_content_length = 1u << 5;
  static constexpr unsigned flag_chunked = 1u << 6;
  static constexpr unsigned flag_final_chunk = 1u << 7;
  // The longest field value continued over several lines (obs-fold), as Beast's.
  static constexpr std::size_t max_obs_fold = 4096;

  static bool is(char c, unsigned char k) noexcept {
    return (response_chars.v[static_cast<unsigned char>(c)] & k) != 0;
  }
  static bool is_token(char c) noexcept { return is(c, response_char_table::token); }
  static bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }
  static bool is_digit(char c) noexcept { return static_cast<unsigned char>(c - '0') < 10; }
  static unsigned hex_value(char c) noexcept {
    return c <= '9' ? static_cast<unsigned>(c - '0')
                    : (static_cast<unsigned>(c) | 0x20u) - 'a' + 10;
  }
  static char lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  }
  // `s` equals the lower-case `lowered`, ignoring ASCII case.
  static bool iequals(std::string_view s, std::string_view lowered) noexcept {
    if (s.size() != lowered.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
      if (lower(s[i]) != lowered[i]) return false;
    return true;
  }

  // The first control character (as a line's text ends at one) in [p, last), or last.
  static const char* find_control(const char* p, const char* last) noexcept {
#if defined(__SSE2__)
    const __m128i v31 = _mm_set1_epi8(31), tab = _mm_set1_epi8('\t'), del = _mm_set1_epi8(127);
    while (last - p >= 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m128i below_space = _mm_cmpeq_epi8(_mm_max_epu8(v, v31), v31);
      const __m128i ctl = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), below_space),
                                       _mm_cmpeq_epi8(v, del));
      const int mask = _mm_movemask_epi8(ctl);
      if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
      p += 16;
    }
#endif
    while (p < last && !is(*p, response_char_table::ctl))
      ++p;
    return p;
  }

  // The end of the first CRLF CRLF in [p, last), or nullptr.
  static const char* find_eom(const char* p, const char* last) noexcept {
    while (last - p >= 4) {
      const void* cr = std::memchr(p, '\r', static_cast<std::size_t>(last - p) - 3);
      if (cr == nullptr) return nullptr;
      const char* c = static_cast<const char*>(cr);
      if (c[1] == '\n' && c[2] == '\r' && c[3] == '\n') return c + 4;
      p = c + 1;
    }
    return nullptr;
  }

  // Past the first CRLF at or after `it` into `eol`; nullptr when there is none yet.
  static error find_eol(const char* it, const char* last, const char*& eol) noexcept {
    eol = nullptr;
    if (it >= last) return error{};
    const void* cr = std::memchr(it, '\r', static_cast<std::size_t>(last - it));
    if (cr == nullptr) return error{};
    const char* c = static_cast<const char*>(cr) + 1;
    if (c == last) return error{};
    if (*c != '\n') return error::bad_line_ending;
    eol = c + 1;
    return error{};
  }

  // Text up to CRLF: returns past the CRLF with `token_last` at the CR; nullptr for another
  // control character; need_more or bad_line_ending in `e`.
  static const char* parse_token_to_eol(const char* p, const char* last, const char*& token_last,
                                        error& e) noexcept {
    p = find_control(p, last);
    if (p >= last) {
      e = error::need_more;
      return p;
    }
    if (*p != '\r') return nullptr;
    if (++p >= last) {
      e = error::need_more;
      return last;
    }
    if (*p++ != '\n') {
      e = error::bad_line_ending;
      return last;
    }
    token_last = p - 2;
    return p;
  }

  static bool parse_dec(std::string_view s, std::uint64_t& v) noexcept {
    if (s.empty()) return false;
    std::uint64_t tmp = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (char c : s) {
      if (!is_digit(c) || tmp > max / 10) return false;
      tmp *= 10;
      const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
      if (max - tmp < d) return false;
      tmp += d;
    }
    v = tmp;
    return true;
  }

  static bool parse_hex(const char*& it, std::uint64_t& v) noexcept {
    if (!is(*it, response_char_table::hex)) return false;
    std::uint64_t tmp = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    do {
      if (tmp > max / 16) return false;
      tmp *= 16;
      const std::uint64_t d = hex_value(*it);
      if (max - tmp < d) return false;
      tmp += d;
    } while (is(*++it, response_char_table::hex));
    v = tmp;
    return true;
  }

  // A comma-separated list of tokens with optional whitespace and empty elements (Beast's
  // opt_token_list): calls `f` on each token in order, and returns false where the list turns
  // out malformed (after calling `f` on the tokens before that point).
  template <class F>
  static bool for_each_token(std::string_view s, F&& f) {
    const char* it = s.data();
    const char* const end = it + s.size();
    bool need_comma = false;
    for (;;) {
      while (it != end && is_ows(*it))
        ++it;
      if (it == end) return true;
      if (is_token(*it)) {
        if (need_comma) return false;
        const char* const first = it;
        while (++it != end && is_token(*it)) {
        }
        f(std::string_view(first, static_cast<std::size_t>(it - first)));
        need_comma = true;
        continue;
      }
      if (*it != ',') return false;
      need_comma = false;
      ++it;
    }
  }

  // Until the whole header (or trailer) has arrived, a put() after need_more only looks for
  // its end (Beast's skip_): from where the last look stopped.
  error maybe_need_more(const char* p, std::size_t n) noexcept {
    if (skip_ == 0) return error{};
    if (n > header_limit_) n = header_limit_;
    if (n < skip_ + 4) return error::need_more;
    if (find_eom(p + skip_, p + n) == nullptr) {
      skip_ = n - 3;
      if (skip_ + 4 > header_limit_) return error::header_limit;
      return error::need_more;
    }
    skip_ = 0;
    return error{};
  }

  // status-line = HTTP-version SP status-code SP reason-phrase CRLF
  error parse_start_line(const char*& in, const char* last) noexcept {
    const char* p = in;
    if (last - p < 8) return error::need_more;
    if (p[0] != 'H' || p[1] != 'T' || p[2] != 'T' || p[3] != 'P' || p[4] != '/' ||
        !is_digit(p[5]) || p[6] != '.' || !is_digit(p[7]))
      return error::bad_version;
    const int version = 10 * (p[5] - '0') + (p[7] - '0');
    if (version < 10 || version > 11) return error::bad_version;
    p += 8;
    if (p + 1 > last) return error::need_more;
    if (*p++ != ' ') return error::bad_version;
    if (p + 4 > last) return error::need_more;
    if (!is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) || p[3] != ' ')
      return error::bad_status;
    const int status = 100 * (p[0] - '0') + 10 * (p[1] - '0') + (p[2] - '0');
    p += 4;
    error e{};
    const char* token_last = nullptr;
    const char* const q = parse_token_to_eol(p, last, token_last, e);
    if (e != error{}) return e;
    if (q == nullptr) return error::bad_reason;
    if (version == 11) f_ |= flag_http11;
    status_ = status;
    in = q;
    state_ = state::fields;
    return error{};
  }

  // One line of a field value: past its leading whitespace, up to and with its CRLF. Leaves
  // [first, token_last) on the text without trailing whitespace, and `p` on the character after
  // the CRLF, which tells whether the value goes on (obs-fold).
  static error value_line(const char*& p, const char* last, const char*& first,
                          const char*& token_last) noexcept {
    for (;; ++p) {
      if (p >= last) return error::need_more;
      if (!is_ows(*p)) break;
    }
    first = p;
    error e{};
    p = parse_token_to_eol(p, last, token_last, e);
    if (e != error{}) return e;
    if (p == nullptr) return error::bad_value;
    if (p >= last) return error::need_more;
    while (token_last != first && is_ows(token_last[-1]))
      --token_last;
    return error{};
  }

  // header-field = field-name ":" OWS field-value OWS, up to and with its CRLF (and any
  // obs-fold continuation lines, joined with single spaces in `fold`).
  static error parse_field(const char*& in, const char* last, std::string_view& name,
                           std::string_view& value, char* fold) noexcept {
    const char* p = in;
    const char* first = p;
    if (p >= last) return error::need_more;
    for (;;) {
      if (*p == ':') break;
      if (!is_token(*p)) return error::bad_field;
      if (++p >= last) return error::need_more;
    }
    if (p == first) return error::bad_field;
    name = std::string_view(first, static_cast<std::size_t>(p - first));
    ++p;
    const char* token_last = nullptr;
    for (;;) {
      const error e = value_line(p, last, first, token_last);
      if (e != error{}) return e;
      if (!is_ows(*p)) {
        value = std::string_view(first, static_cast<std::size_t>(token_last - first));
        in = p;
        return error{};
      }
      ++p;
      if (token_last != first) break;
    }
    std::size_t size = static_cast<std::size_t>(token_last - first);
    if (size > max_obs_fold) return error::header_limit;
    std::memcpy(fold, first, size);
    for (;;) {
      const error e = value_line(p, last, first, token_last);
      if (e != error{}) return e;
      if (first != token_last) {
        const std::size_t more = static_cast<std::size_t>(token_last - first);
        if (size == max_obs_fold || more > max_obs_fold - size - 1) return error::header_limit;
        fold[size++] = ' ';
        std::memcpy(fold + size, first, more);
        size += more;
      }
      if (!is_ows(*p)) {
        value = std::string_view(fold, size);
        in = p;
        return error{};
      }
      ++p;
    }
  }

  // Fields up to the empty line; `in` moves past each complete field (and the empty line).
  error parse_fields(const char*& in, const char* last, bool trailer) {
    char fold[max_obs_fold];
    const char* p = in;
    for (;;) {
      if (last - p < 2) return error::need_more;
      if (p[0] == '\r') {
        in = p + 2;
        return p[1] != '\n' ? error::bad_line_ending : error{};
      }
      std::string_view name, value;
      error e = parse_field(p, last, name, value, fold);
      if (e != error{}) return e;
      e = do_field(name, value);
      if (e != error{}) return e;
      // Trailer fields after a chunked body are not headers (Go keeps them apart, so k6's
      // res.headers never shows them).
      if (!trailer) on_field(name, value);
      in = p;
    }
  }

  void on_field(std::string_view name, std::string_view value) {
    header_field f;
    f.name_offset = arena_.size();
    f.name_size = name.size();
    f.value_offset = f.name_offset + name.size();
    f.value_size = value.size();
    arena_.append(name.data(), name.size());
    arena_.append(value.data(), value.size());
    fields_.push_back(f);
  }

  // What the fields that frame the message say (RFC 9112 sections 6 and 9.3).
  error do_field(std::string_view name, std::string_view value) noexcept {
    switch (name.size()) {
      case 10:  // Connection
      case 16:  // Proxy-Connection
        if (iequals(name, "connection") || iequals(name, "proxy-connection"))
          return connection_field(value);
        return error{};
      case 14:
        if (iequals(name, "content-length")) return content_length_field(value);
        return error{};
      case 17:
        if (iequals(name, "transfer-encoding")) return transfer_encoding_field(value);
        return error{};
      default:
        return error{};
    }
  }

  error connection_field(std::string_view value) noexcept {
    unsigned flags = 0;
    const bool valid = for_each_token(value, [&flags](std::string_view t) {
      if (iequals(t, "close"))
        flags |= flag_connection_close;
      else if (iequals(t, "keep-alive"))
        flags |= flag_connection_keep_alive;
    });
    if (!valid) return error::bad_value;
    f_ |= flags;
    return error{};
  }

  // A list of equal lengths counts as one; any other list is an error.
  error content_length_field(std::string_view value) noexcept {
    if ((f_ & flag_chunked) != 0) return error::bad_content_length;
    std::size_t tokens = 0;
    if (!for_each_token(value, [&tokens](std::string_view) { ++tokens; }) || tokens == 0)
      return error::bad_content_length;
    bool known = (f_ & flag_content_length) != 0;
    std::uint64_t length = len0_;
    error e{};
    for_each_token(value, [&](std::string_view t) {
      if (e != error{}) return;
      std::uint64_t v;
      if (!parse_dec(t, v)) {
        e = error::bad_content_length;
      } else if (known && v != length) {
        e = error::multiple_content_length;
      } else {
        known = true;
        length = v;
      }
    });
    if (e != error{}) return e;
    // As many numbers as commas plus one: no empty element.
    if (tokens != 1 + static_cast<std::size_t>(std::count(value.begin(), value.end(), ',')))
      return error::bad_content_length;
    len_ = len0_ = length;
    f_ |= flag_content_length;
    return error{};
  }

  // Chunked when "chunked" is the last coding (and no earlier one); the list is read as far
  // as it is well-formed, as Beast's token_list does.
  error transfer_encoding_field(std::string_view value) noexcept {
    if ((f_ & (flag_chunked | flag_content_length)) != 0) return error::bad_transfer_encoding;
    std::size_t count = 0, first_chunked = std::string_view::npos;
    for_each_token(value, [&](std::string_view t) {
      if (first_chunked == std::string_view::npos && iequals(t, "chunked")) first_chunked = count;
      ++count;
    });
    if (first_chunked != std::string_view::npos && first_chunked + 1 == count) {
      len_ = 0;
      f_ |= flag_chunked;
    }
    return error{};
  }

  // RFC 9112 section 6.3: no body for HEAD, 1xx, 204 and 304; then Content-Length, chunked,
  // or the body runs until the connection closes.
  error finish_header() noexcept {
    if (skip_body_ || status_ / 100 == 1 || status_ == 204 || status_ == 304) {
      state_ = state::complete;
    } else if ((f_ & flag_content_length) != 0) {
      if (len_ > 0) {
        state_ = state::body0;
        if (has_body_limit_ && len_ > body_limit_) return error::body_limit;
      } else {
        state_ = state::complete;
      }
    } else if ((f_ & flag_chunked) != 0) {
      state_ = state::chunk_header0;
    } else {
      f_ |= flag_need_eof;
      state_ = state::body_to_eof0;
    }
    return error{};
  }

  void on_body(const char* p, std::size_t n) {
    if (keep_body_) body_.append(p, n);
  }

  // What has come of the body (or chunk) up to its length; `then` once all of it has.
  void take_body(const char*& p, std::size_t n, state then) {
    const std::size_t m = static_cast<std::size_t>(std::min<std::uint64_t>(len_, n));
    on_body(p, m);
    p += m;
    len_ -= m;
    if (len_ == 0) state_ = then;
  }

  // A status line or field block cut short: past the header limit it never will be whole;
  // otherwise the next put() looks for its end from 3 bytes before where this one stopped.
  error header_unfinished(error e, const char* p, const char* p1, std::size_t n) noexcept {
    if (e != error::need_more) return e;
    if (n >= header_limit_) return error::header_limit;
    if (p + 3 <= p1) skip_ = static_cast<std::size_t>(p1 - p - 3);
    return e;
  }

  // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = 1*("0") [ chunk-ext ]
  // CRLF trailer-section CRLF. The CRLF after a chunk's data is read with the next chunk line.
  error parse_chunk_header(const char*& p0, std::size_t n) {
    const char* p = p0;
    const char* const pend = p + n;
    const char* eol = nullptr;
    std::uint64_t size = 0;
    if ((f_ & flag_final_chunk) == 0) {
      if (n < skip_ + 2) return error::need_more;
      if ((f_ & flag_expect_crlf) != 0) {
        if (p[0] != '\r' || p[1] != '\n') return error::bad_chunk;
        p += 2;
      }
      error e = find_eol(p0 + skip_, pend, eol);
      if (e != error{}) return e;
      if (eol == nullptr) {
        skip_ = n - 1;
        return error::need_more;
      }
      skip_ = static_cast<std::size_t>(eol - 2 - p0);
      if (!parse_hex(p, size)) return error::bad_chunk;
      if (size != 0) {
        if (has_body_limit_) {
          if (size > body_limit_) return error::body_limit;
          body_limit_ -= size;
        }
        e = parse_chunk_extensions(p, pend);
        if (e != error{}) return e;
        if (p != eol - 2) return error::bad_chunk_extension;
        len_ = size;
        skip_ = 2;
        p0 = eol;
        f_ |= flag_expect_crlf;
        state_ = state::chunk_body;
        return error{};
      }
      f_ |= flag_final_chunk;
    } else {
      // The last chunk's line was read before; its trailer had not all arrived.
      if ((f_ & flag_expect_crlf) != 0) p += 2;
      parse_hex(p, size);
      find_eol(p, pend, eol);
    }
    const char* const eom = find_eom(p0 + skip_, pend);
    if (eom == nullptr) {
      skip_ = n - 3;
      return error::need_more;
    }
    error e = parse_chunk_extensions(p, pend);
    if (e != error{}) return e;
    if (p != eol - 2) return error::bad_chunk_extension;
    p = eol;
    e = parse_fields(p, eom, true);
    if (e != error{}) return e;
    p0 = eom;
    state_ = state::complete;
    return error{};
  }

  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), with
  // chunk-ext-val = token / quoted-string. Stops at the first character that cannot start
  // one; the caller checks that it stopped at the CRLF.
  static error parse_chunk_extensions(const char*& it, const char* last) noexcept {
    for (;;) {
      if (it == last) return error::need_more;
      if (*it != ' ' && *it != '\t' && *it != ';') return error{};
      if (is_ows(*it)) {
        for (;;) {
          if (++it == last) return error::need_more;
          if (!is_ows(*it)) break;
        }
      }
      if (*it != ';') return error::bad_chunk_extension;
      bool next_extension = true;
      while (next_extension) {
        next_extension = false;
        ++it;  // ';'
        for (;;) {
          if (it == last) return error::need_more;
          if (!is_ows(*it)) break;
          ++it;
        }
        if (!is_token(*it)) return error::bad_chunk_extension;
        for (;;) {
          if (++it == last) return error::need_more;
          if (!is_token(*it)) break;
        }
        bool bws = false;
        if (is_ows(*it)) {
          for (;;) {
            if (++it == last) return error::need_more;
            if (!is_ows(*it)) break;
          }
          bws = true;
        }
        if (*it == ';') {
          next_extension = true;
          continue;
        }
        if (*it != '=') return bws ? error::bad_chunk_extension : error{};
        ++it;  // '='
        for (;;) {
          if (it == last) return error::need_more;
          if (!is_ows(*it)) break;
          ++it;
        }
        if (*it != '"') {
          if (!is_token(*it)) return error::bad_chunk_extension;
          for (;;) {
            if (++it == last) return error::need_more;
            if (!is_token(*it)) break;
          }
        } else {
          for (;;) {
            if (++it == last) return error::need_more;
            if (*it == '"') break;
            if (*it == '\\' && ++it == last) return error::need_more;
          }
          ++it;
        }
      }
    }
  }

  std::string& arena_;
  std::vector<header_field>& fields_;
  std::string& body_;
  std::uint64_t len_ = 0;   // what is left of the body or of the chunk
  std::uint64_t len0_ = 0;  // Content-Length
  std::uint64_t body_limit_ = 8 * 1024 * 1024;
  std::size_t skip_ = 0;  // where to resume looking for the end of a header or a chunk line
  std::uint32_t header_limit_ = 8192;
  int status_ = 0;
  unsigned f_ = 0;
  state state_ = state::nothing_yet;
  bool keep_body_;
  bool has_body_limit_ = true;
  bool eager_ = false;
  bool skip_body_ = false;
};

}  // namespace pacer::http::detail

#endif
