#ifndef PACER_HTTP_CONNECTION_HPP
#define PACER_HTTP_CONNECTION_HPP

// One HTTP/1.1 client connection over TCP or TLS: keep-alive, k6's timing phases, limits,
// timeouts and error classification, with no allocation per request.

#include <pacer/http/error_codes.hpp>
#include <pacer/http/limits.hpp>
#include <pacer/http/request.hpp>
#include <pacer/http/response.hpp>
#include <pacer/http/response_parser.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <openssl/x509_vfy.h>
#include <cerrno>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pacer::http {

// The k6 timing phases of one request, and how it ended.
struct exchange_result {
  int status = 0;
  failure error;           // code 0: transport succeeded
  bool cancelled = false;  // stopped by the engine (hard stop), not a request outcome
  bool reused = false;     // sent on a kept-alive connection
  std::string_view tls_version;
  std::chrono::nanoseconds blocked{}, connecting{}, tls_handshaking{}, sending{}, waiting{},
      receiving{};
  std::chrono::nanoseconds duration() const noexcept { return sending + waiting + receiving; }
};

namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
using clock = std::chrono::steady_clock;
using socket_t = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;
using tls_stream_t = asio::ssl::stream<socket_t&>;

// One keep-alive HTTP/1.1 connection (plain or TLS) to one origin, owned by one
// VU and driven by one io_context thread. It runs one exchange at a time and
// reports completion to its listener; errors become k6 error codes, never throws.
class connection {
 public:
  struct listener {
    virtual void on_exchange_done() = 0;

   protected:
    ~listener() = default;
  };

  connection(asio::io_context& ioc, asio::ssl::context* tls_ctx,
             const std::vector<asio::ip::tcp::endpoint>* endpoints, failure resolve_error,
             const url& origin, response_limits limits, listener& owner)
      : socket_(ioc.get_executor()),
        tls_ctx_(tls_ctx),
        endpoints_(endpoints),
        resolve_error_(resolve_error),
        origin_(origin),
        limits_(limits),
        owner_(owner) {}

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() {
    close();
    if (session_ != nullptr) SSL_SESSION_free(session_);
  }

  // Sends `req` and reads its response; `on_exchange_done` follows exactly once.
  void start(const request& req, bool keep_body) {
    start_until(req.wire(), req.method() == "HEAD", clock::now() + req.timeout(), keep_body,
                replayable(req.method()));
  }
  // With prepared bytes and an absolute deadline (a redirect chain shares one). A request
  // the server may have processed is resent on a new connection only when `idempotent`.
  void start_until(const std::string& wire, bool head, clock::time_point deadline, bool keep_body,
                   bool idempotent) {
    wire_ = &wire;
    idempotent_ = idempotent;
    head_ = head;
    keep_body_ = keep_body;
    reset(deadline);
    begin_exchange();
  }
  // Go's rule for resending a request after the connection closed under it.
  static bool replayable(std::string_view method) noexcept {
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
  }

  // Opens the connection (TCP, then TLS where the origin asks for it) without sending
  // anything, so that the first request finds it ready; `on_exchange_done` follows exactly
  // once, with result().error set when it could not connect. For an idle, closed connection.
  void warm_up(clock::time_point deadline) {
    wire_ = nullptr;
    warming_ = true;
    reset(deadline);
    connect(0);
  }

  // Points an idle connection at another origin (closing any open connection).
  void retarget(const url& origin, const std::vector<asio::ip::tcp::endpoint>* endpoints,
                failure resolve_error) {
    close();
    origin_ = origin;
    endpoints_ = endpoints;
    resolve_error_ = resolve_error;
    if (session_ != nullptr) {
      SSL_SESSION_free(session_);
      session_ = nullptr;
    }
  }
  const url& origin() const noexcept { return origin_; }

  // Hard stop by the engine: the exchange ends as cancelled.
  void cancel() { abort(abort_reason::cancelled); }
  // Called by the shard's timeout sweep.
  clock::time_point deadline() const noexcept {
    return busy_ ? deadline_ : clock::time_point::max();
  }
  void expire() { abort(abort_reason::timed_out); }

  bool busy() const noexcept { return busy_; }
  const exchange_result& result() const noexcept { return result_; }
  response_view response() const noexcept {
    return response_view(result_.status, arena_, fields_, body_);
  }

  // Bytes moved on the wire over the connection's lifetime (TLS records included).
  std::uint64_t bytes_sent() const noexcept {
    return bytes_sent_ + (tls_ ? BIO_number_written(SSL_get_wbio(ssl())) : 0);
  }
  std::uint64_t bytes_received() const noexcept {
    return bytes_received_ + (tls_ ? BIO_number_read(SSL_get_rbio(ssl())) : 0);
  }
  std::uint64_t connects() const noexcept { return connects_; }
  std::uint64_t resumed_sessions() const noexcept { return resumed_; }

  void close() noexcept {
    if (tls_) {
      SSL* ssl = tls_->native_handle();
      bytes_sent_ += BIO_number_written(SSL_get_wbio(ssl));
      bytes_received_ += BIO_number_read(SSL_get_rbio(ssl));
      // Without this, freeing an SSL that never sent close_notify marks its session
      // not resumable, and the next connection would pay a full handshake.
      if (open_) SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    tls_.reset();
    open_ = false;
  }

  // The read buffer and OpenSSL's record buffers (about 34 KiB a TLS connection) go back
  // to the allocator once a connection has idled for `idle_for`; its next request
  // allocates them again.
  void release_idle_buffers(clock::time_point now, std::chrono::nanoseconds idle_for) {
    if (busy_ || buffers_released_ || now - t_last_used_ < idle_for) return;
    buffers_released_ = true;
    // Nothing is buffered between exchanges (finish() drops what follows a response).
    std::vector<char>().swap(rbuf_);
    begin_ = end_ = 0;
    if (tls_ && open_) SSL_free_buffers(tls_->native_handle());
  }

 private:
  enum class abort_reason { none, cancelled, timed_out };
  enum class phase { connect, handshake, write, read };

  // OpenSSL's getters take a non-const SSL*; reading counters does not modify it.
  SSL* ssl() const noexcept { return const_cast<tls_stream_t&>(*tls_).native_handle(); }

  // What an exchange (or a warm-up) starts from.
  void reset(clock::time_point deadline) {
    abort_ = abort_reason::none;
    result_ = exchange_result{};
    retried_ = false;
    t_start_ = clock::now();
    deadline_ = deadline;
    busy_ = true;
  }

  void abort(abort_reason why) {
    if (!busy_ || abort_ != abort_reason::none) return;
    abort_ = why;
    // Closing the socket completes the pending operation with operation_aborted;
    // its handler then finishes the exchange.
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  void begin_exchange() {
    written_ = false;
    // A connection idle for a while may have been closed by the server: look before
    // sending (one cheap syscall, skipped for busy connections).
    if (open_ && t_start_ - t_last_used_ > std::chrono::seconds(1) && peer_gone(fresh_ && tls_))
      close();
    fresh_ = false;
    if (open_) {
      result_.reused = true;
      t_ready_ = t_start_;
      send();
    } else {
      result_.reused = false;
      connect(0);
    }
  }

  void connect(std::size_t endpoint_index) {
    phase_ = phase::connect;
    if (resolve_error_.code != 0) return fail_soon(resolve_error_);
    if (endpoint_index >= endpoints_->size())
      return fail_soon({http::error_code::dial, "dial: no address"});
    const auto& ep = (*endpoints_)[endpoint_index];
    boost::system::error_code ec;
    socket_.close(ec);
    socket_.open(ep.protocol(), ec);
    if (ec) return fail_soon(classify_dial(ec));
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    t_connect_ = clock::now();
    socket_.async_connect(ep, [this, endpoint_index](boost::system::error_code e) {
      if (aborted()) return;
      if (!e && connected_to_itself()) e = asio::error::connection_refused;
      if (e) {
        if (endpoint_index + 1 < endpoints_->size()) return connect(endpoint_index + 1);
        return fail(classify_dial(e));
      }
      ++connects_;
      auto now = clock::now();
      result_.connecting = now - t_connect_;
      if (origin_.tls) {
        if (tls_ctx_ == nullptr) return fail({http::error_code::tls, "tls: no TLS context"});
        return handshake();
      }
      open_ = true;
      t_ready_ = now;
      if (warming_) return warmed();
      send();
    });
  }

  // A connect to a port of the ephemeral range that nobody listens on may be given that very
  // port as its own, and TCP then connects the socket to itself. The port is dead: report it as
  // refused, as Go's dialer does, not as a malformed response to our own request.
  bool connected_to_itself() const {
    boost::system::error_code local_ec, remote_ec;
    auto local = socket_.local_endpoint(local_ec);
    auto remote = socket_.remote_endpoint(remote_ec);
    return !local_ec && !remote_ec && local == remote;
  }

  void handshake() {
    phase_ = phase::handshake;
    tls_.emplace(socket_, *tls_ctx_);
    SSL* ssl = tls_->native_handle();
    // Asio asks OpenSSL to free its record buffers after every read and write, which
    // costs several allocations per request; a connection keeps them while in use and
    // gives them back only when it idles (release_idle_buffers).
    SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
    // SNI is for names only (RFC 6066); verification checks the name or the address.
    // Never go on without something to verify against.
    bool named = origin_.host_is_ip_literal()
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), origin_.host.c_str()) == 1
                     : SSL_set_tlsext_host_name(ssl, origin_.host.c_str()) == 1 &&
                           SSL_set1_host(ssl, origin_.host.c_str()) == 1;
    if (!named) return fail({http::error_code::tls, "tls: cannot verify this host name"});
    if (session_ != nullptr) SSL_set_session(ssl, session_);
    t_handshake_ = clock::now();
    tls_->async_handshake(asio::ssl::stream_base::client, [this](boost::system::error_code e) {
      if (aborted()) return;
      if (e) return fail(classify_handshake(e));
      auto now = clock::now();
      result_.tls_handshaking = now - t_handshake_;
      if (SSL_session_reused(tls_->native_handle())) ++resumed_;
      session_saved_ = false;
      open_ = true;
      t_ready_ = now;
      if (warming_) return warmed();
      send();
    });
  }

  void send() {
    phase_ = phase::write;
    result_.blocked = t_ready_ - t_start_;
    const std::string& wire = *wire_;
    auto on_written = [this](boost::system::error_code e, std::size_t n) {
      if (!tls_) bytes_sent_ += n;
      if (aborted()) return;
      if (e) {
        if (may_retry(e)) return retry();
        return fail(classify_io(e, true));
      }
      t_written_ = clock::now();
      result_.sending = t_written_ - t_ready_;
      written_ = true;
      informational_ = 0;
      new_parser();
      got_bytes_ = false;
      read();
    };
    if (tls_)
      asio::async_write(*tls_, asio::buffer(wire), on_written);
    else
      asio::async_write(socket_, asio::buffer(wire), on_written);
  }

  void read() {
    phase_ = phase::read;
    // Small to start, so that 10,000 VUs stay cheap; a read that fills the buffer
    // shows a large response streaming in, and the buffer doubles for the next reads.
    if (rbuf_.empty()) rbuf_.resize(initial_read_buffer);
    if (filled_last_read_ && rbuf_.size() < streaming_read_buffer) {
      filled_last_read_ = false;
      rbuf_.resize(rbuf_.size() * 2);
    }
    if (end_ == rbuf_.size()) {
      // The unparsed part fills the buffer: compact, then grow up to the header limit.
      if (begin_ > 0) {
        std::memmove(rbuf_.data(), rbuf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      } else {
        // Only an unfinished head (or chunk line, or trailer) fills the buffer: bound it.
        const std::size_t cap = static_cast<std::size_t>(limits_.header_bytes) + 64 * 1024;
        if (rbuf_.size() >= cap)
          return fail({http::error_code::generic, "response header larger than the header limit"});
        rbuf_.resize(std::min(rbuf_.size() * 2, cap));
      }
    }
    auto buf = asio::buffer(rbuf_.data() + end_, rbuf_.size() - end_);
    auto on_read = [this](boost::system::error_code e, std::size_t n) {
      if (!tls_) bytes_received_ += n;
      if (aborted()) return;
      if (n > 0) {
        if (!got_bytes_) {
          got_bytes_ = true;
          t_first_byte_ = clock::now();
        }
        filled_last_read_ = end_ + n == rbuf_.size();
        end_ += n;
        if (!parse()) return;
        if (parser_->is_done()) return finish();
      }
      if (e) {
        if (e == asio::error::eof || e == asio::ssl::error::stream_truncated) {
          if (!got_bytes_ && may_retry(e)) return retry();
          if (parser_->got_some()) {
            boost::system::error_code pe;
            parser_->put_eof(pe);
            if (!pe && parser_->is_done()) return finish();
          }
        } else if (!got_bytes_ && may_retry(e)) {
          return retry();
        }
        return fail(classify_io(e, false));
      }
      read();
    };
    if (tls_)
      tls_->async_read_some(buf, on_read);
    else
      socket_.async_read_some(buf, on_read);
  }

  void new_parser() {
    parser_.emplace(arena_, fields_, body_, keep_body_);
    parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
    parser_->body_limit(limits_.body_bytes);
    parser_->eager(true);
    if (head_) parser_->skip(true);
  }

  // Feeds buffered bytes to the parser; false when the response is malformed.
  bool parse() {
    while (begin_ < end_ && !parser_->is_done()) {
      boost::system::error_code e;
      std::size_t used = parser_->put(asio::buffer(rbuf_.data() + begin_, end_ - begin_), e);
      begin_ += used;
      if (e == beast::http::error::need_more) break;
      if (e) {
        fail(classify_io(e, false));
        return false;
      }
      // 1xx responses (103 Early Hints, a stray 100) precede the real one: skip them, as
      // Go and so k6 do, up to a bound.
      if (parser_->is_done() && parser_->status() >= 100 && parser_->status() < 200 &&
          parser_->status() != 101) {
        if (++informational_ > 5) {
          fail({http::error_code::generic, "too many 1xx responses"});
          return false;
        }
        new_parser();
        continue;
      }
      if (used == 0) break;
    }
    if (begin_ == end_) begin_ = end_ = 0;
    return true;
  }

  void finish() {
    auto now = clock::now();
    result_.status = parser_->status();
    result_.waiting = t_first_byte_ - t_written_;
    result_.receiving = now - t_first_byte_;
    if (tls_) {
      result_.tls_version = tls_version_name(tls_->native_handle());
      save_session();
    }
    bool keep = parser_->keep_alive();
    // Bytes after the response are not ours to interpret: start afresh.
    begin_ = end_ = 0;
    if (!keep) close();
    done();
  }

  // Whether the server closed (or wrote to) an idle connection. `pending_data_ok`: bytes
  // waiting are not a sign of closing (session tickets after a warm-up's handshake).
  bool peer_gone(bool pending_data_ok) {
    char byte;
    ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return !pending_data_ok;
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
  }

  void fail(failure f) {
    auto now = clock::now();
    result_.error = f;
    result_.status = 0;
    switch (phase_) {
      case phase::connect:
      case phase::handshake:
        result_.blocked = now - t_start_;
        break;
      case phase::write:
        result_.blocked = t_ready_ - t_start_;
        result_.sending = now - t_ready_;
        break;
      case phase::read:
        // k6: with no response, waiting runs from "request written" to the end.
        if (got_bytes_) {
          result_.waiting = t_first_byte_ - t_written_;
          result_.receiving = now - t_first_byte_;
        } else {
          result_.waiting = now - t_written_;
        }
        break;
    }
    begin_ = end_ = 0;
    close();
    done();
  }

  // A failure found while starting is reported from the io_context, never from
  // inside start(): callers may start the next exchange from the completion.
  void fail_soon(failure f) {
    asio::post(socket_.get_executor(), [this, f] {
      if (aborted()) return;
      fail(f);
    });
  }

  // A warmed-up TLS connection has not read what a TLS 1.3 server sends after its handshake
  // (session tickets): its first request must not take those bytes for a closing peer.
  void warmed() {
    fresh_ = true;
    done();
  }

  void done() {
    busy_ = false;
    warming_ = false;
    buffers_released_ = false;
    t_last_used_ = clock::now();
    owner_.on_exchange_done();
  }

  // A handler that runs after abort() finishes the exchange here.
  bool aborted() {
    if (abort_ == abort_reason::none) return false;
    if (abort_ == abort_reason::cancelled) {
      result_.cancelled = true;
      begin_ = end_ = 0;
      close();
      done();
    } else {
      fail(phase_ == phase::connect
               ? failure{http::error_code::dial_timeout, "dial: i/o timeout"}
               : failure{http::error_code::request_timeout, "request timeout"});
    }
    return true;
  }

  // A kept-alive connection the server closed before answering: resend once on a
  // new connection, as browsers and Go's client do.
  // A request the server never saw may always be resent; one it may have processed
  // only when repeating it is harmless (Go's rule: GET, HEAD, OPTIONS, TRACE).
  bool may_retry(const boost::system::error_code& e) const {
    if (!result_.reused || retried_) return false;
    bool closed = e == asio::error::eof || e == asio::error::connection_reset ||
                  e == asio::error::broken_pipe || e == asio::ssl::error::stream_truncated;
    return closed && (!written_ || idempotent_);
  }
  void retry() {
    retried_ = true;
    close();
    begin_ = end_ = 0;
    t_start_ = clock::now();
    begin_exchange();
  }

  failure classify_handshake(const boost::system::error_code& e) {
    if (e.category() != asio::error::get_ssl_category()) {
      if (e == asio::error::eof || e == asio::ssl::error::stream_truncated)
        return {http::error_code::tls, "tls: handshake failed: connection closed"};
      return classify_io(e, false);
    }
    // Not TLS at all, typically a plain HTTP server answering the ClientHello: Go reports a
    // record header error, k6's 1301.
    if (ERR_GET_REASON(static_cast<unsigned long>(e.value())) == SSL_R_WRONG_VERSION_NUMBER)
      return {http::error_code::tls_record_header,
              "tls: first record does not look like a TLS handshake"};
    long v = SSL_get_verify_result(tls_->native_handle());
    switch (v) {
      case X509_V_OK:
        return {http::error_code::tls, "tls: handshake failure"};
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return {http::error_code::tls_hostname_mismatch,
                "x509: certificate doesn't match hostname"};
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
        return {http::error_code::tls_unknown_authority,
                "x509: certificate signed by unknown authority"};
      default:
        return {http::error_code::tls, "x509: certificate verification failed"};
    }
  }

  void save_session() {
    if (session_saved_) return;
    // TLS 1.3 tickets arrive after the handshake, so look after the first response.
    SSL_SESSION* s = SSL_get1_session(tls_->native_handle());
    if (s == nullptr) return;
    if (!SSL_SESSION_is_resumable(s)) {
      SSL_SESSION_free(s);
      return;
    }
    if (session_ != nullptr) SSL_SESSION_free(session_);
    session_ = s;
    session_saved_ = true;
  }

  static std::string_view tls_version_name(SSL* ssl) {
    switch (SSL_version(ssl)) {
      case TLS1_3_VERSION:
        return "tls1.3";
      case TLS1_2_VERSION:
        return "tls1.2";
      case TLS1_1_VERSION:
        return "tls1.1";
      default:
        return "tls1.0";
    }
  }

  socket_t socket_;
  std::optional<tls_stream_t> tls_;
  asio::ssl::context* tls_ctx_;
  const std::vector<asio::ip::tcp::endpoint>* endpoints_;
  failure resolve_error_;
  url origin_;
  response_limits limits_;
  listener& owner_;

  const std::string* wire_ = nullptr;
  bool head_ = false;
  bool keep_body_ = false;
  bool busy_ = false;
  bool buffers_released_ = false;
  bool open_ = false;
  bool retried_ = false;
  bool warming_ = false;  // warm_up(): connect, then stop before sending
  bool fresh_ = false;    // warmed up and not used since
  bool written_ = false;
  bool idempotent_ = false;
  int informational_ = 0;
  bool got_bytes_ = false;
  bool session_saved_ = false;
  abort_reason abort_ = abort_reason::none;
  phase phase_ = phase::connect;
  exchange_result result_;
  SSL_SESSION* session_ = nullptr;

  std::optional<response_parser> parser_;
  static constexpr std::size_t initial_read_buffer = 4 * 1024;
  static constexpr std::size_t streaming_read_buffer = 64 * 1024;
  std::vector<char> rbuf_;
  bool filled_last_read_ = false;
  std::size_t begin_ = 0, end_ = 0;
  std::string arena_;
  std::vector<header_field> fields_;
  std::string body_;

  std::uint64_t bytes_sent_ = 0, bytes_received_ = 0, connects_ = 0, resumed_ = 0;
  clock::time_point t_last_used_{}, t_start_, deadline_, t_connect_, t_handshake_, t_ready_,
      t_written_, t_first_byte_;
};

}  // namespace detail
}  // namespace pacer::http

#endif
