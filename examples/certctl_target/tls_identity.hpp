// The server's self-signed certificate, created on first start and reused afterwards.
#pragma once

#include <filesystem>
#include <string>

namespace certctl_target {

struct tls_identity {
  std::string cert_pem;
  std::string key_pem;
  bool created = false;  // new files were written
};

// Loads the certificate and key from the two files when both exist, match and the certificate
// has over a day left; otherwise (either file missing, or expiring) creates a new self-signed
// pair for localhost and 127.0.0.1 and writes both, the key readable by its owner only.
// Throws std::runtime_error naming the file on unreadable, unwritable or mismatched files.
tls_identity load_or_create_identity(const std::filesystem::path& cert_file,
                                     const std::filesystem::path& key_file);

}  // namespace certctl_target
