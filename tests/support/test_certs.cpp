#include "test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <stdexcept>

namespace nagare::testing {

namespace {

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) throw std::runtime_error("bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* make_cert(EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, const std::string& cn,
                const std::string& ou, long from_s, long to_s, bool ca) {
  static long serial = 1;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), from_s);
  X509_gmtime_adj(X509_getm_notAfter(cert), to_s);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  auto add = [&](const char* field, const std::string& v) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0);
  };
  add("O", "nagare-test");
  if (!ou.empty()) add("OU", ou);
  add("CN", cn);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509* self_or_issuer = issuer ? issuer : cert;
  if (ca) {
    add_ext(cert, self_or_issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert, self_or_issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert, self_or_issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert, self_or_issuer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert, self_or_issuer, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()))
    throw std::runtime_error("X509_sign failed");
  return cert;
}

void write_pem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  ::chmod(path.c_str(), 0600);
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

}  // namespace

test_ca::test_ca(std::string dir, std::string prefix)
    : dir_(std::move(dir)), prefix_(std::move(prefix)) {
  auto* key = new_key();
  auto* cert = make_cert(key, nullptr, nullptr, prefix_ + " CA", "", -3600, 60 * 86400, true);
  key_ = key;
  cert_ = cert;
  ca_path_ = dir_ + "/" + prefix_ + "-ca.pem";
  write_pem(ca_path_, cert);
}

test_ca::~test_ca() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key_));
  X509_free(static_cast<X509*>(cert_));
}

cert_files test_ca::issue(const std::string& name, const std::string& unit, long valid_from_s,
                          long valid_to_s) const {
  auto* key = new_key();
  auto* cert = make_cert(key, static_cast<X509*>(cert_), static_cast<EVP_PKEY*>(key_), name, unit,
                         valid_from_s, valid_to_s, false);
  cert_files out{dir_ + "/" + prefix_ + "-" + name + ".pem",
                 dir_ + "/" + prefix_ + "-" + name + ".key"};
  write_pem(out.cert, cert);
  write_key(out.key, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

std::vector<std::string> test_ca::args(const cert_files& files) const {
  return {"--tls-ca", ca_path_, "--tls-cert", files.cert, "--tls-key", files.key};
}

}  // namespace nagare::testing
