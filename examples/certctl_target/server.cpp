#include "certctl_target/server.hpp"

#include "certctl_target/api.hpp"
#include "certctl_target/scheduler.hpp"
#include "certctl_target/sqlite.hpp"
#include "certctl_target/tls_identity.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/rand.h>

#include <cstdio>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

namespace certctl_target {

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

constexpr auto handshake_timeout = std::chrono::seconds(10);
constexpr auto idle_timeout = std::chrono::seconds(60);
constexpr auto write_timeout = std::chrono::seconds(30);
constexpr auto close_timeout = std::chrono::seconds(1);
// A certificate_ids list of 100,000 IDs fits; more is refused with 413.
constexpr std::uint64_t body_limit = 8u << 20;

std::string random_hex(std::size_t bytes) {
  unsigned char raw[16] = {};
  RAND_bytes(raw, static_cast<int>(bytes));
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", raw[i]);
    out += pair;
  }
  return out;
}

// A client's own X-Request-ID is echoed when it is short and printable, as certctl does.
bool usable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c <= ' ' || c > '~') return false;
  return true;
}

unsigned worker_count(unsigned wanted) {
  return wanted != 0 ? wanted : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

std::filesystem::path cert_file_for(const std::filesystem::path& db) {
  return db.string() + ".cert.pem";
}

std::filesystem::path key_file_for(const std::filesystem::path& db) {
  return db.string() + ".key.pem";
}

class server::impl {
 public:
  explicit impl(config c);
  ~impl() { stop(); }

  void stop();

  config cfg_;
  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer accept_backoff_{ioc_};
  net::steady_timer grace_timer_{ioc_};
  std::uint16_t port_ = 0;

  std::unique_ptr<store> store_;
  seed_report seeded_;
  bool created_cert_ = false;
  std::optional<ssl::context> tls_;
  std::unique_ptr<scheduler> scheduler_;
  std::unique_ptr<api> api_;
  net::thread_pool workers_;

  // Touched on the network thread only.
  struct live_connection {
    tcp::socket* socket;
    bool busy;  // between reading a request's header and writing its response
  };
  std::list<live_connection> live_;
  bool stopping_ = false;
  std::string request_id_prefix_ = "req-" + random_hex(4) + "-";
  std::uint64_t requests_ = 0;

  std::mutex stop_mu_;
  bool stopped_ = false;
  std::thread io_thread_;

 private:
  void begin_shutdown();
  net::awaitable<void> accept_loop();
  template <class Stream>
  net::awaitable<void> serve(tcp::socket socket);
  template <class Stream>
  net::awaitable<void> session(Stream& stream, live_connection& self);
  template <class Stream>
  net::awaitable<void> graceful_close(Stream& stream);
};

server::impl::impl(config c) : cfg_(std::move(c)), workers_(worker_count(cfg_.threads)) {
  // Listen first: a port mistake should not leave a new database behind.
  const tcp::endpoint endpoint(net::ip::make_address_v4("127.0.0.1"), cfg_.port);
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec == net::error::address_in_use)
    throw startup_error("--port " + std::to_string(cfg_.port) +
                        ": address already in use on 127.0.0.1 (expected a free port, or 0 to "
                        "pick one)");
  if (ec)
    throw startup_error("--port " + std::to_string(cfg_.port) + ": cannot listen on 127.0.0.1 (" +
                        ec.message() + ")");
  port_ = acceptor_.local_endpoint().port();

  try {
    store_ = std::make_unique<store>(cfg_.db);
    seeded_ = store_->seed_if_empty(cfg_.seed);
  } catch (const sql::sqlite_error& e) {
    throw startup_error("--db " + cfg_.db.string() + ": " + e.what() +
                        " (expected a SQLite database path in a writable directory)");
  }
  if (!cfg_.plain_http) {
    try {
      const auto identity = load_or_create_identity(cert_file_for(cfg_.db), key_file_for(cfg_.db));
      created_cert_ = identity.created;
      tls_.emplace(make_tls_server_context(identity, "certctl-target"));
    } catch (const std::exception& e) {
      throw startup_error(std::string("TLS certificate: ") + e.what());
    }
  }
  scheduler_ =
      std::make_unique<scheduler>(*store_, cfg_.scheduler_concurrency, cfg_.scheduler_tick);
  api_ = std::make_unique<api>(*store_, cfg_.token, [s = scheduler_.get()] { s->wake(); });

  net::co_spawn(ioc_, accept_loop(), net::detached);
  io_thread_ = std::thread([this] {
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

void server::impl::stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (io_thread_.joinable()) {
    net::post(ioc_, [this] { begin_shutdown(); });
    io_thread_.join();
  }
  // Every request has been answered (or its connection closed): no database work is queued.
  workers_.join();
  if (scheduler_) scheduler_->stop();
  api_.reset();
  scheduler_.reset();
  store_.reset();  // closes the database; every committed transaction is in the file
}

void server::impl::begin_shutdown() {
  stopping_ = true;
  beast::error_code ec;
  acceptor_.close(ec);
  accept_backoff_.cancel();
  // Idle connections go now; busy ones close after their response (sent with Connection: close).
  for (auto& c : live_)
    if (!c.busy) c.socket->close(ec);
  if (!live_.empty()) {
    grace_timer_.expires_after(cfg_.shutdown_grace);
    grace_timer_.async_wait([this](beast::error_code wait_ec) {
      if (wait_ec) return;
      beast::error_code ignored;
      for (auto& c : live_)
        c.socket->close(ignored);
    });
  }
  // With the guard gone, run() returns once the last connection has finished.
  work_.reset();
}

net::awaitable<void> server::impl::accept_loop() {
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
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (tls_) {
      net::co_spawn(ioc_, serve<tls_stream>(std::move(socket)), net::detached);
    } else {
      net::co_spawn(ioc_, serve<plain_stream>(std::move(socket)), net::detached);
    }
  }
}

template <class Stream>
net::awaitable<void> server::impl::serve(tcp::socket socket) {
  try {
    std::optional<Stream> stream;
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      stream.emplace(std::move(socket), *tls_);
    } else {
      stream.emplace(std::move(socket));
    }
    auto it = live_.insert(live_.end(), {&beast::get_lowest_layer(*stream).socket(), false});
    struct unregister {
      impl& self;
      std::list<live_connection>::iterator it;
      ~unregister() {
        self.live_.erase(it);
        if (self.stopping_ && self.live_.empty()) self.grace_timer_.cancel();
      }
    } guard{*this, it};
    if (stopping_) co_return;
    co_await session(*stream, *it);
  } catch (...) {
  }
}

template <class Stream>
net::awaitable<void> server::impl::session(Stream& stream, live_connection& self) {
  auto& lowest = beast::get_lowest_layer(stream);
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    lowest.expires_after(handshake_timeout);
    const auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, nothrow_awaitable);
    if (ec) co_return;  // e.g. a client that does not trust the certificate
  }

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    lowest.expires_after(idle_timeout);
    {
      const auto [ec, n] =
          co_await http::async_read_header(stream, buffer, parser, nothrow_awaitable);
      (void)n;
      if (ec) co_return;  // closed, timed out, malformed, or shut down while idle
    }
    self.busy = true;
    bool body_too_large = false;
    if (!parser.is_done()) {
      const auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow_awaitable);
      (void)n;
      body_too_large = ec == http::error::body_limit;
      if (ec && !body_too_large) co_return;
    }
    const auto& req = parser.get();

    const std::string_view given_id = req["X-Request-ID"];
    const std::string request_id = usable_request_id(given_id)
                                       ? std::string(given_id)
                                       : request_id_prefix_ + std::to_string(++requests_);
    api_reply reply;
    if (body_too_large) {
      reply = error_reply(413, "request body over 8 MiB", request_id);
    } else {
      const api_request in{req.method_string(), req.target(), req[http::field::authorization],
                           req.body(), request_id};
      try {
        // The database work runs on a worker; this coroutine resumes on the network thread.
        reply = co_await net::co_spawn(
            workers_, [&]() -> net::awaitable<api_reply> { co_return api_->handle(in); },
            net::use_awaitable);
      } catch (const std::exception& e) {
        reply = error_reply(500, e.what(), request_id);
      }
    }

    const bool keep_alive = req.keep_alive() && !stopping_ && !body_too_large;
    http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
    res.set(http::field::server, "certctl-target");
    res.set(http::field::content_type, "application/json");
    res.set("X-Request-ID", request_id);
    if (!reply.allow.empty()) res.set(http::field::allow, reply.allow);
    res.keep_alive(keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    lowest.expires_after(write_timeout);
    const auto [ec, n] = co_await http::async_write(stream, res, nothrow_awaitable);
    (void)n;
    self.busy = false;
    if (ec) co_return;
    if (!keep_alive) {
      co_await graceful_close(stream);
      co_return;
    }
  }
}

template <class Stream>
net::awaitable<void> server::impl::graceful_close(Stream& stream) {
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(close_timeout);
  beast::error_code ec;
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    co_await stream.async_shutdown(nothrow_awaitable);
  } else {
    // Send FIN and wait for the peer's: closing with unread input would send RST instead.
    lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
    char sink[512];
    for (;;) {
      const auto [read_ec, n] =
          co_await lowest.async_read_some(net::buffer(sink), nothrow_awaitable);
      (void)n;
      if (read_ec) break;
    }
  }
  lowest.socket().close(ec);
}

server::server(config c) : impl_(std::make_unique<impl>(std::move(c))) {}

server::~server() = default;

std::uint16_t server::port() const {
  return impl_->port_;
}

std::string server::url() const {
  return (impl_->cfg_.plain_http ? "http://127.0.0.1:" : "https://127.0.0.1:") +
         std::to_string(impl_->port_);
}

std::filesystem::path server::cert_file() const {
  return cert_file_for(impl_->cfg_.db);
}

const seed_report& server::seeded() const {
  return impl_->seeded_;
}

bool server::created_certificate() const {
  return impl_->created_cert_;
}

bool server::wait_until_drained(std::chrono::milliseconds timeout) {
  return impl_->scheduler_ && impl_->scheduler_->wait_until_drained(timeout);
}

void server::stop() {
  impl_->stop();
}

}  // namespace certctl_target
