#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include <caf/actor_system_config.hpp>
#include <caf/settings.hpp>

namespace nagare {

namespace {

constexpr caf::string_view ca_key = "nagare.tls-ca";
constexpr caf::string_view cert_key = "nagare.tls-cert";
constexpr caf::string_view key_key = "nagare.tls-key";
constexpr long expiry_warning_s = 14 * 24 * 3600;

template <class T, void (*Free)(T*)>
struct openssl_ptr {
  T* p;
  explicit openssl_ptr(T* x) : p(x) {}
  ~openssl_ptr() {
    if (p) Free(p);
  }
  openssl_ptr(openssl_ptr&& other) noexcept : p(other.p) { other.p = nullptr; }
  openssl_ptr(const openssl_ptr&) = delete;
  openssl_ptr& operator=(const openssl_ptr&) = delete;
};
using x509_ptr = openssl_ptr<X509, X509_free>;
using store_ptr = openssl_ptr<X509_STORE, X509_STORE_free>;
using store_ctx_ptr = openssl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;

std::string name_entry(X509_NAME* name, int nid) {
  char buf[256];
  int n = X509_NAME_get_text_by_NID(name, nid, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

certificate_subject subject_of(X509* cert) {
  certificate_subject out;
  if (!cert) return out;
  X509_NAME* name = X509_get_subject_name(cert);
  out.name = name_entry(name, NID_commonName);
  out.unit = name_entry(name, NID_organizationalUnitName);
  char* line = X509_NAME_oneline(name, nullptr, 0);
  if (line) out.text = line;
  OPENSSL_free(line);
  return out;
}

x509_ptr read_certificate(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return x509_ptr{nullptr};
  x509_ptr cert{PEM_read_X509(f, nullptr, nullptr, nullptr)};
  std::fclose(f);
  return cert;
}

// Whether the CA of `ctx` signed `cert` and it is valid now: the error
// X509_verify_cert names otherwise.
status verify_own(SSL_CTX* ctx, X509* cert, const std::string& path) {
  store_ctx_ptr verify{X509_STORE_CTX_new()};
  if (!verify.p || !X509_STORE_CTX_init(verify.p, SSL_CTX_get_cert_store(ctx), cert, nullptr))
    return status::io_error("cannot check certificate '" + path + "': " + last_tls_error());
  if (X509_verify_cert(verify.p) == 1) return {};
  return status::invalid_argument(
      "certificate '" + path + "' is not valid with the given CA: " +
      X509_verify_cert_error_string(X509_STORE_CTX_get_error(verify.p)));
}

bool expires_soon(X509* cert) {
  time_t soon = std::time(nullptr) + expiry_warning_s;
  return X509_cmp_time(X509_get0_notAfter(cert), &soon) < 0;
}

bool readable_by_others(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0;
}

status missing(const char* option, const tls_files& files) {
  std::string given = files.ca.empty() ? "" : " --tls-ca";
  if (!files.cert.empty()) given += " --tls-cert";
  if (!files.key.empty()) given += " --tls-key";
  return status::invalid_argument(std::string("TLS needs --") + option +
                                  " as well (given:" + given + ")");
}

}  // namespace

void put_tls_files(caf::actor_system_config& cfg, const tls_files& files) {
  caf::put(cfg.content, ca_key, files.ca);
  caf::put(cfg.content, cert_key, files.cert);
  caf::put(cfg.content, key_key, files.key);
}

tls_files tls_files_of(const caf::actor_system_config& cfg) {
  tls_files out;
  out.ca = caf::get_or(cfg, ca_key, std::string());
  out.cert = caf::get_or(cfg, cert_key, std::string());
  out.key = caf::get_or(cfg, key_key, std::string());
  return out;
}

std::string last_tls_error() {
  unsigned long code = ERR_get_error();
  std::string out;
  while (code != 0) {  // the newest error is the last in the queue
    if (const char* reason = ERR_reason_error_string(code)) {
      out = reason;
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof buf);
      out = buf;
    }
    code = ERR_get_error();
  }
  return out;
}

result<std::shared_ptr<tls_context>> tls_context::load(const tls_files& files) {
  if (files.ca.empty()) return missing("tls-ca", files);
  if (files.cert.empty()) return missing("tls-cert", files);
  if (files.key.empty()) return missing("tls-key", files);
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_method());
  if (!raw) return status::io_error("cannot create a TLS context: " + last_tls_error());
  std::shared_ptr<tls_context> ctx{new tls_context(raw)};
  SSL_CTX_set_min_proto_version(raw, TLS1_3_VERSION);
  SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // No session resumption: every connection shows its certificate.
  SSL_CTX_set_num_tickets(raw, 0);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  // CAF's stream may hand a moved buffer back after a partial write.
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_load_verify_locations(raw, files.ca.c_str(), nullptr) != 1)
    return status::invalid_argument("cannot read CA certificate '" + files.ca +
                                    "': " + last_tls_error());
  if (SSL_CTX_use_certificate_chain_file(raw, files.cert.c_str()) != 1)
    return status::invalid_argument("cannot read certificate '" + files.cert +
                                    "': " + last_tls_error());
  if (SSL_CTX_use_PrivateKey_file(raw, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return status::invalid_argument("cannot read key '" + files.key + "': " + last_tls_error());
  if (SSL_CTX_check_private_key(raw) != 1)
    return status::invalid_argument("key '" + files.key + "' does not match certificate '" +
                                    files.cert + "'");
  x509_ptr cert = read_certificate(files.cert);
  if (!cert.p) return status::invalid_argument("cannot read certificate '" + files.cert + "'");
  if (auto s = verify_own(raw, cert.p, files.cert); !s.ok()) return s;
  if (expires_soon(cert.p))
    ctx->warnings_.push_back("certificate '" + files.cert +
                             "' expires within 14 days: rotate it (docs/operations.md)");
  if (readable_by_others(files.key))
    ctx->warnings_.push_back("key '" + files.key +
                             "' may be read by group or others: chmod 600 it");
  ctx->own_ = subject_of(cert.p);
  return ctx;
}

tls_context::~tls_context() { SSL_CTX_free(ctx_); }

ssl_st* tls_context::new_session(int fd, bool server) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  if (server)
    SSL_set_accept_state(ssl);
  else
    SSL_set_connect_state(ssl);
  return ssl;
}

certificate_subject peer_subject(ssl_st* ssl) {
  x509_ptr cert{SSL_get1_peer_certificate(ssl)};
  return subject_of(cert.p);
}

}  // namespace nagare
