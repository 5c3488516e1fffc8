// A certctl-target on 127.0.0.1 with its database in a fresh temporary directory,
// removed when it goes: for examples and tests that start their own target.
#ifndef CERTCTL_TARGET_TEMPORARY_SERVER_HPP
#define CERTCTL_TARGET_TEMPORARY_SERVER_HPP

#include "certctl_target/server.hpp"

#include <stdlib.h>  // mkdtemp

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace certctl_target {

class temporary_server {
 public:
  // `seed` certificates of the bulk-renewal fleet; a free port; HTTPS.
  explicit temporary_server(std::uint32_t seed = 500)
      : dir_(make_dir()), server_(make_config(dir_, seed)) {}
  ~temporary_server() {
    server_.stop();  // before its files go
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  temporary_server(const temporary_server&) = delete;
  temporary_server& operator=(const temporary_server&) = delete;

  std::string url() const { return server_.url(); }
  // Its self-signed certificate, to trust as a CA.
  std::string ca_file() const { return server_.cert_file().string(); }

 private:
  static std::filesystem::path make_dir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "certctl-target-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
  }
  static config make_config(const std::filesystem::path& dir, std::uint32_t seed) {
    config c;
    c.port = 0;  // a free port on 127.0.0.1
    c.db = dir / "certctl.db";
    c.seed = seed;
    c.threads = 2;
    return c;
  }

  std::filesystem::path dir_;
  server server_;
};

}  // namespace certctl_target

#endif
