// Hostile bytes on the wire never hurt a daemon: while a job runs on a real
// cluster, the coordinator's and a node's ports receive random bytes, BASP
// headers that claim gigabytes, and connections that never say anything.
// The job must end with exactly the failure-free output and no restart, the
// daemons' memory must stay bounded, and the silent connections must be
// closed by the daemons after the handshake timeout.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "cluster.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

// A TCP connection to HOST:PORT on loopback (-1 if refused).
int connect_to(const std::string& address) {
  auto colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the daemon hung up: that is allowed
    done += static_cast<size_t>(n);
  }
}

// A 32-byte BASP header (operation, two padding bytes, flags, payload length,
// operation data, source and destination actor; integers big-endian).
std::string basp_header(uint8_t operation, uint32_t payload_len) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(operation);
  for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<char>(payload_len >> (24 - 8 * i));
  return h;
}

// True once the peer has closed `fd` (reads the end of the stream).
bool closed_by_peer(int fd, std::chrono::milliseconds within) {
  auto until = std::chrono::steady_clock::now() + within;
  char buf[4096];
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
  return false;
}

uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      in >> kib;
      return kib;
    }
    std::getline(in, key);
  }
  return 0;
}

// Sends every kind of hostile input to `address`; returns the silent
// connections, still open.
std::vector<int> attack(const std::string& address, std::mt19937_64& rng) {
  for (int i = 0; i < 10; ++i) {  // random bytes
    int fd = connect_to(address);
    if (fd < 0) continue;
    std::string junk(64 << 10, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    send_all(fd, junk);
    ::close(fd);
  }
  // Headers claiming 4 GiB, 2 GiB and 100 MiB, as handshakes and messages.
  for (uint32_t len : {0xFFFFFFF0u, 0x7FFFFFFFu, 100u << 20}) {
    for (uint8_t op : {0, 1, 2}) {
      int fd = connect_to(address);
      if (fd < 0) continue;
      send_all(fd, basp_header(op, len));
      EXPECT_TRUE(closed_by_peer(fd, 5000ms)) << address << " kept a connection claiming " << len;
      ::close(fd);
    }
  }
  std::vector<int> silent;
  for (int i = 0; i < 100; ++i)
    if (int fd = connect_to(address); fd >= 0) silent.push_back(fd);
  return silent;
}

TEST(hostile_peer, daemons_refuse_hostile_bytes_while_a_job_runs) {
  test_cluster c(2, 2, {"--handshake-timeout", "2"});
  std::vector<std::string> texts, args = {"--input"};
  for (uint32_t i = 0; i < 4; ++i) {
    texts.push_back(generate_running_sum_input(61, i, 60000));
    args.push_back(c.dir() / ("in" + std::to_string(i) + ".csv"));
    write_file(args.back(), texts.back());
  }
  args.insert(args.end(), {"--output", c.dir() / "out"});
  auto id = c.submit(
      job_library("running_sum"),
      {"--parallelism", "4", "--checkpoint-interval", "150", "--batch-size", "16", "--credit", "1"},
      args);

  // The job runs (its tasks are connected) before the first hostile byte.
  auto until = std::chrono::steady_clock::now() + 30s;
  while (c.coordinator_process().log().find("checkpoint 1 complete") == std::string::npos &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  std::vector<pid_t> daemons = {c.coordinator_process().pid(), c.node(0).pid()};
  std::vector<uint64_t> before, peak(daemons.size(), 0);
  for (auto pid : daemons) before.push_back(rss_kib(pid));
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      for (size_t i = 0; i < daemons.size(); ++i) peak[i] = std::max(peak[i], rss_kib(daemons[i]));
      std::this_thread::sleep_for(20ms);
    }
  });
  std::mt19937_64 rng(7);
  std::vector<int> silent;
  for (const auto& address : {c.coordinator(), c.node_name(0)}) {
    auto more = attack(address, rng);
    silent.insert(silent.end(), more.begin(), more.end());
  }
  // 200 silent connections: every one is closed by the 2 s handshake timeout.
  size_t closed = 0;
  for (int fd : silent) closed += closed_by_peer(fd, 6000ms);
  for (int fd : silent) ::close(fd);
  EXPECT_EQ(closed, silent.size());
  EXPECT_GE(silent.size(), 150u);

  auto waited = c.client("wait", {id}, {}, 120s);
  sampling = false;
  sampler.join();
  EXPECT_EQ(waited.exit_code, 0) << waited.err;
  auto diff = multiset_difference(expected_running_sums(texts), read_result_lines(c.dir() / "out"));
  EXPECT_TRUE(diff.empty()) << diff;
  auto log = c.coordinator_process().log();
  EXPECT_EQ(log.find("restarting"), std::string::npos) << log;
  EXPECT_NE(log.find("refused a message of"), std::string::npos) << log;
  for (size_t i = 0; i < daemons.size(); ++i) {
    std::cout << "daemon " << i << ": " << before[i] << " KiB before, at most " << peak[i]
              << " KiB during the attack\n";
    EXPECT_LT(peak[i], before[i] + (64 << 10))
        << "daemon " << i << " grew from " << before[i] << " KiB to " << peak[i] << " KiB";
  }
}

}  // namespace
}  // namespace nagare::testing
