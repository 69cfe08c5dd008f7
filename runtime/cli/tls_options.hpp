// The TLS options every command takes (--tls-ca, --tls-cert, --tls-key),
// where a client finds its files when none are given, and the rule that
// plaintext stays on loopback: a process that listens on or connects to any
// other address needs TLS (actors/net/tls_context.hpp).
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "net/tls_context.hpp"

namespace nagare::cli {

// The files a client uses when the command line names none, for the
// coordinator at WHERE (HOST:PORT): ca.pem, client.pem and client.key in
// $NAGARE_TLS_DIR, else in ${XDG_CONFIG_HOME:-$HOME/.config}/nagare/clusters/WHERE/
// if that directory exists (scripts/start-cluster writes it), else none.
tls_files default_client_tls(const std::string& where);

void add_tls_options(boost::program_options::options_description& options, tls_files& files);

// Checks the files (tls_context::load) and that the certificate's role
// (OU) is `role`: "coordinator", "node", or "client" (viewer, operator or
// submitter). Without files, every address in `addresses` must be loopback.
// The one-line usage error (exit code 2) otherwise.
std::optional<int> check_tls(const tls_files& files, const std::string& role,
                             const std::vector<std::string>& addresses);

// Logs how a daemon's connections are protected (once it listens): its
// certificate and CA, or a warning that plaintext lets any local user act.
void log_transport(const tls_files& files);

}  // namespace nagare::cli
