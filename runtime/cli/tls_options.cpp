#include "tls_options.hpp"

#include <cstdlib>
#include <filesystem>

#include "command.hpp"
#include "common.hpp"
#include "log.hpp"
#include "net/peer_identity.hpp"

namespace nagare::cli {

namespace {

tls_files files_in(const std::string& dir) {
  return {dir + "/ca.pem", dir + "/client.pem", dir + "/client.key"};
}

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

tls_files default_client_tls(const std::string& where) {
  if (const char* dir = std::getenv("NAGARE_TLS_DIR")) return *dir ? files_in(dir) : tls_files{};
  std::string config;
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    config = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home)
    config = std::string(home) + "/.config";
  else
    return {};
  auto dir = config + "/nagare/clusters/" + where;
  std::error_code ec;
  return std::filesystem::is_directory(dir, ec) ? files_in(dir) : tls_files{};
}

void add_tls_options(boost::program_options::options_description& options, tls_files& files) {
  options.add_options()  //
      ("tls-ca", boost::program_options::value(&files.ca),
       "the cluster's CA certificate (PEM): peers must present a certificate it signed")  //
      ("tls-cert", boost::program_options::value(&files.cert),
       "this process's certificate (PEM), signed by the CA")  //
      ("tls-key", boost::program_options::value(&files.key),
       "this process's private key (PEM; readable by its owner only)");
}

std::optional<int> check_tls(const tls_files& files, const std::string& role,
                             const std::vector<std::string>& addresses) {
  if (!files.enabled()) {
    for (const auto& a : addresses) {
      auto parsed = parse_address(a, true);
      if (parsed.ok() && !loopback(parsed->host))
        return fail(usage,
                    a + " is not a loopback address: plaintext is for loopback only; "
                        "give --tls-ca, --tls-cert and --tls-key (scripts/certs makes them)");
    }
    return std::nullopt;
  }
  auto ctx = tls_context::load(files);
  if (!ctx.ok()) return fail(usage, ctx.error().message());
  if (role == "client")  // daemons: log_transport, once they listen
    for (const auto& w : ctx.value()->warnings()) NAGARE_LOG(warning, "tls") << w;
  auto unit = ctx.value()->own().unit;
  auto own = role_of_unit(unit);
  bool fits = role == "client" ? is_client_role(own) : unit == role;
  if (!fits)
    return fail(usage, "certificate '" + files.cert + "' is for role '" + unit + "', not " +
                           (role == "client" ? "a client's (viewer, operator or submitter)"
                                             : "'" + role + "'"));
  return std::nullopt;
}

void log_transport(const tls_files& files) {
  if (!files.enabled()) {
    NAGARE_LOG(warning, "tls") << "plaintext on loopback: any local user may act on this "
                                  "cluster, submitting jobs included (TLS: docs/operations.md)";
    return;
  }
  auto ctx = tls_context::load(files);  // checked before
  if (!ctx.ok()) return;
  NAGARE_LOG(info, "tls") << "mutual TLS as " << ctx.value()->own().text << ", CA " << files.ca;
  for (const auto& w : ctx.value()->warnings()) NAGARE_LOG(warning, "tls") << w;
}

}  // namespace nagare::cli
