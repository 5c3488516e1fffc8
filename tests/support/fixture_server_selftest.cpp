// Tests of the fixture server itself, using small synchronous Beast clients.
#include "fixture_server.hpp"

#include <catch2/catch.hpp>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <future>
#include <string>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

tcp::endpoint endpoint_of(const pacer_test::fixture_server& server) {
  return {net::ip::make_address_v4("127.0.0.1"), server.port()};
}

template <class Stream>
http::response<http::string_body> exchange(Stream& stream, http::verb method,
                                           std::string_view target, std::string body = {}) {
  http::request<http::string_body> req{method, std::string(target), 11};
  req.set(http::field::host, "localhost");
  if (!body.empty()) {
    req.set(http::field::content_type, "text/x-test");
    req.body() = std::move(body);
  }
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  parser.header_limit(1u << 20);
  http::read(stream, buffer, parser);
  return parser.release();
}

// One request on a fresh connection.
http::response<http::string_body> fetch(const pacer_test::fixture_server& server,
                                        std::string_view target) {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(endpoint_of(server));
  return exchange(socket, http::verb::get, target);
}

ssl::context client_context(const pacer_test::fixture_server& server, bool trust_fixture) {
  ssl::context ctx(ssl::context::tls_client);
  if (trust_fixture) ctx.load_verify_file(server.ca_pem_path());
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

// A TLS client that trusts only the fixture's certificate (if asked) and checks the host name.
struct tls_client {
  net::io_context ioc;
  ssl::context ctx;
  ssl::stream<tcp::socket> stream;

  tls_client(const pacer_test::fixture_server& server, bool trust_fixture, SSL_SESSION* resume)
      : ctx(client_context(server, trust_fixture)), stream(ioc, ctx) {
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    stream.set_verify_callback(ssl::host_name_verification("localhost"));
    if (resume != nullptr) SSL_set_session(stream.native_handle(), resume);
    stream.next_layer().connect(endpoint_of(server));
  }
};

}  // namespace

TEST_CASE("fixture: plain responses", "[fixture]") {
  pacer_test::fixture_server server;
  CHECK(server.url("/x?y=1") == "http://127.0.0.1:" + std::to_string(server.port()) + "/x?y=1");
  CHECK(server.ca_pem_path().empty());

  const auto ok = fetch(server, "/");
  CHECK(ok.result_int() == 200);
  CHECK(ok.body() == "ok");

  const auto unavailable = fetch(server, "/status/503");
  CHECK(unavailable.result_int() == 503);
  CHECK(unavailable.body() == "status 503");

  CHECK(fetch(server, "/bytes?n=100000").body() == std::string(100000, 'x'));
  const auto headers = fetch(server, "/headers?n=3");
  CHECK(headers["X-Fill-2"] == std::string(100, 'h'));

  CHECK(server.requests() == 4);
  CHECK(server.requests_at("/status/503") == 1);
  CHECK(server.requests_at("/headers") == 1);
}

TEST_CASE("fixture: keep-alive counts one connection", "[fixture]") {
  pacer_test::fixture_server server;
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(endpoint_of(server));

  const auto echoed = exchange(socket, http::verb::post, "/echo?a=b", "hello");
  CHECK(echoed.body() == "hello");
  CHECK(echoed[http::field::content_type] == "text/x-test");
  CHECK(server.last_request_body() == "hello");
  CHECK(server.last_request_header("content-type") == "text/x-test");
  CHECK(server.last_request_header("X-Absent").empty());

  CHECK(exchange(socket, http::verb::get, "/").body() == "ok");
  CHECK(server.connections() == 1);
  CHECK(server.requests() == 2);
  CHECK(server.requests_at("/echo") == 1);
}

TEST_CASE("fixture: failure paths", "[fixture]") {
  pacer_test::fixture_server server;
  net::io_context ioc;

  SECTION("close") {
    tcp::socket socket(ioc);
    socket.connect(endpoint_of(server));
    const auto res = exchange(socket, http::verb::get, "/close");
    CHECK(res.body() == "bye");
    CHECK_FALSE(res.keep_alive());
    char byte;
    beast::error_code ec;
    socket.read_some(net::buffer(&byte, 1), ec);
    CHECK(ec == net::error::eof);
  }
  SECTION("truncate") {
    tcp::socket socket(ioc);
    socket.connect(endpoint_of(server));
    CHECK_THROWS_AS(exchange(socket, http::verb::get, "/truncate"), beast::system_error);
  }
  SECTION("reset") {
    tcp::socket socket(ioc);
    socket.connect(endpoint_of(server));
    CHECK_THROWS_AS(exchange(socket, http::verb::get, "/reset"), beast::system_error);
  }
  SECTION("overlapping slow requests") {
    const auto started = std::chrono::steady_clock::now();
    auto a = std::async(std::launch::async, [&] { return fetch(server, "/slow?ms=250").body(); });
    auto b = std::async(std::launch::async, [&] { return fetch(server, "/slow?ms=250").body(); });
    CHECK(a.get() == "slow");
    CHECK(b.get() == "slow");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(490));
  }
  CHECK(fetch(server, "/").body() == "ok");  // still serving
}

TEST_CASE("fixture: gate holds requests until released", "[fixture]") {
  pacer_test::fixture_server server;
  auto first = std::async(std::launch::async, [&] { return fetch(server, "/gate").body(); });
  auto second = std::async(std::launch::async, [&] { return fetch(server, "/gate").body(); });

  REQUIRE(server.wait_for_gate(2, std::chrono::seconds(5)));
  CHECK(server.waiting_at_gate() == 2);
  CHECK_FALSE(server.wait_for_gate(3, std::chrono::milliseconds(20)));
  CHECK(first.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);

  server.release_gate();
  CHECK(first.get() == "released");
  CHECK(second.get() == "released");
  CHECK(server.waiting_at_gate() == 0);
  CHECK(fetch(server, "/gate").body() == "released");
}

TEST_CASE("fixture: destruction does not wait for held or idle clients", "[fixture]") {
  net::io_context ioc;
  tcp::socket gated(ioc), hung(ioc), idle(ioc);
  const auto started = std::chrono::steady_clock::now();
  {
    pacer_test::fixture_server server;
    const auto send_get = [&](tcp::socket& s, std::string_view target) {
      s.connect(endpoint_of(server));
      http::request<http::empty_body> req{http::verb::get, std::string(target), 11};
      http::write(s, req);
    };
    send_get(gated, "/gate");
    send_get(hung, "/hang");
    idle.connect(endpoint_of(server));
    REQUIRE(server.wait_for_gate(1, std::chrono::seconds(5)));
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
  for (auto* s : {&gated, &hung, &idle}) {
    char byte;
    beast::error_code ec;
    s->read_some(net::buffer(&byte, 1), ec);
    CHECK(ec);  // the server closed its side
  }
}

TEST_CASE("fixture: TLS with its own trust anchor", "[fixture][tls]") {
  pacer_test::fixture_server server({.tls = true});
  CHECK(server.url("/") == "https://127.0.0.1:" + std::to_string(server.port()) + "/");
  REQUIRE_FALSE(server.ca_pem_path().empty());

  SSL_SESSION* session = nullptr;
  {
    tls_client client(server, true, nullptr);
    client.stream.handshake(ssl::stream_base::client);
    const auto res = exchange(client.stream, http::verb::get, "/status/201");
    CHECK(res.result_int() == 201);
    CHECK(res.body() == "status 201");
    session = SSL_get1_session(client.stream.native_handle());
    beast::error_code ec;
    client.stream.shutdown(ec);  // a clean shutdown keeps the session resumable
  }
  CHECK(server.tls_handshakes() == 1);
  CHECK(server.tls_resumed_handshakes() == 0);

  {
    tls_client client(server, true, session);
    client.stream.handshake(ssl::stream_base::client);
    CHECK(SSL_session_reused(client.stream.native_handle()) == 1);
    CHECK(exchange(client.stream, http::verb::get, "/").body() == "ok");
  }
  SSL_SESSION_free(session);
  CHECK(server.tls_handshakes() == 2);
  CHECK(server.tls_resumed_handshakes() == 1);

  {
    // A held request on a TLS connection, then another request on the same connection.
    tls_client client(server, true, nullptr);
    client.stream.handshake(ssl::stream_base::client);
    auto held = std::async(std::launch::async, [&] {
      return exchange(client.stream, http::verb::get, "/gate").body();
    });
    REQUIRE(server.wait_for_gate(1, std::chrono::seconds(5)));
    server.release_gate();
    CHECK(held.get() == "released");
    CHECK(exchange(client.stream, http::verb::get, "/").body() == "ok");
  }
  {
    tls_client untrusting(server, false, nullptr);
    CHECK_THROWS_AS(untrusting.stream.handshake(ssl::stream_base::client), beast::system_error);
  }
  tls_client client(server, true, nullptr);
  client.stream.handshake(ssl::stream_base::client);
  CHECK(exchange(client.stream, http::verb::get, "/").body() == "ok");
  CHECK(server.connections() == 5);
  CHECK(server.tls_handshakes() == 4);
}
