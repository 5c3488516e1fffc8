// The certctl-compatible target: the API over HTTPS (or plain HTTP) on 127.0.0.1, a SQLite store
// and the background scheduler, started together and stopped together.
//
// One thread runs the network (Beast coroutines); database work runs on a pool of worker threads
// so that a long bulk renewal never holds up other connections' reads and writes.
#pragma once

#include "certctl_target/store.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

namespace certctl_target {

struct config {
  std::uint16_t port = 8443;  // 0 picks a free port
  std::string token = "load-test-token";
  std::filesystem::path db = "certctl-target.db";
  std::uint32_t seed = 10000;                // bulk-renewal certificates put in an empty database
  unsigned threads = 0;                      // database workers; 0 = hardware threads
  std::uint32_t scheduler_concurrency = 25;  // jobs completed per issuer per tick
  std::chrono::milliseconds scheduler_tick{100};
  bool plain_http = false;
  // How long stop() lets requests in flight finish before closing their connections.
  std::chrono::milliseconds shutdown_grace{10000};
};

// Start-up failed (port in use, database path unusable, ...); the message names the flag or path.
class startup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The certificate and key of `db`: "<db>.cert.pem" and "<db>.key.pem".
std::filesystem::path cert_file_for(const std::filesystem::path& db);
std::filesystem::path key_file_for(const std::filesystem::path& db);

class server {
 public:
  // Listens, opens (and if empty seeds) the database, loads or creates the TLS certificate and
  // starts serving, all before returning. Throws startup_error.
  explicit server(config c);
  // stop()
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const;
  // "https://127.0.0.1:PORT" (or http://).
  std::string url() const;
  // The PEM certificate clients may trust (CA:TRUE, for localhost and 127.0.0.1).
  std::filesystem::path cert_file() const;
  const seed_report& seeded() const;
  bool created_certificate() const;

  // Waits until the scheduler has no pending job left; false on timeout.
  bool wait_until_drained(std::chrono::milliseconds timeout);

  // Stops accepting, closes idle connections, lets requests in flight finish (up to
  // shutdown_grace), then stops the scheduler and closes the database. Idempotent; any thread.
  void stop();

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace certctl_target
