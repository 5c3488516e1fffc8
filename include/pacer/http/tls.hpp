#ifndef PACER_HTTP_TLS_HPP
#define PACER_HTTP_TLS_HPP

#include <pacer/core/error.hpp>

#include <boost/asio/ssl/context.hpp>

#include <fstream>
#include <memory>
#include <string>

namespace pacer::http {

// TLS settings of a run. Verification is on unless explicitly skipped.
struct tls_options {
  bool insecure_skip_verify = false;
  std::string ca_file;  // extra trusted CA certificates (PEM), beside the system store

  tls_options& skip_verify(bool skip = true) {
    insecure_skip_verify = skip;
    return *this;
  }
  tls_options& add_ca_file(std::string path) {
    ca_file = std::move(path);
    return *this;
  }
};

namespace detail {

// One client context per run: loading trust stores is expensive and the
// context is safe to share between threads.
inline std::shared_ptr<boost::asio::ssl::context> make_client_context(const tls_options& o) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  // Honours SSL_CERT_FILE / SSL_CERT_DIR like every OpenSSL client.
  ctx->set_default_verify_paths(ec);
  if (!o.ca_file.empty()) {
    if (!std::ifstream(o.ca_file).good())
      throw config_error("CA file", o.ca_file, "a readable PEM file of CA certificates");
    ctx->load_verify_file(o.ca_file, ec);
    if (ec)
      throw config_error("CA file", o.ca_file,
                         "a PEM file of CA certificates (" + ec.message() + ")");
  }
  ctx->set_verify_mode(o.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  return ctx;
}

}  // namespace detail
}  // namespace pacer::http

#endif
