// Self-signed TLS certificates and the server TLS context that presents them: the certctl
// target's own (created on first start and reused afterwards) and, in memory, the test fixture's.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace certctl_target {

struct tls_identity {
  std::string cert_pem;
  std::string key_pem;
  bool created = false;  // load_or_create_identity wrote new files
};

// A new P-256 key and a self-signed certificate for localhost and 127.0.0.1, valid for a year
// from an hour ago. The certificate is also its own trust anchor (CA:TRUE), so a client can load
// the same PEM as its CA file. Nothing is written. Throws std::runtime_error.
tls_identity create_self_signed_identity(std::string_view common_name);

// Loads the certificate and key from the two files when both exist, match and the certificate
// has over a day left; otherwise (either file missing, or expiring) creates a new self-signed
// pair for localhost and 127.0.0.1 and writes both, the key readable by its owner only.
// Throws std::runtime_error naming the file on unreadable, unwritable or mismatched files.
tls_identity load_or_create_identity(const std::filesystem::path& cert_file,
                                     const std::filesystem::path& key_file);

// A TLS 1.2+ server context presenting `identity`. It resumes sessions by ticket and, under
// `session_id_context` (at most 32 bytes), by session ID; through ALPN it picks HTTP/1.1 when
// the client offers it. Throws std::runtime_error or boost::system::system_error.
boost::asio::ssl::context make_tls_server_context(const tls_identity& identity,
                                                  std::string_view session_id_context);

}  // namespace certctl_target
