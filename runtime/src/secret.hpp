// Credentials kept out of command lines, URIs and logs.
//
// A connector's password comes from the environment of the process that
// runs the connector (the node daemons, `nagare run`): the variable NAME
// itself, or the first line of the file that NAME_FILE names. The file is
// how daemons should get them: its owner may read it, nobody else (a file
// that group or others may read works but is warned about, once).
//
// URIs are shown in messages, logs, the shell and the dashboard (an
// operator's name is its connector's URI): masked_uri() replaces what could
// be a secret in one by "***".
#pragma once

#include <string>

#include "nagare/status.hpp"

namespace nagare {

// NAME's value, else the first line of the file NAME_FILE names (without
// its line end), else "" when neither is set. An unreadable or empty file
// is an error naming the variable and the file, never the secret.
result<std::string> secret_from_environment(const std::string& name);

// `uri` with a password in its authority ("//user:PASSWORD@host") and the
// values of options whose names say they hold secrets (password, secret,
// token, sasl.jaas.config, ssl.key.pem) replaced by "***".
std::string masked_uri(const std::string& uri);

// Whether an option named `name` (a librdkafka property, a URI option)
// holds a secret.
bool is_secret_option(const std::string& name);

}  // namespace nagare
