#include "client.hpp"

namespace nagare::cli {

po::options_description client_options(const std::string& usage_line, std::string& coordinator,
                                       tls_files& tls) {
  po::options_description visible("usage: " + usage_line + "\n\noptions");
  visible.add_options()("help,h", "show this help")(
      "coordinator", po::value(&coordinator)->default_value(default_coordinator),
      "the coordinator's HOST:PORT");
  add_tls_options(visible, tls);
  return visible;
}

std::optional<int> client_tls(const std::string& where, tls_files& tls) {
  if (!tls.enabled()) tls = default_client_tls(where);
  return check_tls(tls, "client", {where});
}

std::optional<int> job_id_of(const po::variables_map& vm, const std::string& command,
                             uint64_t& id) {
  if (!vm.count("job-id")) return fail(usage, "missing JOB_ID (see nagare " + command + " --help)");
  auto text = vm["job-id"].as<std::string>();
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    return fail(usage, "'" + text + "' is not a job id");
  id = std::stoull(text);
  return std::nullopt;
}

std::string rpc_error(const caf::error& e, caf::scoped_actor& self) {
  return "the coordinator did not answer: " + self->system().render(e);
}

}  // namespace nagare::cli
