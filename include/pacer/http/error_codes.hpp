#ifndef PACER_HTTP_ERROR_CODES_HPP
#define PACER_HTTP_ERROR_CODES_HPP

// k6's error codes, and the classification of socket, TLS and parser errors into them.

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

#include <string_view>

namespace pacer::http {

// k6's error codes (the `error_code` tag). A failed exchange carries one code and
// a short message in k6's wording; HTTP statuses >= 400 become 1000 + status.
struct failure {
  int code = 0;
  std::string_view message;
};

namespace error_code {
inline constexpr int generic = 1000;
inline constexpr int invalid_url = 1020;
inline constexpr int request_timeout = 1050;
inline constexpr int dns = 1100;
inline constexpr int dns_no_such_host = 1101;
inline constexpr int tcp = 1200;
inline constexpr int broken_pipe = 1201;
inline constexpr int tcp_errno = 1202;
inline constexpr int dial = 1210;
inline constexpr int dial_timeout = 1211;
inline constexpr int connection_refused = 1212;
inline constexpr int dial_errno = 1213;
inline constexpr int connection_reset = 1220;
inline constexpr int tls = 1300;
inline constexpr int tls_record_header = 1301;
inline constexpr int tls_unknown_authority = 1310;
inline constexpr int tls_hostname_mismatch = 1311;
}  // namespace error_code

namespace detail {

namespace asio = boost::asio;
using boost::system::error_code;

inline failure classify_dial(const error_code& ec) {
  if (ec == asio::error::connection_refused)
    return {http::error_code::connection_refused, "dial: connection refused"};
  if (ec == asio::error::timed_out) return {http::error_code::dial_timeout, "dial: i/o timeout"};
  if (ec.category() == boost::system::system_category())
    return {http::error_code::dial_errno, "dial: unknown errno"};
  return {http::error_code::dial, "dial error"};
}

// Errors on an established connection (`write` or `read`).
inline failure classify_io(const error_code& ec, bool writing) {
  if (ec == asio::error::connection_reset)
    return {http::error_code::connection_reset,
            writing ? "write: connection reset by peer" : "read: connection reset by peer"};
  if (ec == asio::error::broken_pipe) return {http::error_code::broken_pipe, "write: broken pipe"};
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
      ec == boost::beast::http::error::partial_message)
    return {http::error_code::generic, "unexpected EOF"};
  if (ec == boost::beast::http::error::body_limit)
    return {http::error_code::generic, "response body larger than the body limit"};
  if (ec == boost::beast::http::error::header_limit)
    return {http::error_code::generic, "response header larger than the header limit"};
  if (ec.category() ==
      boost::beast::http::make_error_code(boost::beast::http::error::end_of_stream).category())
    return {http::error_code::generic, "malformed HTTP response"};
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::get_stream_category())
    return {http::error_code::tls, "tls: error on an established connection"};
  if (ec.category() == boost::system::system_category())
    return {http::error_code::tcp_errno, writing ? "write: unknown errno" : "read: unknown errno"};
  return {http::error_code::tcp, "tcp error"};
}

}  // namespace detail
}  // namespace pacer::http

#endif
