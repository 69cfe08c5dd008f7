#include "servers.hpp"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cluster.hpp"
#include "process.hpp"

namespace nagare::testing {

namespace {

const std::string postgres_bin = "/usr/lib/postgresql/15/bin/";

std::string make_dir(const char* prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / prefix).string() + "XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
  return tmpl;
}

// argv as it must run for PostgreSQL: through runuser as "postgres" under root.
std::vector<std::string> as_postgres(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return argv;
}

process_result must_run(const std::vector<std::string>& argv, const std::string& what) {
  auto r = run_process(argv, std::chrono::seconds(60));
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
  return r;
}

}  // namespace

redis_server::redis_server() : dir_(make_dir("nagare-redis-")), port_(free_port()) {
  pid_ = ::fork();
  if (pid_ == 0) {
    std::string port = std::to_string(port_);
    ::execl("/usr/bin/redis-server", "redis-server", "--bind", "127.0.0.1", "--port", port.c_str(),
            "--dir", dir_.c_str(), "--save", "", "--appendonly", "no", "--logfile",
            (dir_ + "/log").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    auto r = run_process({"/usr/bin/redis-cli", "-p", std::to_string(port_), "ping"},
                         std::chrono::seconds(5));
    if (r.exit_code == 0 && r.out == "PONG\n") return;
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

redis_server::~redis_server() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void redis_server::pause() { ::kill(pid_, SIGSTOP); }
void redis_server::resume() { ::kill(pid_, SIGCONT); }

std::string redis_server::cli(const std::string& args) const {
  return must_run({"/bin/sh", "-c", "/usr/bin/redis-cli -p " + std::to_string(port_) + " " + args},
                  "redis-cli " + args)
      .out;
}

postgres_server::postgres_server(int max_prepared_transactions)
    : dir_(make_dir("nagare-postgres-")),
      port_(free_port()),
      max_prepared_(max_prepared_transactions) {
  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) throw std::runtime_error("no 'postgres' user: is postgresql-15 installed?");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("cannot give " + dir_ + " to the postgres user");
  }
  must_run(as_postgres({postgres_bin + "initdb", "-D", dir_ + "/data", "-A", "trust", "-U",
                        "postgres", "--no-sync", "--no-instructions"}),
           "initdb");
  start();
}

void postgres_server::start() {
  must_run(
      as_postgres({postgres_bin + "pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/log", "-w", "-o",
                   "-p " + std::to_string(port_) + " -k " + dir_ +
                       " -c listen_addresses=127.0.0.1 -c fsync=off"
                       " -c max_prepared_transactions=" +
                       std::to_string(max_prepared_),
                   "start"}),
      "pg_ctl start");
  started_ = true;
}

void postgres_server::stop() {
  if (!started_) return;
  run_process(
      as_postgres({postgres_bin + "pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}),
      std::chrono::seconds(30));
  started_ = false;
}

void postgres_server::restart(std::chrono::milliseconds down) {
  stop();
  std::this_thread::sleep_for(down);
  start();
}

postgres_server::~postgres_server() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string postgres_server::uri() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

std::string postgres_server::sql(const std::string& statement) const {
  return must_run({"/usr/bin/psql", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U",
                   "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-At", "-c", statement},
                  "psql")
      .out;
}

}  // namespace nagare::testing
