// Pieces every command shares: HOST:PORT addresses, option parsing with an
// optional INI config file (command line wins), the actor system of a
// command, and connecting to a coordinator.
#pragma once

#include <boost/program_options.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "nagare/status.hpp"
#include "net/tls_context.hpp"
#include "net/wire_limits.hpp"
#include "submission.hpp"

namespace nagare::cli {

namespace po = boost::program_options;

inline constexpr const char* default_coordinator = "127.0.0.1:6123";
// The coordinator's dashboard, REST API and /metrics (Flink's web port).
inline constexpr const char* default_web_listen = "127.0.0.1:8081";

struct address {
  std::string host;
  uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

// "HOST:PORT" (PORT may be 0 where `allow_any_port`).
result<address> parse_address(const std::string& text, bool allow_any_port = false);

// Parses a command's arguments: named options, positionals, and the file
// named by --config (if the command has that option). Prints help and
// returns exit code `ok` for --help; on a parse error prints the one-line
// error and returns `usage`; otherwise returns nullopt: go on.
std::optional<int> parse_command(const std::string& command, const std::vector<std::string>& args,
                                 const po::options_description& visible,
                                 const po::options_description& hidden,
                                 const po::positional_options_description& positional,
                                 po::variables_map& vm);

// The options `run` and `submit` share, read as signed numbers so that "-1"
// is refused rather than wrapped. Defaults are those of job_options.
struct job_option_values {
  int64_t parallelism = 1;
  int64_t max_parallelism = 128;
  int64_t batch_records = 1024;
  int64_t channel_credit = 4;
  int64_t checkpoint_interval_ms = 0;  // 0: off; else at least min_checkpoint_interval_ms
  int64_t checkpoint_timeout_ms = 60000;
  int64_t min_pause_ms = 0;
  int64_t retained_checkpoints = 3;
  bool at_least_once = false;
  bool require_exactly_once = false;
  std::string restart_strategy;  // empty: restart_policy's default
  std::string state_backend = "memory";
  int64_t state_cache_keys = 65536;
};
void add_job_options(po::options_description& options, job_option_values& values);
// Range-checks the values into `out` and validates --restart-strategy
// (restart_policy::parse); the one-line usage error otherwise.
std::optional<int> apply_job_options(const job_option_values& values, job_options& out);

// Bounds of the checkpoint options, in milliseconds.
inline constexpr int64_t min_checkpoint_interval_ms = 10;
inline constexpr int64_t max_checkpoint_ms = 24 * 3600 * 1000;  // a day
inline constexpr int64_t max_retained_checkpoints = 100;

// A savepoint id is "JOB-CHECKPOINT", two whole numbers from 1 (as `nagare
// savepoint` prints it, e.g. "3-17"). Checks its shape only: whether it
// exists is the coordinator's to say.
status check_savepoint_id(const std::string& text);

// The one-line usage error when value is outside [min, max].
std::optional<int> check_range(const char* name, int64_t value, int64_t min, int64_t max);

// Sets the log level from --log-level; an error for an unknown level.
std::optional<int> apply_log_level(const std::string& level);

// The actor system configuration of a daemon or client; `limits` guard the
// connections a daemon accepts (actors/net/wire_limits.hpp); `tls` (checked
// first: tls_options.hpp) protects every connection.
void configure_process(caf::actor_system_config& cfg, uint32_t threads,
                       const wire_limits& limits = {}, const tls_files& tls = {});

// Connects to the coordinator at `where`; a one-line error if unreachable
// (naming why a TLS handshake failed, if one did).
result<caf::actor> connect_coordinator(caf::actor_system& sys, const std::string& where);

// SIGINT and SIGTERM (blocked in every thread by block_termination_signals)
// for a process whose root actor may change: a signal ends whichever root is
// watched, and is remembered.
class signal_watch {
 public:
  signal_watch();  // starts the (detached) signal thread
  void watch(const caf::actor& root);
  int received();  // the signal number, or 0

 private:
  std::mutex mutex_;
  caf::actor_addr current_;
  int received_ = 0;
};
// The process's one signal_watch (it outlives the actor system).
signal_watch* process_signals();

// Blocks until `root` terminates.
void wait_for_exit(caf::actor_system& sys, const caf::actor& root);

// Blocks until SIGINT or SIGTERM arrives or `root` terminates; sends `root`
// an exit on a signal. Returns the signal number, or 0 when root ended first.
int wait_for_signal_or_exit(caf::actor_system& sys, const caf::actor& root);

// Blocks SIGINT and SIGTERM in this thread and every thread started later
// (call first in main, before any actor system exists).
void block_termination_signals();

}  // namespace nagare::cli
