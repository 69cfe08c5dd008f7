#include "common.hpp"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "log.hpp"
#include "net/guarded_multiplexer.hpp"
#include "restart_policy.hpp"
#include "system_config.hpp"

namespace nagare::cli {

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "nagare: error: %s\n", message.c_str());
  return code;
}

result<address> parse_address(const std::string& text, bool allow_any_port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return status::invalid_argument("'" + text + "' is not HOST:PORT");
  address a;
  a.host = text.substr(0, colon);
  auto port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5)
    return status::invalid_argument("'" + text + "': port '" + port + "' is not a number");
  auto p = std::stoul(port);
  if (p > 65535 || (p == 0 && !allow_any_port))
    return status::invalid_argument("'" + text + "': port must be between 1 and 65535");
  a.port = static_cast<uint16_t>(p);
  return a;
}

std::optional<int> parse_command(const std::string& command, const std::vector<std::string>& args,
                                 const po::options_description& visible,
                                 const po::options_description& hidden,
                                 const po::positional_options_description& positional,
                                 po::variables_map& vm) {
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << visible;
      return ok;
    }
    // Values from the command line were stored first, so they win over the file.
    if (vm.count("config")) {
      auto path = vm["config"].as<std::string>();
      std::ifstream file(path);
      if (!file) return fail(usage, "cannot read config file '" + path + "'");
      po::store(po::parse_config_file(file, visible), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return fail(usage, std::string(e.what()) + " (see nagare " + command + " --help)");
  }
  return std::nullopt;
}

void add_job_options(po::options_description& options, job_option_values& v) {
  options.add_options()  //
      ("parallelism,p", po::value(&v.parallelism)->default_value(1),
       "default parallelism of operators")  //
      ("max-parallelism", po::value(&v.max_parallelism)->default_value(128),
       "number of key groups: the upper bound of any parallelism")  //
      ("batch-size", po::value(&v.batch_records)->default_value(1024),
       "records per batch between tasks")  //
      ("credit", po::value(&v.channel_credit)->default_value(4),
       "batches in flight per channel")  //
      ("checkpoint-interval", po::value(&v.checkpoint_interval_ms)->default_value(0),
       "milliseconds between periodic checkpoints (0: none)")  //
      ("checkpoint-timeout", po::value(&v.checkpoint_timeout_ms)->default_value(60000),
       "milliseconds after which a checkpoint that has not completed fails")  //
      ("min-pause", po::value(&v.min_pause_ms)->default_value(0),
       "milliseconds from the end of one checkpoint to the start of the next")  //
      ("retained-checkpoints", po::value(&v.retained_checkpoints)->default_value(3),
       "completed checkpoints kept (savepoints are kept apart)")  //
      ("at-least-once", po::bool_switch(&v.at_least_once),
       "checkpoints without barrier alignment: after a restart, records may be seen twice")  //
      ("require-exactly-once", po::bool_switch(&v.require_exactly_once),
       "refuse the job unless every sink is exactly-once (a sink that commits with "
       "checkpoints, e.g. a file sink, and aligned checkpoints)")  //
      ("restart-strategy", po::value(&v.restart_strategy)->value_name("SPEC"),
       "none, fixed-delay:DELAY_MS:ATTEMPTS or exponential:INITIAL_MS:MAX_MS:ATTEMPTS "
       "(default: fixed-delay:500:10 with --checkpoint-interval, else none)")  //
      ("state-backend", po::value(&v.state_backend)->default_value("memory")->value_name("NAME"),
       "where keyed state lives: memory (on the heap, complete checkpoints) or leveldb (in "
       "each node's LevelDB with a bounded cache on the heap, incremental checkpoints)")  //
      ("state-cache-keys", po::value(&v.state_cache_keys)->default_value(65536),
       "leveldb: keys per keyed operator instance kept on the heap");
}

std::optional<int> check_range(const char* name, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return std::nullopt;
  return fail(usage, std::string(name) + " must be between " + std::to_string(min) + " and " +
                         std::to_string(max) + ", got " + std::to_string(value));
}

std::optional<int> apply_job_options(const job_option_values& v, job_options& out) {
  if (auto bad = check_range("--max-parallelism", v.max_parallelism, 1, 32768)) return bad;
  if (auto bad = check_range("--parallelism", v.parallelism, 1, v.max_parallelism)) return bad;
  if (auto bad = check_range("--batch-size", v.batch_records, 1, 1 << 20)) return bad;
  if (auto bad = check_range("--credit", v.channel_credit, 1, 1024)) return bad;
  if (v.checkpoint_interval_ms != 0 && (v.checkpoint_interval_ms < min_checkpoint_interval_ms ||
                                        v.checkpoint_interval_ms > max_checkpoint_ms))
    return fail(usage, "--checkpoint-interval must be 0 (no checkpoints) or between " +
                           std::to_string(min_checkpoint_interval_ms) + " and " +
                           std::to_string(max_checkpoint_ms) + ", got " +
                           std::to_string(v.checkpoint_interval_ms));
  if (auto bad = check_range("--checkpoint-timeout", v.checkpoint_timeout_ms,
                             min_checkpoint_interval_ms, max_checkpoint_ms))
    return bad;
  if (auto bad = check_range("--min-pause", v.min_pause_ms, 0, max_checkpoint_ms)) return bad;
  if (auto bad = check_range("--retained-checkpoints", v.retained_checkpoints, 1,
                             max_retained_checkpoints))
    return bad;
  if (v.state_backend != "memory" && v.state_backend != "leveldb")
    return fail(usage, "--state-backend must be memory or leveldb, got '" + v.state_backend + "'");
  if (auto bad = check_range("--state-cache-keys", v.state_cache_keys, 1, 1 << 30)) return bad;
  auto policy = restart_policy::parse(v.restart_strategy, v.checkpoint_interval_ms > 0);
  if (!policy.ok()) return fail(usage, "--restart-strategy: " + policy.error().message());
  out.parallelism = static_cast<uint32_t>(v.parallelism);
  out.max_parallelism = static_cast<uint32_t>(v.max_parallelism);
  out.batch_records = static_cast<uint32_t>(v.batch_records);
  out.channel_credit = static_cast<uint32_t>(v.channel_credit);
  out.checkpoint_interval_ms = static_cast<uint32_t>(v.checkpoint_interval_ms);
  out.checkpoint_timeout_ms = static_cast<uint32_t>(v.checkpoint_timeout_ms);
  out.min_pause_ms = static_cast<uint32_t>(v.min_pause_ms);
  out.retained_checkpoints = static_cast<uint32_t>(v.retained_checkpoints);
  out.at_least_once = v.at_least_once;
  out.require_exactly_once = v.require_exactly_once;
  out.restart_strategy = v.restart_strategy;
  out.state_backend = v.state_backend;
  out.state_cache_keys = static_cast<uint32_t>(v.state_cache_keys);
  return std::nullopt;
}

status check_savepoint_id(const std::string& text) {
  auto whole_number = [](const std::string& s) {
    return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos &&
           std::stoull(s) >= 1;
  };
  auto dash = text.find('-');
  if (dash == std::string::npos || !whole_number(text.substr(0, dash)) ||
      !whole_number(text.substr(dash + 1)))
    return status::invalid_argument("'" + text +
                                    "' is not a savepoint id: expected JOB-CHECKPOINT, two "
                                    "numbers from 1 as `nagare savepoint` prints them, e.g. 3-17");
  return {};
}

std::optional<int> apply_log_level(const std::string& level) {
  log::level l;
  if (!log::parse_level(level, l)) return fail(usage, "unknown log level '" + level + "'");
  log::set_level(l);
  return std::nullopt;
}

void configure_process(caf::actor_system_config& cfg, uint32_t threads, const wire_limits& limits,
                       const tls_files& tls) {
  configure(cfg, threads);
  put_wire_limits(cfg, limits);
  put_tls_files(cfg, tls);
  // Not middleman.enable-automatic-connections: it binds a second port on
  // every interface. Nodes connect to their peers' --listen addresses
  // instead (node.cpp, `peers`), and BASP routes over those direct links.
  // A hung peer (not only a dead one) is noticed: see CAF-NOTES §1.
  cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::seconds(1)});
  cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::seconds(10)});
}

result<caf::actor> connect_coordinator(caf::actor_system& sys, const std::string& where) {
  auto a = parse_address(where);
  if (!a.ok()) return status::invalid_argument("--coordinator " + a.error().message());
  auto coordinator = sys.middleman().remote_actor(a->host, a->port);
  if (!coordinator) {
    std::string why = sys.render(coordinator.error());
    auto* mx = dynamic_cast<guarded_multiplexer*>(&sys.middleman().backend());
    if (auto refused = mx ? mx->last_refusal() : std::string(); !refused.empty())
      why = "refused " + refused;
    else if (mx && !mx->tls() && coordinator.error() == caf::sec::disconnect_during_handshake)
      why +=
          " (if the coordinator uses TLS: give --tls-ca, --tls-cert and --tls-key, or set "
          "NAGARE_TLS_DIR)";
    return status(errc::not_found, "cannot reach the coordinator at " + where + ": " + why);
  }
  return *coordinator;
}

void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

signal_watch::signal_watch() {
  std::thread([this] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig = 0;
    if (sigwait(&set, &sig) != 0) return;
    std::lock_guard<std::mutex> lock(mutex_);
    received_ = sig;
    if (auto a = caf::actor_cast<caf::actor>(current_))
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }).detach();
}

void signal_watch::watch(const caf::actor& root) {
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = root.address();
  if (received_) caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
}

int signal_watch::received() {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

signal_watch* process_signals() {
  static signal_watch* watch = new signal_watch;  // never destroyed: its thread may still wait
  return watch;
}

void wait_for_exit(caf::actor_system& sys, const caf::actor& root) {
  caf::scoped_actor self{sys};
  self->monitor(root);
  self->receive([](const caf::down_msg&) {});
}

int wait_for_signal_or_exit(caf::actor_system& sys, const caf::actor& root) {
  auto* signals = process_signals();
  signals->watch(root);
  wait_for_exit(sys, root);
  return signals->received();
}

}  // namespace nagare::cli
