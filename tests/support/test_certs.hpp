// Certificates for TLS tests, made with libcrypto: a CA, and certificates it
// signs with a role (OU), a name (CN) and any validity window, expired ones
// included (scripts/certs, for users, cannot backdate).
#pragma once

#include <string>
#include <vector>

namespace nagare::testing {

struct cert_files {
  std::string cert, key;
};

class test_ca {
 public:
  // Writes DIR/PREFIX-ca.pem (and keeps the key in memory).
  test_ca(std::string dir, std::string prefix);
  ~test_ca();
  test_ca(const test_ca&) = delete;
  test_ca& operator=(const test_ca&) = delete;

  const std::string& ca() const { return ca_path_; }
  // DIR/PREFIX-NAME.pem and .key (mode 600), OU=unit, CN=name, valid from
  // now + valid_from_s to now + valid_to_s.
  cert_files issue(const std::string& name, const std::string& unit, long valid_from_s = -60,
                   long valid_to_s = 30 * 86400) const;
  // --tls-ca, --tls-cert, --tls-key for `files`.
  std::vector<std::string> args(const cert_files& files) const;

 private:
  std::string dir_, prefix_, ca_path_;
  void* key_ = nullptr;   // EVP_PKEY
  void* cert_ = nullptr;  // X509
};

}  // namespace nagare::testing
