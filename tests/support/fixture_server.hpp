// In-process HTTP(S) server for integration tests.
//
// The server runs on its own thread and io_context, bound to 127.0.0.1 on an ephemeral port. Its
// behaviour is selected by the request path (see fixture_server.cpp for the full list). This
// header deliberately avoids networking includes so test translation units stay cheap to compile.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pacer_test {

struct fixture_options {
  bool tls = false;
};

class fixture_server {
 public:
  // Binds and listens before returning, so port() is immediately connectable.
  explicit fixture_server(fixture_options opts = {});
  // Closes the listener and every live connection, then joins the server thread. Held /gate and
  // /hang requests do not delay this.
  ~fixture_server();

  fixture_server(const fixture_server&) = delete;
  fixture_server& operator=(const fixture_server&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:PORT/..." or "https://127.0.0.1:PORT/...".
  std::string url(std::string_view path_and_query = "/") const;
  // TLS only: PEM file holding the self-signed certificate, usable as a trust anchor. The file
  // lives in a temporary directory removed on destruction. Empty without TLS.
  std::string ca_pem_path() const;

  // Complete requests received on any path.
  std::uint64_t requests() const;
  // TCP connections accepted, including ones whose TLS handshake later failed.
  std::uint64_t connections() const;
  // Complete requests received whose path (query excluded) equals `path`.
  std::uint64_t requests_at(std::string_view path) const;
  // Header value from the most recent complete request, "" if absent. Case-insensitive name.
  std::string last_request_header(std::string_view name) const;
  std::string last_request_body() const;

  // Answers every request held at /gate, and every later one immediately, with 200 "released".
  void release_gate();
  // Requests currently held at /gate.
  std::uint64_t waiting_at_gate() const;
  // Waits until waiting_at_gate() >= n or the timeout passes; returns whether it was reached.
  bool wait_for_gate(std::uint64_t n, std::chrono::milliseconds timeout) const;

  // Successful TLS handshakes, and those among them that resumed an earlier session.
  std::uint64_t tls_handshakes() const;
  std::uint64_t tls_resumed_handshakes() const;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pacer_test
