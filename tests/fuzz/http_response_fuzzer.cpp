// Fuzzes the HTTP response path. A loopback server in this process answers every request
// with the input bytes and then closes; the client is the connection class the engine's VUs
// use, driven on one io_context as a shard drives it. (A whole pacer::run waits for its
// one-second schedule, so it would manage about one input a second.)
//
// Each input is answered twice: a GET on a new connection, then a HEAD on the same connection,
// which is reused when the first response was kept alive (the server has closed it by then,
// so the client must retry on a new one). Every exchange must end exactly once, either with a
// status or with a k6 error code, within the server's single answer; a Location header must
// never put anything but one request line into the next hop's request.

#include <pacer/check/predicates.hpp>
#include <pacer/http/connection.hpp>
#include <pacer/http/request.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using pacer::http::detail::connection;
using namespace std::chrono_literals;

// Tiny limits keep every input fast and let the fuzzer reach them.
constexpr pacer::http::response_limits limits{.header_bytes = 512, .body_bytes = 1024};
// The server always closes, so an exchange that has not ended by then never would.
constexpr auto exchange_bound = 2s;

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "http_response_fuzzer: %s\n", what);
  std::abort();
}

// Reads a request up to its blank line (ours have no body), answers with the current input,
// then closes.
class server {
 public:
  explicit server(asio::io_context& ioc)
      : acceptor_(ioc, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    accept();
  }
  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  void answer_with(std::string_view bytes) { answer_ = bytes; }
  int open_sessions() const noexcept { return open_; }

 private:
  struct session {
    explicit session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::string request;
  };

  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) serve(std::make_shared<session>(std::move(s)));
      accept();
    });
  }
  void serve(const std::shared_ptr<session>& s) {
    ++open_;
    auto request = asio::dynamic_buffer(s->request, 64 * 1024);
    auto on_request = [this, s](boost::system::error_code ec, std::size_t) {
      if (ec) return finish(*s);
      answer(s);
    };
    asio::async_read_until(s->socket, request, "\r\n\r\n", on_request);
  }
  void answer(const std::shared_ptr<session>& s) {
    auto on_written = [this, s](boost::system::error_code, std::size_t) { finish(*s); };
    asio::async_write(s->socket, asio::buffer(answer_), on_written);
  }
  void finish(session& s) {
    boost::system::error_code ignored;
    s.socket.shutdown(tcp::socket::shutdown_send, ignored);
    s.socket.close(ignored);
    --open_;
  }

  tcp::acceptor acceptor_;
  std::string_view answer_;
  int open_ = 0;
};

struct tally final : connection::listener {
  int done = 0;
  void on_exchange_done() override { ++done; }
};

struct fixture {
  asio::io_context ioc{1};
  server srv{ioc};
  std::vector<tcp::endpoint> endpoints{srv.endpoint()};
  std::string base = "http://127.0.0.1:" + std::to_string(srv.endpoint().port());
  pacer::http::request get = pacer::http::get(base + "/dir/page?q=1").timeout(exchange_bound);
  pacer::http::request head = pacer::http::head(base + "/dir/page?q=1").timeout(exchange_bound);
};

fixture& shared() {
  static fixture f;
  return f;
}

// What a check or a response hook may read must lie inside the connection's buffers.
void read_response(const connection& c, bool keep_body) {
  const pacer::http::response_view r = c.response();
  std::size_t total = 0;
  for (std::size_t i = 0; i < r.header_count(); ++i)
    total += r.header_name(i).size() + r.header_value(i).size();
  if (total > limits.header_bytes) finding("header fields larger than the header limit");
  if (r.body().size() > limits.body_bytes) finding("body larger than the body limit");
  if (!keep_body && !r.body().empty()) finding("body kept although not asked for");
  (void)pacer::header("Content-Type")(r);
  (void)pacer::body_contains("ok")(r);
  (void)pacer::json_at("/status")(r);
}

// What the engine does with a redirect: the next hop's request, from the Location header.
void follow(const pacer::http::request& req, const connection& c) {
  const int status = c.result().status;
  if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) return;
  std::string_view location;
  if (!c.response().header("Location", location)) return;
  pacer::http::url to;
  try {
    to = pacer::http::resolve_reference(req.target(), location);
  } catch (const pacer::config_error&) {
    return;
  }
  std::string wire;
  req.redirect_wire(to, status, wire);
  const std::string_view line = std::string_view(wire).substr(0, wire.find("\r\n"));
  std::size_t spaces = 0;
  for (char ch : line) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) finding("control character in a redirect's request line");
    spaces += ch == ' ';
  }
  if (spaces != 2) finding("a redirect's request line is not METHOD TARGET VERSION");
}

void exchange(fixture& f, connection& c, tally& t, const pacer::http::request& req,
              bool keep_body) {
  t.done = 0;
  c.start(req, keep_body);
  // Until the exchange has ended and the server has closed every connection it accepted.
  const auto bound = std::chrono::steady_clock::now() + exchange_bound;
  while (t.done == 0 || f.srv.open_sessions() > 0)
    if (f.ioc.run_one_until(bound) == 0 && std::chrono::steady_clock::now() >= bound)
      finding("the exchange or the server's answer did not end in time");
  f.ioc.poll();
  if (t.done != 1) finding("an exchange ended more than once");
  if (c.busy()) finding("the connection is busy after its exchange ended");

  const pacer::http::exchange_result& r = c.result();
  if (r.cancelled) finding("an exchange ended as cancelled");
  if (r.blocked < 0ns || r.connecting < 0ns || r.sending < 0ns || r.waiting < 0ns ||
      r.receiving < 0ns)
    finding("a negative timing phase");
  if (r.error.code != 0) {
    if (r.status != 0) finding("a failed exchange has a status");
    if (r.error.code < 1000 || r.error.code >= 1400 ||
        r.error.code == pacer::http::error_code::request_timeout)
      finding("a failed exchange has an unexpected error code");
    if (r.error.message.empty()) finding("a failed exchange has no message");
    return;
  }
  if (r.status < 0 || r.status > 999) finding("a status outside 0..999");
  if (r.status >= 100 && r.status < 200 && r.status != 101)
    finding("an informational response was taken as the final one");
  read_response(c, keep_body);
  follow(req, c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Larger answers could fill the socket buffers of a kept-alive client that stopped reading.
  if (size > 64 * 1024) return 0;
  fixture& f = shared();
  f.srv.answer_with(std::string_view(reinterpret_cast<const char*>(data), size));
  tally t;
  {
    connection c(f.ioc, nullptr, &f.endpoints, pacer::http::failure{}, f.get.target(), limits, t);
    exchange(f, c, t, f.get, true);
    exchange(f, c, t, f.head, false);
  }
  f.ioc.poll();
  return 0;
}
