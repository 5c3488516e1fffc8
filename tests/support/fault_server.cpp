// Implementation of the fault-injecting test server (see fault_server.hpp for the faults).
//
// Everything runs as coroutines on one thread. A connection's coroutine reads one request head
// and then misbehaves; those that do not end the connection themselves wait for the client to
// close it. Shutdown closes the listener and every live socket and cancels every timer, so all
// pending operations finish promptly and the thread's run() returns on its own.
#include "fault_server.hpp"
#include "live_connections.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdlib.h>  // mkdtemp

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <list>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

namespace pacer_test {

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// Errors are returned as values so that no exception unwinds through a handler.
constexpr auto nothrow_awaitable = net::as_tuple(net::use_awaitable);

// ---------------------------------------------------------------------------------------------
// Certificates: self-signed (CA:TRUE, so a client can trust the same PEM) with a chosen name
// and validity window.

struct openssl_free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
template <class T>
using openssl_ptr = std::unique_ptr<T, openssl_free>;

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("fault_server: ") + what + " failed");
}

std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

struct identity {
  std::string cert_pem, key_pem;
};

// `san` in OpenSSL's syntax ("DNS:other.example", "IP:127.0.0.1"); validity in seconds from now.
identity make_identity(const char* common_name, const char* san, long not_before, long not_after) {
  openssl_ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  require(key != nullptr, "EC key generation");
  openssl_ptr<X509> cert(X509_new());
  require(cert != nullptr, "X509_new");
  X509* c = cert.get();
  require(X509_set_version(c, 2) == 1, "X509_set_version");
  require(ASN1_INTEGER_set(X509_get_serialNumber(c), 1) == 1, "serial");
  require(X509_gmtime_adj(X509_getm_notBefore(c), not_before) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(c), not_after) != nullptr, "notAfter");
  require(X509_set_pubkey(c, key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(c);
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                     0) == 1,
          "subject");
  require(X509_set_issuer_name(c, name) == 1, "issuer");
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, c, c, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,digitalSignature,keyCertSign"},
                            std::pair{NID_subject_alt_name, san}}) {
    openssl_ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
    require(ext && X509_add_ext(c, ext.get(), -1) == 1, "X509_add_ext");
  }
  require(X509_sign(c, key.get(), EVP_sha256()) > 0, "X509_sign");
  openssl_ptr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  openssl_ptr<BIO> key_bio(BIO_new(BIO_s_mem()));
  require(cert_bio && PEM_write_bio_X509(cert_bio.get(), c) == 1, "PEM_write_bio_X509");
  require(key_bio && PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0,
                                              nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  return {pem_of(cert_bio.get()), pem_of(key_bio.get())};
}

// ---------------------------------------------------------------------------------------------
// Wire helpers

net::awaitable<bool> write_all(tcp::socket& s, std::string_view data) {
  const auto [ec, n] = co_await net::async_write(s, net::buffer(data), nothrow_awaitable);
  (void)n;
  co_return !ec;
}

// Reads until the client closes (or shutdown closes the socket): closing with unread input
// would send an RST the fault does not call for.
net::awaitable<void> drain(tcp::socket& s) {
  std::array<char, 4096> sink;
  for (;;) {
    const auto [ec, n] = co_await s.async_read_some(net::buffer(sink), nothrow_awaitable);
    (void)n;
    if (ec) co_return;
  }
}

// FIN now, then wait for the client's.
net::awaitable<void> close_gracefully(tcp::socket& s) {
  boost::system::error_code ignored;
  s.shutdown(tcp::socket::shutdown_send, ignored);
  co_await drain(s);
}

void reset(tcp::socket& s) {
  boost::system::error_code ignored;
  s.set_option(net::socket_base::linger(true, 0), ignored);  // close() sends RST
  s.close(ignored);
}

constexpr std::string_view ok_response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

std::string huge_head() {
  std::string head = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 200; ++i)
    head += "X-Fill-" + std::to_string(1000 + i) + ": " + std::string(88, 'h') + "\r\n";
  return head + "Content-Length: 2\r\n\r\nok";
}

}  // namespace

class fault_server::impl {
 public:
  impl(fault mode, fault_options opts);
  ~impl();

  fault mode_;
  fault_options opts_;
  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  tcp::acceptor acceptor_{ioc_};
  net::steady_timer restart_timer_{ioc_};
  std::optional<ssl::context> tls_ctx_;
  std::filesystem::path temp_dir_;
  std::string ca_path_;
  std::uint16_t port_ = 0;
  bool stopping_ = false;  // server thread only
  bool went_down_ = false;
  std::list<live_connection> live_;  // server thread only

  std::atomic<std::uint64_t> connections_{0}, requests_{0}, requests_after_restart_{0};
  std::atomic<bool> restarted_{false};
  std::thread thread_;

  void listen(bool reuse_address);
  void go_down();
  void shutdown_all();
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(tcp::socket s);
  net::awaitable<bool> read_head(tcp::socket& s, std::string& buf);
  net::awaitable<void> misbehave(tcp::socket& s, net::steady_timer& timer);
  net::awaitable<void> serve_tls(tcp::socket& s);
};

namespace {

bool is_tls(fault f) {
  return f == fault::tls_wrong_name || f == fault::tls_expired;
}

}  // namespace

fault_server::impl::impl(fault mode, fault_options opts) : mode_(mode), opts_(opts) {
  if (is_tls(mode_)) {
    constexpr long day = 24 * 60 * 60;
    const identity id = mode_ == fault::tls_wrong_name
                            ? make_identity("other.example", "DNS:other.example", -3600, 365 * day)
                            : make_identity("127.0.0.1", "IP:127.0.0.1", -2 * day, -day);
    tls_ctx_.emplace(ssl::context::tls_server);
    tls_ctx_->use_certificate_chain(net::buffer(id.cert_pem));
    tls_ctx_->use_private_key(net::buffer(id.key_pem), ssl::context::pem);
    std::string dir = (std::filesystem::temp_directory_path() / "pacer-fault-XXXXXX").string();
    require(mkdtemp(dir.data()) != nullptr, "mkdtemp");
    temp_dir_ = dir;
    ca_path_ = (temp_dir_ / "ca.pem").string();
    std::ofstream(ca_path_, std::ios::binary) << id.cert_pem;
  }
  listen(false);
  thread_ = std::thread([this] { ioc_.run(); });
}

fault_server::impl::~impl() {
  net::post(ioc_, [this] { shutdown_all(); });
  thread_.join();
  std::error_code ignored;
  if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ignored);
}

void fault_server::impl::listen(bool reuse_address) {
  const tcp::endpoint ep(net::ip::make_address_v4("127.0.0.1"), port_);
  acceptor_.open(ep.protocol());
  // Coming back on the same port must not wait for the old connections' TIME_WAIT.
  acceptor_.set_option(net::socket_base::reuse_address(reuse_address));
  acceptor_.bind(ep);
  if (port_ == 0) port_ = acceptor_.local_endpoint().port();  // read by the test thread
  // A bound socket that does not listen answers every SYN with an RST, and keeps the port
  // reserved (no client socket can take it as its own port and connect to itself).
  if (mode_ == fault::refuse) return;
  acceptor_.listen();
  net::co_spawn(ioc_, accept_loop(), net::detached);
}

net::awaitable<void> fault_server::impl::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(nothrow_awaitable);
    if (ec || stopping_) co_return;  // closed by go_down() or shutdown
    ++connections_;
    net::co_spawn(ioc_, serve(std::move(socket)), net::detached);
  }
}

// flap: closes the listener and every connection, then listens again on the same port.
void fault_server::impl::go_down() {
  went_down_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& c : live_)
    c.socket->close(ignored);
  restart_timer_.expires_after(opts_.down_for);
  restart_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    listen(true);
    restarted_ = true;
  });
}

void fault_server::impl::shutdown_all() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  restart_timer_.cancel();
  for (const auto& c : live_) {
    c.timer->cancel();
    c.socket->close(ignored);
  }
  work_.reset();
}

net::awaitable<void> fault_server::impl::serve(tcp::socket s) {
  net::steady_timer timer(ioc_);
  live_registration registration(live_, s, timer);
  if (stopping_) co_return;
  if (tls_ctx_) {
    co_await serve_tls(s);
  } else {
    co_await misbehave(s, timer);
  }
}

net::awaitable<bool> fault_server::impl::read_head(tcp::socket& s, std::string& buf) {
  const auto [ec, n] =
      co_await net::async_read_until(s, net::dynamic_buffer(buf), "\r\n\r\n", nothrow_awaitable);
  if (ec || stopping_) co_return false;
  buf.erase(0, n);  // the requests are GETs: nothing follows the head
  ++requests_;
  if (restarted_) ++requests_after_restart_;
  co_return true;
}

net::awaitable<void> fault_server::impl::misbehave(tcp::socket& s, net::steady_timer& timer) {
  std::string buf;
  if (mode_ == fault::close_at_once) {
    co_await close_gracefully(s);
    co_return;
  }
  if (mode_ == fault::plain_on_tls_port) {
    // The ClientHello is no HTTP request: answer as a plain server does, then close.
    std::array<char, 4096> hello;
    const auto [ec, n] = co_await s.async_read_some(net::buffer(hello), nothrow_awaitable);
    (void)n;
    if (ec) co_return;
    if (co_await write_all(s,
                           "HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n"
                           "Connection: close\r\n\r\nBad Request"))
      co_await close_gracefully(s);
    co_return;
  }
  if (!co_await read_head(s, buf)) co_return;
  switch (mode_) {
    case fault::reset_in_headers:
      if (co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Type: text/pl")) reset(s);
      co_return;
    case fault::reset_in_body:
      if (co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nbbbbbbbbbb"))
        reset(s);
      co_return;
    case fault::malformed_status:
      if (co_await write_all(s, "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok"))
        co_await drain(s);
      co_return;
    case fault::bad_chunked:
      if (co_await write_all(s,
                             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "zz\r\nok\r\n0\r\n\r\n"))
        co_await drain(s);
      co_return;
    case fault::short_body:
      if (co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nssssssssss"))
        co_await close_gracefully(s);
      co_return;
    case fault::huge_headers:
      if (co_await write_all(s, huge_head())) co_await drain(s);
      co_return;
    case fault::huge_body: {
      const std::string body(1u << 20, 'x');
      if (co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: " +
                                    std::to_string(body.size()) + "\r\n\r\n" + body))
        co_await drain(s);
      co_return;
    }
    case fault::late_answer: {
      timer.expires_after(3s);
      const auto [ec] = co_await timer.async_wait(nothrow_awaitable);
      if (!ec && !stopping_ && co_await write_all(s, ok_response)) co_await drain(s);
      co_return;
    }
    case fault::trickle:
      for (char c : ok_response) {
        if (!co_await write_all(s, std::string_view(&c, 1))) co_return;
        timer.expires_after(1s);
        const auto [ec] = co_await timer.async_wait(nothrow_awaitable);
        if (ec || stopping_) co_return;
      }
      co_await drain(s);
      co_return;
    case fault::flap:
      // Keep-alive: answers until the `flap_after`th request, after which it goes down.
      for (;;) {
        if (!co_await write_all(s, ok_response)) co_return;
        if (!went_down_ && requests_ >= opts_.flap_after) {
          go_down();
          co_return;
        }
        if (!co_await read_head(s, buf)) co_return;
      }
    default:
      co_return;
  }
}

// Only the handshake matters: the client is expected to refuse the certificate. Should it not,
// the request is answered, and the test sees a success it did not expect.
net::awaitable<void> fault_server::impl::serve_tls(tcp::socket& s) {
  ssl::stream<tcp::socket&> tls(s, *tls_ctx_);
  const auto [ec] = co_await tls.async_handshake(ssl::stream_base::server, nothrow_awaitable);
  if (ec || stopping_) co_return;
  std::string buf;
  const auto [read_ec, n] =
      co_await net::async_read_until(tls, net::dynamic_buffer(buf), "\r\n\r\n", nothrow_awaitable);
  (void)n;
  if (read_ec || stopping_) co_return;
  ++requests_;
  co_await net::async_write(tls, net::buffer(ok_response), nothrow_awaitable);
}

// -----------------------------------------------------------------------------------------------

fault_server::fault_server(fault mode, fault_options opts)
    : impl_(std::make_unique<impl>(mode, opts)) {}

fault_server::~fault_server() = default;

std::uint16_t fault_server::port() const {
  return impl_->port_;
}

std::string fault_server::url() const {
  const bool tls = is_tls(impl_->mode_) || impl_->mode_ == fault::plain_on_tls_port;
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(impl_->port_) + "/";
}

std::string fault_server::ca_pem_path() const {
  return impl_->ca_path_;
}

std::uint64_t fault_server::connections() const {
  return impl_->connections_.load();
}

std::uint64_t fault_server::requests() const {
  return impl_->requests_.load();
}

std::uint64_t fault_server::requests_after_restart() const {
  return impl_->requests_after_restart_.load();
}

bool fault_server::restarted() const {
  return impl_->restarted_.load();
}

}  // namespace pacer_test
