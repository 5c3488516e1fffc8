#ifndef PACER_HTTP_TLS_CONTEXT_HPP
#define PACER_HTTP_TLS_CONTEXT_HPP

// The OpenSSL client context a run's TLS connections share, made from tls_options.

#include <pacer/core/error.hpp>
#include <pacer/http/tls.hpp>

#include <boost/asio/ssl/context.hpp>

#include <fstream>
#include <memory>
#include <string>

namespace pacer::http {

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
