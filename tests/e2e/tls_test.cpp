// Mutual TLS and roles end to end, with real processes: a cluster whose
// every process holds a certificate of the test CA. Peers without a
// certificate, with one of another CA, with an expired one, or with a role
// the daemon does not talk to are refused by the coordinator and by a node
// (probed with `openssl s_client`, an independent TLS client, and with the
// nagare binary); a viewer cannot cancel, an operator cannot submit, and the
// coordinator's audit log names the client of every action, also for the
// REST API over HTTPS; a job survives kill -9 of a node with TLS on and gives
// the failure-free output.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "cluster.hpp"
#include "input_dir.hpp"
#include "job_waits.hpp"
#include "process.hpp"
#include "running_sum_reference.hpp"
#include "test_certs.hpp"

namespace nagare::testing {
namespace {

using namespace std::chrono_literals;

// httplib's TLS client writes with OpenSSL: a server that hangs up on a
// refused client must not end the test with SIGPIPE.
const bool sigpipe_ignored = (std::signal(SIGPIPE, SIG_IGN), true);

// Waits until `log()` contains `text`; false after `deadline`.
template <class Log>
bool await_text(Log&& log, const std::string& text, std::chrono::seconds deadline = 10s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (log().find(text) == std::string::npos) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// `openssl s_client` to HOST:PORT trusting `ca`, presenting `who` (none when
// empty); it sends nothing and hangs up.
process_result probe(const std::string& address, const std::string& ca, const cert_files& who) {
  std::string cmd = "openssl s_client -connect " + address + " -tls1_3 -CAfile " + ca;
  if (!who.cert.empty()) cmd += " -cert " + who.cert + " -key " + who.key;
  return run_process({"/bin/sh", "-c", cmd + " </dev/null"}, 20s);
}

struct tls_fixture {
  temp_dir certs;
  test_ca ca{certs.path(), "cluster"};
  test_ca other{certs.path(), "other"};
};

// Each probe is refused, and the daemon says why, naming the peer's address
// (refusals are logged at most once a second: the probes are spaced).
void expect_refusals(daemon_process& daemon, const std::string& address, tls_fixture& f,
                     bool node) {
  struct attempt {
    const char* what;
    cert_files who;
    std::string reason;
  };
  std::vector<attempt> attempts = {
      {"no certificate", {}, "peer did not return a certificate"},
      {"another CA", f.other.issue("intruder", "submitter"),
       "its certificate: unable to get local issuer certificate"},
      {"expired", f.ca.issue("expired", "submitter", -7200, -3600),
       "its certificate: certificate has expired"},
  };
  if (node)  // a valid client certificate: nodes talk to nodes and the coordinator only
    attempts.push_back({"a client's certificate", f.ca.issue("viewer-at-node", "viewer"),
                        "is not a node's or the coordinator's"});
  for (const auto& a : attempts) {
    std::this_thread::sleep_for(1100ms);
    auto before = daemon.log().size();
    probe(address, f.ca.ca(), a.who);
    EXPECT_TRUE(await_text([&] { return daemon.log().substr(before); }, a.reason))
        << a.what << " at " << address << ":\n"
        << daemon.log().substr(before);
    EXPECT_NE(daemon.log().find("refused the connection from 127.0.0.1:", before),
              std::string::npos)
        << a.what;
  }
  EXPECT_TRUE(daemon.running());
}

TEST(tls, daemons_refuse_peers_without_a_valid_certificate) {
  tls_fixture f;
  test_cluster c(1, 1, {}, &f.ca);
  EXPECT_NE(c.coordinator_process().log().find("mutual TLS as"), std::string::npos);
  expect_refusals(c.coordinator_process(), c.coordinator(), f, false);
  expect_refusals(c.node(0), c.node_name(0), f, true);

  // The nagare binary as a client: without certificates (plaintext), with
  // another CA's, with an expired one.
  auto plain = c.client_as({}, "list", {}, {}, 20s);
  EXPECT_NE(plain.exit_code, 0);
  EXPECT_NE(plain.err.find("cannot reach the coordinator"), std::string::npos) << plain.err;
  auto foreign = c.client_as(f.other.args(f.other.issue("stranger", "submitter")), "list", {});
  EXPECT_NE(foreign.exit_code, 0);
  EXPECT_NE(foreign.err.find("cannot reach the coordinator"), std::string::npos) << foreign.err;
  auto expired = c.client_as(f.ca.args(f.ca.issue("late", "submitter", -7200, -3600)), "list", {});
  EXPECT_EQ(expired.exit_code, 2);
  EXPECT_NE(expired.err.find("certificate has expired"), std::string::npos) << expired.err;

  // A node with another CA's certificate does not get in; nor one without.
  for (auto tls : {f.other.args(f.other.issue("rogue-node", "node")), std::vector<std::string>{}}) {
    std::vector<std::string> argv = {
        nagare_bin(), "node",       "--coordinator",   c.coordinator(),       "--slots",
        "1",          "--data-dir", c.dir() / "rogue", "--reconnect-timeout", "0"};
    argv.insert(argv.end(), tls.begin(), tls.end());
    auto r = run_process(argv, 30s);
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("cannot reach the coordinator"), std::string::npos) << r.err;
  }
  auto nodes = c.client("shell", {"-c", "nodes"});
  EXPECT_EQ(nodes.out.find("rogue"), std::string::npos) << nodes.out;
}

TEST(tls, roles_decide_what_a_client_may_do_and_the_audit_log_names_who) {
  tls_fixture f;
  test_cluster c(1, 2, {}, &f.ca);
  auto viewer = f.ca.args(f.ca.issue("vera", "viewer"));
  auto operator_ = f.ca.args(f.ca.issue("olga", "operator"));
  input_dir in(c.dir() / "in");
  in.add(5, 0, 1000);
  auto out = c.dir() / "out";
  // Submitted by "tester" (a submitter); it runs until cancelled.
  auto id = c.submit(job_library("running_sum"), {"--parallelism", "1"},
                     {"--input-dir", in.path(), "--discovery-ms", "50", "--output", out});

  auto listed = c.client_as(viewer, "list", {});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("RUNNING"), std::string::npos) << listed.out;
  auto cancel = c.client_as(viewer, "cancel", {id});
  EXPECT_EQ(cancel.exit_code, 1);
  EXPECT_NE(cancel.err.find("needs the operator or submitter role"), std::string::npos)
      << cancel.err;
  auto savepoint = c.client_as(viewer, "savepoint", {id});
  EXPECT_NE(savepoint.exit_code, 0);
  EXPECT_NE(savepoint.err.find("needs the operator or submitter role"), std::string::npos)
      << savepoint.err;
  EXPECT_NE(c.client("list", {}).out.find("RUNNING"), std::string::npos);

  auto submit = c.client_as(operator_, "submit", {job_library("running_sum")},
                            {"--input-dir", in.path(), "--output", c.dir() / "out2"});
  EXPECT_EQ(submit.exit_code, 1);
  EXPECT_NE(submit.err.find("needs the submitter role"), std::string::npos) << submit.err;
  auto cancelled = c.client_as(operator_, "cancel", {id});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
  auto waited = c.client_as(viewer, "wait", {id});
  EXPECT_NE(waited.err.find("job " + id + " CANCELED"), std::string::npos) << waited.err;

  // The audit log: who asked what, allowed or refused.
  auto log = c.coordinator_process().log();
  for (const auto& line : {"allowed submit job 'running_sum' (" + job_library("running_sum"),
                           std::string("for client 'tester' (submitter, 127.0.0.1:"),
                           "refused cancel job " + id + " for client 'vera' (viewer, 127.0.0.1:",
                           "refused savepoint job " + id + " for client 'vera' (viewer, 127.0.0.1:",
                           std::string("refused submit job 'running_sum'"),
                           std::string("for client 'olga' (operator, 127.0.0.1:"),
                           "allowed cancel job " + id + " for client 'olga' (operator, 127.0.0.1:"})
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
}

// The REST API over HTTPS: a client certificate of the CA is required, a
// viewer reads but cannot cancel, an operator cancels, and both are audited.
TEST(tls, rest_api_serves_https_with_the_same_roles) {
  tls_fixture f;
  test_cluster c(1, 2, {}, &f.ca);
  input_dir in(c.dir() / "in");
  in.add(6, 0, 1000);
  auto id =
      c.submit(job_library("running_sum"), {"--parallelism", "1"},
               {"--input-dir", in.path(), "--discovery-ms", "50", "--output", c.dir() / "out"});
  auto colon = c.web().rfind(':');
  auto host = c.web().substr(0, colon);
  int port = std::stoi(c.web().substr(colon + 1));
  // The server's certificate names no host: the client checks the CA, not the name.
  auto as = [&](const cert_files& who) {
    auto client = std::make_unique<httplib::SSLClient>(host, port, who.cert, who.key);
    client->enable_server_certificate_verification(false);
    client->set_connection_timeout(10);
    return client;
  };
  auto vera = f.ca.issue("vera", "viewer");
  auto olga = f.ca.issue("olga", "operator");

  httplib::SSLClient anonymous(host, port);
  anonymous.enable_server_certificate_verification(false);
  EXPECT_FALSE(anonymous.Get("/v1/jobs")) << "no client certificate: no answer";
  auto foreign_cert = f.other.issue("stranger", "operator");
  EXPECT_FALSE(as(foreign_cert)->Get("/v1/jobs")) << "another CA's certificate: no answer";
  httplib::Client plain(host, port);
  auto plain_reply = plain.Get("/v1/jobs");
  EXPECT_TRUE(!plain_reply || plain_reply->status == 400) << "plain HTTP is not served";

  auto jobs = as(vera)->Get("/v1/jobs");
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->status, 200);
  EXPECT_NE(jobs->body.find("RUNNING"), std::string::npos) << jobs->body;
  auto refused = as(vera)->Post("/v1/jobs/" + id + "/cancel");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  EXPECT_NE(refused->body.find("needs the operator or submitter role"), std::string::npos)
      << refused->body;
  auto cancelled = as(olga)->Post("/v1/jobs/" + id + "/cancel");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 200) << cancelled->body;
  auto waited = c.client("wait", {id});
  EXPECT_NE(waited.err.find("job " + id + " CANCELED"), std::string::npos) << waited.err;

  auto log = c.coordinator_process().log();
  EXPECT_NE(log.find("dashboard and REST API at https://"), std::string::npos) << log;
  for (const auto& line :
       {"refused cancel job " + id + " (web) for client 'vera' (viewer, 127.0.0.1:",
        "allowed cancel job " + id + " (web) for client 'olga' (operator, 127.0.0.1:"})
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
}

// kill -9 of a node in the middle of a checkpointed run on two nodes, every
// connection TLS: the output equals the failure-free output.
TEST(tls, job_recovers_from_a_node_kill_with_tls_on) {
  tls_fixture f;
  test_cluster c(2, 2, {}, &f.ca);
  std::vector<std::string> texts, paths;
  for (uint32_t i = 0; i < 4; ++i) {
    texts.push_back(generate_running_sum_input(71, i, 40000));
    paths.push_back(c.dir() / ("in" + std::to_string(i) + ".csv"));
    write_file(paths.back(), texts.back());
  }
  auto out = c.dir() / "out";
  std::vector<std::string> args = {"--input"};
  args.insert(args.end(), paths.begin(), paths.end());
  args.insert(args.end(), {"--output", out});
  auto id = c.submit(job_library("running_sum"), slow_job_options("fixed-delay:100:5"), args);
  ASSERT_TRUE(await_checkpoints(c, id, 1)) << c.coordinator_process().log();
  c.node(1).kill9();
  expect_finished(c, id);
  auto diff = multiset_difference(expected_running_sums(texts), read_result_lines(out));
  EXPECT_TRUE(diff.empty()) << diff;
  EXPECT_NE(c.coordinator_process().log().find("restarting (attempt 1) from checkpoint "),
            std::string::npos);
}

}  // namespace
}  // namespace nagare::testing
