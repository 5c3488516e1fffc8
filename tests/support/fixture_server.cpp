// Implementation of the integration-test fixture server.
//
// Paths (query parameters are parsed from the target; any method is accepted everywhere):
//   /                 200 "ok" (also any unknown path)
//   /status/<N>       status N, body "status N" (N in 200..599; 204/304 carry no body)
//   /slow?ms=M        200 "slow" after M milliseconds, without blocking other connections
//   /gate             held until release_gate(), then 200 "released"; a client that leaves
//                     meanwhile stops counting as waiting
//   /hang             never answered; the connection stays open until either side closes it
//   /close            200 "bye" with Connection: close, then a graceful close
//   /reset            a status line and part of the headers, then a TCP RST
//   /truncate         headers promising 1000 body bytes, 10 bytes, then a graceful close
//   /bytes?n=K        200 with exactly K body bytes
//   /echo             200 echoing the request body and Content-Type
//   /api/v1/certificates/bulk-renew   certctl's handler on a 100-certificate fleet (401, 400, 405)
//   /early-hints      a 103 response, then 200 "after hints"
//   /chunk-ext        chunked 200 whose first chunk-size line never ends (4 MiB of extension)
//   /drop-after-first answers the first request of a connection; closes on any later one
//   /redirect         ?status=N (default 302)&to=TARGET: Location TARGET (rest of the query, raw)
//   /headers?n=K      200 with K extra "X-Fill-i" header lines of 100 characters each
//   /cookies          200 with a Set-Cookie for each X-Set-Cookie request header; the body is
//                     the request's Cookie header
//
// Everything runs as coroutines on one thread. Shutdown closes the listener and every live
// socket and cancels every timer, so all pending operations finish promptly and the thread's
// run() returns on its own.
#include "fixture_server.hpp"
#include "live_connections.hpp"

#include "certctl_target/tls_identity.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <nlohmann/json.hpp>

#include <openssl/ssl.h>

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <fstream>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

namespace pacer_test {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// Errors are returned as values so that no exception unwinds through a handler.
constexpr auto nothrow_awaitable = net::as_tuple(net::use_awaitable);

using plain_stream = beast::tcp_stream;
using tls_stream = ssl::stream<beast::tcp_stream>;

template <class Stream>
constexpr bool is_tls_v = std::is_same_v<Stream, tls_stream>;

using request = http::request<http::string_body>;

// How long a graceful close waits for the peer to finish before the socket is closed anyway.
constexpr auto graceful_close_timeout = std::chrono::seconds(1);

// ---------------------------------------------------------------------------------------------
// The CA file clients load to trust the TLS fixture

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pacer-fixture-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("fixture_server: mkdtemp failed");
  return pattern;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("fixture_server: cannot write " + file.string());
}

// ---------------------------------------------------------------------------------------------
// Request helpers

struct target_parts {
  std::string_view path;
  std::string_view query;
};

target_parts split_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::uint64_t query_u64(std::string_view query, std::string_view key, std::uint64_t fallback) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != key) continue;
    return parse_u64(pair.substr(eq + 1)).value_or(fallback);
  }
  return fallback;
}

// ---------------------------------------------------------------------------------------------
// Response helpers

struct reply {
  reply(unsigned status_code, std::string body_text, bool keep)
      : status(status_code), body(std::move(body_text)), keep_alive(keep) {}

  unsigned status;
  std::string body;
  std::string content_type = "text/plain";
  std::string extra_headers;  // complete "Name: value\r\n" lines
  bool keep_alive;
};

// certctl's bulk-renew handler, on a fleet of 100 certificates of team t-platform and
// issuer iss-local (the contract the flagship scenario drives).
reply bulk_renew(const http::request<http::string_body>& req, bool keep_alive) {
  auto error = [&](unsigned status, std::string_view text, std::string_view message) {
    reply r(
        status,
        nlohmann::json{{"error", text}, {"message", message}, {"request_id", "req-fixture"}}.dump(),
        keep_alive);
    r.content_type = "application/json";
    return r;
  };
  if (req.method() != http::verb::post) return error(405, "Method Not Allowed", "use POST");
  if (req[http::field::authorization] != "Bearer load-test-token")
    return error(401, "Unauthorized", "missing or invalid bearer token");
  auto criteria = nlohmann::json::parse(req.body(), nullptr, false);
  if (criteria.is_discarded() || !criteria.is_object())
    return error(400, "Bad Request", "Invalid request body");
  static constexpr const char* fields[] = {"profile_id", "owner_id", "agent_id",
                                           "issuer_id",  "team_id",  "certificate_ids"};
  bool any = false;
  for (const char* f : fields)
    any = any || criteria.contains(f);
  if (!any)
    return error(400, "Bad Request",
                 "at least one of profile_id, owner_id, agent_id, issuer_id, team_id, "
                 "certificate_ids is required");
  bool match = criteria.value("team_id", "t-platform") == "t-platform" &&
               criteria.value("issuer_id", "iss-local") == "iss-local";
  nlohmann::json envelope = {{"total_matched", match ? 100 : 0},
                             {"total_enqueued", match ? 100 : 0},
                             {"total_skipped", 0},
                             {"total_failed", 0}};
  if (match) {
    nlohmann::json jobs = nlohmann::json::array();
    for (int i = 1; i <= 100; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "mc-bulk-%05d", i);
      jobs.push_back({{"certificate_id", id}, {"job_id", std::string("job-") + id}});
    }
    envelope["enqueued_jobs"] = std::move(jobs);
  }
  reply r(200, envelope.dump(), keep_alive);
  r.content_type = "application/json";
  return r;
}

bool status_has_body(unsigned status) {
  return status >= 200 && status != 204 && status != 304;
}

std::string response_head(const reply& r, std::uint64_t content_length, unsigned http_version) {
  const auto s = http::int_to_status(r.status);
  std::string_view reason = "Unknown";
  if (s != http::status::unknown) reason = http::obsolete_reason(s);
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " ";
  head.append(reason.data(), reason.size());
  head += "\r\nServer: pacer-fixture\r\n";
  if (status_has_body(r.status)) {
    if (!r.content_type.empty()) head += "Content-Type: " + r.content_type + "\r\n";
    head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  }
  if (!r.keep_alive) {
    head += "Connection: close\r\n";
  } else if (http_version < 11) {
    head += "Connection: keep-alive\r\n";  // HTTP/1.0 clients assume close otherwise
  }
  head += r.extra_headers;
  head += "\r\n";
  return head;
}

// Body filler for /bytes, written repeatedly so huge bodies need no large allocation.
const std::string& filler_chunk() {
  static const std::string chunk(64 * 1024, 'x');
  return chunk;
}

enum class after_reply { keep_alive, close, done };

// Shared between a request held at /gate and the coroutine watching its connection meanwhile.
struct gate_watch {
  explicit gate_watch(net::io_context& ioc)
      : finished_signal(ioc, net::steady_timer::time_point::max()) {}
  bool finished = false;     // the watcher has returned and no longer touches the stream
  bool client_gone = false;  // the peer closed or reset the connection
  bool stop_requested = false;
  net::steady_timer finished_signal;  // cancelled when the watcher finishes
};

}  // namespace

// -----------------------------------------------------------------------------------------------

class fixture_server::impl {
 public:
  explicit impl(fixture_options opts);
  ~impl();

  fixture_options opts_;
  std::filesystem::path temp_dir_;
  std::string ca_path_;
  std::optional<ssl::context> tls_ctx_;

  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer accept_backoff_{ioc_};
  // Every held /gate request waits on this never-expiring timer; cancelling it wakes them all.
  net::steady_timer gate_timer_{ioc_, net::steady_timer::time_point::max()};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> connections_{0};
  std::atomic<std::uint64_t> tls_handshakes_{0};
  std::atomic<std::uint64_t> tls_resumed_{0};

  mutable std::mutex stats_mu_;
  std::map<std::string, std::uint64_t, std::less<>> per_path_;
  http::fields last_headers_;
  std::string last_body_;

  mutable std::mutex gate_mu_;
  mutable std::condition_variable gate_cv_;
  bool gate_open_ = false;
  std::uint64_t gate_waiting_ = 0;

  // Live connections, touched only on the server thread; shutdown closes them.
  std::list<live_connection> live_;

  std::thread thread_;

  void shutdown_all();
  void record(const request& req, std::string_view path);

  net::awaitable<void> accept_loop();
  net::awaitable<void> serve_plain(tcp::socket socket);
  net::awaitable<void> serve_tls(tcp::socket socket);
  template <class Stream>
  net::awaitable<void> run_connection(Stream& stream);
  template <class Stream>
  net::awaitable<after_reply> respond(Stream& stream, net::steady_timer& timer,
                                      beast::flat_buffer& buffer, const request& req);
  template <class Stream>
  net::awaitable<bool> hold_at_gate(Stream& stream, beast::flat_buffer& buffer);
  template <class Stream>
  net::awaitable<void> watch_held_client(Stream& stream, beast::flat_buffer& buffer,
                                         gate_watch& watch);
  template <class Stream>
  net::awaitable<after_reply> send(Stream& stream, const reply& r, const request& req);
  template <class Stream>
  net::awaitable<after_reply> send_bytes(Stream& stream, std::uint64_t n, const request& req);
  template <class Stream>
  net::awaitable<void> graceful_close(Stream& stream);
};

namespace {

template <class Stream>
net::awaitable<bool> write_all(Stream& stream, std::string_view data) {
  const auto [ec, n] = co_await net::async_write(stream, net::buffer(data), nothrow_awaitable);
  (void)n;
  co_return !ec;
}

template <class Stream>
void abort_with_rst(Stream& stream) {
  auto& socket = beast::get_lowest_layer(stream).socket();
  beast::error_code ec;
  // A zero linger timeout makes close() discard unsent data and send RST instead of FIN.
  socket.set_option(net::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

}  // namespace

fixture_server::impl::impl(fixture_options opts) : opts_(opts) {
  // Listening before the constructor returns lets clients connect at once; early connections
  // simply wait in the backlog until the server thread accepts them.
  const tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"), 0);
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();

  if (opts_.tls) {
    // The same certificate and TLS settings as certctl-target, so both serve clients alike.
    const auto identity = certctl_target::create_self_signed_identity("localhost");
    temp_dir_ = make_temp_dir();
    try {
      const auto pem = temp_dir_ / "ca.pem";
      write_text(pem, identity.cert_pem);
      ca_path_ = pem.string();
      tls_ctx_.emplace(certctl_target::make_tls_server_context(identity, "pacer-fixture"));
    } catch (...) {
      std::error_code ec;
      std::filesystem::remove_all(temp_dir_, ec);
      throw;
    }
  }

  net::co_spawn(ioc_, accept_loop(), [](std::exception_ptr) {});
  thread_ = std::thread([this] {
    // Handlers do not throw, but a stray exception must not take the process down.
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (...) {
      }
    }
  });
}

fixture_server::impl::~impl() {
  net::post(ioc_, [this] { shutdown_all(); });
  if (thread_.joinable()) thread_.join();
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

void fixture_server::impl::shutdown_all() {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  accept_backoff_.cancel();
  gate_timer_.cancel();
  for (const auto& c : live_) {
    c.timer->cancel();
    c.socket->close(ec);
  }
  // With the guard gone, run() returns once the aborted operations have unwound.
  work_.reset();
}

void fixture_server::impl::record(const request& req, std::string_view path) {
  std::lock_guard lock(stats_mu_);
  ++per_path_[std::string(path)];
  last_headers_ = req.base();
  last_body_ = req.body();
  // Counted before the response is written, so a client that has its answer sees the count.
  ++requests_;
}

net::awaitable<void> fixture_server::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(nothrow_awaitable);
    if (stopping_ || ec == net::error::operation_aborted) co_return;
    if (ec) {
      // Typically descriptor exhaustion: back off briefly instead of spinning on the listener.
      accept_backoff_.expires_after(std::chrono::milliseconds(5));
      co_await accept_backoff_.async_wait(nothrow_awaitable);
      if (stopping_) co_return;
      continue;
    }
    ++connections_;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls_ctx_) {
      net::co_spawn(ioc_, serve_tls(std::move(socket)), [](std::exception_ptr) {});
    } else {
      net::co_spawn(ioc_, serve_plain(std::move(socket)), [](std::exception_ptr) {});
    }
  }
}

net::awaitable<void> fixture_server::impl::serve_plain(tcp::socket socket) {
  try {
    plain_stream stream(std::move(socket));
    co_await run_connection(stream);
  } catch (...) {
  }
}

net::awaitable<void> fixture_server::impl::serve_tls(tcp::socket socket) {
  try {
    tls_stream stream(std::move(socket), *tls_ctx_);
    co_await run_connection(stream);
  } catch (...) {
  }
}

template <class Stream>
net::awaitable<void> fixture_server::impl::run_connection(Stream& stream) {
  net::steady_timer timer(ioc_);
  live_registration registration(live_, beast::get_lowest_layer(stream).socket(), timer);
  if (stopping_) co_return;

  if constexpr (is_tls_v<Stream>) {
    const auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, nothrow_awaitable);
    if (ec || stopping_) co_return;  // e.g. the client rejected the certificate
    ++tls_handshakes_;
    if (SSL_session_reused(stream.native_handle()) == 1) ++tls_resumed_;
  }

  beast::flat_buffer buffer;
  std::uint64_t served = 0;
  for (;;) {
    http::request_parser<http::string_body> parser;
    // Generous limits: the fixture is for testing the client's limits, not its own.
    parser.header_limit(1u << 20);
    parser.body_limit(std::uint64_t{1} << 30);

    {
      const auto [ec, n] =
          co_await http::async_read_header(stream, buffer, parser, nothrow_awaitable);
      (void)n;
      if (ec || stopping_) co_return;  // peer closed, malformed request, or shutdown
    }
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      if (!co_await write_all(stream, "HTTP/1.1 100 Continue\r\n\r\n")) co_return;
    }
    if (!parser.is_done()) {
      const auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow_awaitable);
      (void)n;
      if (ec || stopping_) co_return;
    }

    const request req = parser.release();
    if (served++ > 0 && split_target(req.target()).path == "/drop-after-first") {
      // A kept-alive connection the server gives up on after reading a request.
      record(req, "/drop-after-first");
      co_await graceful_close(stream);
      co_return;
    }
    const auto next = co_await respond(stream, timer, buffer, req);
    if (next == after_reply::done || stopping_) co_return;
    if (next == after_reply::close) {
      co_await graceful_close(stream);
      co_return;
    }
  }
}

template <class Stream>
net::awaitable<after_reply> fixture_server::impl::respond(Stream& stream, net::steady_timer& timer,
                                                          beast::flat_buffer& buffer,
                                                          const request& req) {
  const auto [path, query] = split_target(req.target());
  record(req, path);
  const bool keep_alive = req.keep_alive();

  if (path == "/slow") {
    // Clamped so that absurd values cannot overflow the clock arithmetic.
    const auto ms = std::min<std::uint64_t>(query_u64(query, "ms", 0), 24 * 60 * 60 * 1000);
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(nothrow_awaitable);
    if (stopping_) co_return after_reply::done;
    co_return co_await send(stream, reply(200, "slow", keep_alive), req);
  }

  if (path == "/gate") {
    if (!co_await hold_at_gate(stream, buffer)) co_return after_reply::done;
    co_return co_await send(stream, reply(200, "released", keep_alive), req);
  }

  if (path == "/hang") {
    // Keep reading (and discarding) only to notice when the client goes away.
    std::array<char, 1024> sink;
    for (;;) {
      const auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), nothrow_awaitable);
      (void)n;
      if (ec || stopping_) co_return after_reply::done;
    }
  }

  if (path == "/api/v1/certificates/bulk-renew") {
    co_return co_await send(stream, bulk_renew(req, keep_alive), req);
  }

  if (path == "/early-hints") {
    // An informational response before the real one.
    if (!co_await write_all(stream, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"))
      co_return after_reply::done;
    co_return co_await send(stream, reply(200, "after hints", keep_alive), req);
  }

  if (path == "/chunk-ext") {
    // A chunk-size line that never ends: only a bounded client survives it.
    if (!co_await write_all(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;x="))
      co_return after_reply::done;
    const std::string filler(64 * 1024, 'a');
    for (int i = 0; i < 64 && !stopping_; ++i)
      if (!co_await write_all(stream, filler)) co_return after_reply::done;
    co_return after_reply::close;
  }

  if (path == "/redirect") {
    // /redirect?status=N&to=TARGET: TARGET is everything after "to=", unencoded.
    reply r(static_cast<unsigned>(query_u64(query, "status", 302)), "moved", keep_alive);
    const auto to = query.find("to=");
    r.extra_headers =
        "Location: " + std::string(to == std::string_view::npos ? "/" : query.substr(to + 3)) +
        "\r\n";
    co_return co_await send(stream, r, req);
  }

  if (path == "/close") {
    co_return co_await send(stream, reply(200, "bye", false), req);
  }

  if (path == "/reset") {
    if (co_await write_all(stream, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n")) {
      abort_with_rst(stream);
    }
    co_return after_reply::done;
  }

  if (path == "/truncate") {
    const std::string partial =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n" +
        std::string(10, 't');
    if (!co_await write_all(stream, partial)) co_return after_reply::done;
    co_return after_reply::close;
  }

  if (path == "/bytes") {
    co_return co_await send_bytes(stream, query_u64(query, "n", 0), req);
  }

  if (path == "/echo") {
    reply r(200, req.body(), keep_alive);
    r.content_type = std::string(req[http::field::content_type]);
    co_return co_await send(stream, r, req);
  }

  if (path == "/cookies") {
    // Each X-Set-Cookie request header comes back as a Set-Cookie; the body is the
    // request's Cookie header.
    reply r(200, std::string(req[http::field::cookie]), keep_alive);
    for (const auto& field : req)
      if (beast::iequals(field.name_string(), "X-Set-Cookie"))
        r.extra_headers += "Set-Cookie: " + std::string(field.value()) + "\r\n";
    co_return co_await send(stream, r, req);
  }

  if (path == "/headers") {
    reply r(200, "ok", keep_alive);
    const std::string value(100, 'h');
    const auto n = query_u64(query, "n", 0);
    for (std::uint64_t i = 0; i < n; ++i) {
      r.extra_headers += "X-Fill-" + std::to_string(i) + ": " + value + "\r\n";
    }
    co_return co_await send(stream, r, req);
  }

  constexpr std::string_view status_prefix = "/status/";
  if (path.substr(0, status_prefix.size()) == status_prefix) {
    const auto code = parse_u64(path.substr(status_prefix.size()));
    if (code && *code >= 200 && *code <= 599) {
      const auto status = static_cast<unsigned>(*code);
      co_return co_await send(stream, reply(status, "status " + std::to_string(status), keep_alive),
                              req);
    }
    co_return co_await send(stream, reply(400, "bad status", keep_alive), req);
  }

  co_return co_await send(stream, reply(200, "ok", keep_alive), req);
}

// Holds a /gate request until release or shutdown; false means the connection should end. The
// connection is read meanwhile so that a client giving up no longer counts as waiting.
template <class Stream>
net::awaitable<bool> fixture_server::impl::hold_at_gate(Stream& stream,
                                                        beast::flat_buffer& buffer) {
  std::unique_lock lock(gate_mu_);
  if (gate_open_) co_return true;
  ++gate_waiting_;
  gate_cv_.notify_all();
  lock.unlock();

  gate_watch watch(ioc_);
  net::co_spawn(ioc_, watch_held_client(stream, buffer, watch), [](std::exception_ptr) {});
  for (;;) {
    // Woken by release_gate(), shutdown, a departing client, or another request's wake-up.
    co_await gate_timer_.async_wait(nothrow_awaitable);
    lock.lock();
    if (gate_open_ || stopping_ || watch.client_gone) break;
    lock.unlock();
  }
  --gate_waiting_;
  gate_cv_.notify_all();
  lock.unlock();

  // The watcher's read must be over before anything else touches the stream or the buffer.
  if (!watch.finished) {
    watch.stop_requested = true;
    beast::error_code ec;
    beast::get_lowest_layer(stream).socket().cancel(ec);
    while (!watch.finished)
      co_await watch.finished_signal.async_wait(nothrow_awaitable);
  }
  co_return !watch.client_gone && !stopping_;
}

template <class Stream>
net::awaitable<void> fixture_server::impl::watch_held_client(Stream& stream,
                                                             beast::flat_buffer& buffer,
                                                             gate_watch& watch) {
  // Bytes that arrive meanwhile (a pipelined request) are kept in the connection's buffer.
  constexpr std::size_t max_buffered = 1u << 20;
  while (!watch.stop_requested && buffer.size() < max_buffered) {
    const auto [ec, n] =
        co_await stream.async_read_some(buffer.prepare(64 * 1024), nothrow_awaitable);
    buffer.commit(n);
    if (ec) {
      watch.client_gone = !watch.stop_requested;
      break;
    }
  }
  watch.finished = true;
  watch.finished_signal.cancel();
  // Wakes the held request (and, harmlessly, every other one) to notice the departure.
  if (watch.client_gone) gate_timer_.cancel();
}

template <class Stream>
net::awaitable<after_reply> fixture_server::impl::send(Stream& stream, const reply& r,
                                                       const request& req) {
  const bool with_body = status_has_body(r.status) && req.method() != http::verb::head;
  std::string message = response_head(r, r.body.size(), req.version());
  if (with_body) message += r.body;
  if (!co_await write_all(stream, message)) co_return after_reply::done;
  co_return r.keep_alive ? after_reply::keep_alive : after_reply::close;
}

template <class Stream>
net::awaitable<after_reply> fixture_server::impl::send_bytes(Stream& stream, std::uint64_t n,
                                                             const request& req) {
  reply r(200, {}, req.keep_alive());
  r.content_type = "application/octet-stream";
  const std::string head = response_head(r, n, req.version());
  const std::string& chunk = filler_chunk();
  std::uint64_t remaining = req.method() == http::verb::head ? 0 : n;

  // The head shares the first write with the first piece of body to save a round of syscalls.
  auto piece = std::min<std::uint64_t>(remaining, chunk.size());
  const std::array<net::const_buffer, 2> first{net::buffer(head), net::buffer(chunk.data(), piece)};
  {
    const auto [ec, written] = co_await net::async_write(stream, first, nothrow_awaitable);
    (void)written;
    if (ec) co_return after_reply::done;
  }
  remaining -= piece;
  while (remaining > 0) {
    if (stopping_) co_return after_reply::done;
    piece = std::min<std::uint64_t>(remaining, chunk.size());
    const auto [ec, written] =
        co_await net::async_write(stream, net::buffer(chunk.data(), piece), nothrow_awaitable);
    (void)written;
    if (ec) co_return after_reply::done;
    remaining -= piece;
  }
  co_return r.keep_alive ? after_reply::keep_alive : after_reply::close;
}

template <class Stream>
net::awaitable<void> fixture_server::impl::graceful_close(Stream& stream) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::error_code ec;
  lowest.expires_after(graceful_close_timeout);
  if constexpr (is_tls_v<Stream>) {
    // Sends close_notify, then waits for the peer's close_notify or its FIN.
    co_await stream.async_shutdown(nothrow_awaitable);
  } else {
    // Send FIN, then drain until the peer closes: closing with unread input would send RST.
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 1024> sink;
    for (;;) {
      const auto [read_ec, n] =
          co_await lowest.async_read_some(net::buffer(sink), nothrow_awaitable);
      (void)n;
      if (read_ec || stopping_) break;
    }
  }
  lowest.socket().close(ec);
}

// -----------------------------------------------------------------------------------------------

fixture_server::fixture_server(fixture_options opts) : impl_(std::make_unique<impl>(opts)) {}

fixture_server::~fixture_server() = default;

std::uint16_t fixture_server::port() const {
  return impl_->port_;
}

std::string fixture_server::url(std::string_view path_and_query) const {
  std::string out = impl_->opts_.tls ? "https://127.0.0.1:" : "http://127.0.0.1:";
  out += std::to_string(impl_->port_);
  if (path_and_query.empty() || path_and_query.front() != '/') out += '/';
  out.append(path_and_query.data(), path_and_query.size());
  return out;
}

std::string fixture_server::ca_pem_path() const {
  return impl_->ca_path_;
}

std::uint64_t fixture_server::requests() const {
  return impl_->requests_.load();
}

std::uint64_t fixture_server::connections() const {
  return impl_->connections_.load();
}

std::uint64_t fixture_server::requests_at(std::string_view path) const {
  std::lock_guard lock(impl_->stats_mu_);
  const auto it = impl_->per_path_.find(path);
  return it == impl_->per_path_.end() ? 0 : it->second;
}

std::string fixture_server::last_request_header(std::string_view name) const {
  std::lock_guard lock(impl_->stats_mu_);
  const auto it = impl_->last_headers_.find(name);
  return it == impl_->last_headers_.end() ? std::string() : std::string(it->value());
}

std::string fixture_server::last_request_body() const {
  std::lock_guard lock(impl_->stats_mu_);
  return impl_->last_body_;
}

void fixture_server::release_gate() {
  {
    std::lock_guard lock(impl_->gate_mu_);
    impl_->gate_open_ = true;
  }
  // The timer belongs to the server thread, so the wake-up is posted there.
  net::post(impl_->ioc_, [i = impl_.get()] { i->gate_timer_.cancel(); });
}

std::uint64_t fixture_server::waiting_at_gate() const {
  std::lock_guard lock(impl_->gate_mu_);
  return impl_->gate_waiting_;
}

bool fixture_server::wait_for_gate(std::uint64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->gate_mu_);
  return impl_->gate_cv_.wait_for(lock, timeout, [&] { return impl_->gate_waiting_ >= n; });
}

std::uint64_t fixture_server::tls_handshakes() const {
  return impl_->tls_handshakes_.load();
}

std::uint64_t fixture_server::tls_resumed_handshakes() const {
  return impl_->tls_resumed_.load();
}

}  // namespace pacer_test
