#ifndef PACER_HTTP_TLS_HPP
#define PACER_HTTP_TLS_HPP

// How a run treats servers' certificates.

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

}  // namespace pacer::http

#endif
