// A loopback server that misbehaves in one chosen way, for the fault-injection tests.
//
// Each server has one fault, applied to every connection (or, for `refuse`, to every
// connection attempt). It runs on its own thread, bound to 127.0.0.1 on an ephemeral port,
// and stops by itself on destruction: every socket is closed and every timer cancelled. Like
// fixture_server.hpp, this header has no networking includes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pacer_test {

enum class fault {
  refuse,             // the port is bound but never listens: every connect is refused
  close_at_once,      // accepts, then closes its side before reading anything
  reset_in_headers,   // half a header block, then a TCP RST
  reset_in_body,      // a complete head promising 100 bytes, 10 of them, then a TCP RST
  malformed_status,   // "HTTP/1.1 2x0 OK"
  bad_chunked,        // chunked encoding whose first chunk size is not hex
  short_body,         // Content-Length: 100, 10 bytes, then a graceful close
  huge_headers,       // 200 header lines of 100 bytes each (about 21 KB)
  huge_body,          // a 1 MiB body
  late_answer,        // a complete answer, 3 s after the request
  trickle,            // a complete answer, one byte per second
  tls_wrong_name,     // TLS with a certificate for other.example only
  tls_expired,        // TLS with a certificate for 127.0.0.1 that expired yesterday
  plain_on_tls_port,  // plain HTTP: answers a TLS ClientHello with a 400, as nginx does
  flap,               // answers `flap_after` requests, is down for `down_for`, then answers
                      // again on the same port
};

struct fault_options {
  std::uint64_t flap_after = 20;
  std::chrono::milliseconds down_for{1000};
};

class fault_server {
 public:
  // Binds (and for all faults but `refuse`, listens) before returning.
  explicit fault_server(fault mode, fault_options opts = {});
  ~fault_server();

  fault_server(const fault_server&) = delete;
  fault_server& operator=(const fault_server&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:PORT/" or, for the TLS faults and plain_on_tls_port, "https://...".
  std::string url() const;
  // TLS faults: a PEM file holding the certificate the server presents, to load as a CA (so
  // verification fails for the reason under test, not for an unknown authority). Removed on
  // destruction. Empty for the other faults.
  std::string ca_pem_path() const;

  // TCP connections accepted, over all lives of a flapping server.
  std::uint64_t connections() const;
  // Complete request heads read, and those read after a flapping server came back.
  std::uint64_t requests() const;
  std::uint64_t requests_after_restart() const;
  // flap: whether the server has come back on its port.
  bool restarted() const;

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace pacer_test
