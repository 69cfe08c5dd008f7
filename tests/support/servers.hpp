// Real Redis and PostgreSQL servers for tests, from Debian's packages: a
// private instance each, on 127.0.0.1 and a free port, its data in a
// temporary directory, stopped and removed on destruction. No test depends
// on a server the machine happens to run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace nagare::testing {

// redis-server without persistence. Throws if it does not answer within 10 s.
class redis_server {
 public:
  redis_server();
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Stops and continues the server (SIGSTOP, SIGCONT): connections stay
  // open and nothing answers, as when the network drops its packets.
  void pause();
  void resume();
  // `redis-cli -p PORT ARGS...`'s standard output (throws when it fails).
  std::string cli(const std::string& args) const;

 private:
  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// PostgreSQL 15 (initdb with trust authentication, user "postgres",
// max_prepared_transactions = 16 unless given, fsync off). PostgreSQL refuses to run as
// root: under root the server runs as the "postgres" system user the package
// creates, its data directory owned by it. Throws if it does not start.
class postgres_server {
 public:
  explicit postgres_server(int max_prepared_transactions = 16);
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  uint16_t port() const { return port_; }
  // "postgresql://postgres@127.0.0.1:PORT/postgres"
  std::string uri() const;
  // `psql -At -c SQL`'s standard output (throws when it fails).
  std::string sql(const std::string& statement) const;
  // Stops the server at once (pg_ctl -m immediate: connections drop, as
  // in a crash; prepared transactions survive), waits `down`, starts it
  // again on the same port and data.
  void restart(std::chrono::milliseconds down);

 private:
  void start();
  void stop();
  std::string dir_;
  uint16_t port_ = 0;
  int max_prepared_ = 16;
  bool started_ = false;
};

}  // namespace nagare::testing
