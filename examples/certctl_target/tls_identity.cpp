#include "certctl_target/tls_identity.hpp"

#include <boost/asio/buffer.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace certctl_target {

namespace {

namespace fs = std::filesystem;

struct openssl_free {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
template <class T>
using openssl_ptr = std::unique_ptr<T, openssl_free>;

void require(bool ok, const char* what) {
  if (!ok)
    throw std::runtime_error(std::string("creating the TLS certificate: ") + what + " failed");
}

void require_setting(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("configuring TLS: ") + what + " failed");
}

constexpr long validity_days = 365;

// Both the server's leaf and its own trust anchor (CA:TRUE), so a client can trust the same PEM.
void make_self_signed(std::string_view common_name, openssl_ptr<EVP_PKEY>& key,
                      openssl_ptr<X509>& out) {
  key.reset(EVP_EC_gen("P-256"));
  require(key != nullptr, "EC key generation");
  out.reset(X509_new());
  X509* cert = out.get();
  require(cert != nullptr, "X509_new");
  require(X509_set_version(cert, 2) == 1, "X509_set_version");  // 2 means v3

  // A random serial keeps every new certificate distinct for clients that cache.
  openssl_ptr<BIGNUM> serial(BN_new());
  require(serial && BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "BN_rand");
  require(BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) != nullptr, "serial");

  // Backdated by an hour to tolerate small clock differences.
  require(X509_gmtime_adj(X509_getm_notBefore(cert), -60L * 60) != nullptr, "notBefore");
  require(X509_gmtime_adj(X509_getm_notAfter(cert), validity_days * 24 * 60 * 60) != nullptr,
          "notAfter");
  require(X509_set_pubkey(cert, key.get()) == 1, "X509_set_pubkey");

  X509_NAME* name = X509_get_subject_name(cert);
  require(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name.data()),
                                     static_cast<int>(common_name.size()), -1, 0) == 1,
          "subject");
  require(X509_set_issuer_name(cert, name) == 1, "issuer");

  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  const auto add_ext = [&](int nid, const char* value) {
    openssl_ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
    require(ext && X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
  };
  add_ext(NID_basic_constraints, "critical,CA:TRUE");
  add_ext(NID_key_usage, "critical,digitalSignature,keyCertSign");
  // The subject key identifier must exist before the authority key identifier refers to it.
  add_ext(NID_subject_key_identifier, "hash");
  add_ext(NID_authority_key_identifier, "keyid:always");
  add_ext(NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  require(X509_sign(cert, key.get(), EVP_sha256()) > 0, "X509_sign");
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes through a new file renamed into place, so a crash never leaves half a PEM.
void write_file(const fs::path& file, const std::string& text, mode_t mode) {
  const fs::path temp = file.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    throw std::runtime_error(file.string() + ": cannot be written (" + std::strerror(errno) + ")");
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok) fs::rename(temp, file, ec);
  if (!ok || ec) {
    fs::remove(temp, ec);
    throw std::runtime_error(file.string() + ": cannot be written");
  }
}

// The pair in the files, or false when the certificate expires within a day.
bool load(const fs::path& cert_file, const fs::path& key_file, tls_identity& out) {
  out.cert_pem = read_file(cert_file);
  out.key_pem = read_file(key_file);
  openssl_ptr<BIO> cert_bio(
      BIO_new_mem_buf(out.cert_pem.data(), static_cast<int>(out.cert_pem.size())));
  openssl_ptr<X509> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert)
    throw std::runtime_error(cert_file.string() +
                             ": not a PEM certificate (delete it and its key to get new ones)");
  openssl_ptr<BIO> key_bio(
      BIO_new_mem_buf(out.key_pem.data(), static_cast<int>(out.key_pem.size())));
  openssl_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key || X509_check_private_key(cert.get(), key.get()) != 1)
    throw std::runtime_error(key_file.string() + ": not the private key of " + cert_file.string() +
                             " (delete both to get new ones)");
  time_t in_a_day = time(nullptr) + 24 * 60 * 60;
  return X509_cmp_time(X509_get0_notAfter(cert.get()), &in_a_day) > 0;
}

// Picks HTTP/1.1 when the client offers it, so clients that offer h2 first do not stall.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  constexpr std::string_view wanted = "http/1.1";
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == wanted) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

tls_identity create_self_signed_identity(std::string_view common_name) {
  openssl_ptr<EVP_PKEY> key;
  openssl_ptr<X509> cert;
  make_self_signed(common_name, key, cert);
  openssl_ptr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  openssl_ptr<BIO> key_bio(BIO_new(BIO_s_mem()));
  require(cert_bio && PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  require(key_bio && PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0,
                                              nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  tls_identity out;
  out.cert_pem = bio_text(cert_bio.get());
  out.key_pem = bio_text(key_bio.get());
  return out;
}

tls_identity load_or_create_identity(const fs::path& cert_file, const fs::path& key_file) {
  tls_identity out;
  if (fs::exists(cert_file) && fs::exists(key_file) && load(cert_file, key_file, out)) return out;

  out = create_self_signed_identity("certctl-target");
  out.created = true;
  write_file(key_file, out.key_pem, 0600);
  write_file(cert_file, out.cert_pem, 0644);
  return out;
}

boost::asio::ssl::context make_tls_server_context(const tls_identity& identity,
                                                  std::string_view session_id_context) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_server);
  SSL_CTX* native = ctx.native_handle();
  require_setting(SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) == 1, "min TLS version");
  ctx.use_certificate_chain(boost::asio::buffer(identity.cert_pem));
  ctx.use_private_key(boost::asio::buffer(identity.key_pem), ssl::context::pem);
  // Session-ID resumption (TLS 1.2) needs a context id; tickets work without it.
  require_setting(SSL_CTX_set_session_id_context(
                      native, reinterpret_cast<const unsigned char*>(session_id_context.data()),
                      static_cast<unsigned int>(session_id_context.size())) == 1,
                  "SSL_CTX_set_session_id_context");
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
  return ctx;
}

}  // namespace certctl_target
