#include "interpreter.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>

#include "ids.hpp"
#include "metrics/metric_registry.hpp"
#include "render.hpp"

namespace nagare::cli::shell {

namespace {

// Tab completion must not keep the user waiting long.
constexpr auto completion_timeout = std::chrono::seconds(2);

const command_help* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

std::string usage_of(const command_help& c) {
  return std::string(c.name) + (*c.args ? std::string(" ") + c.args : std::string());
}

}  // namespace

const std::vector<command_help>& commands() {
  static const std::vector<command_help> all = {
      {"nodes", "", "the cluster's nodes: address, slots used/total, state, uptime"},
      {"jobs", "", "every job: state, parallelism, uptime, why it ended"},
      {"actors", "JOB", "the task actors of a running job: chain, node, state, records, queues"},
      {"inspect", "ACTOR",
       "every field of one task actor (ACTOR is JOB.TASK, as `actors` lists it)"},
      {"cancel", "JOB", "cancel a running job"},
      {"checkpoints", "JOB [ID]",
       "a job's checkpoints and savepoints: status, duration, size, alignment; with ID, its "
       "tasks"},
      {"checkpoint", "JOB", "take a checkpoint of a running job now and wait for it"},
      {"savepoint", "JOB", "take a savepoint (a checkpoint kept until deleted); prints its id"},
      {"kill", "ACTOR",
       "fault injection: task actor ACTOR (JOB.TASK) dies as if it crashed (see `restarts`)"},
      {"restarts", "JOB", "a job's restarts: when, why, from which checkpoint, downtime"},
      {"savepoints", "", "every savepoint kept: id, job, when it completed, size"},
      {"help", "[COMMAND]", "list the commands, or describe one"},
      {"quit", "", "leave the shell (also `exit` or Ctrl-D)"},
  };
  return all;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

outcome interpreter::error(outcome kind, const std::string& message) {
  err_ << "error: " << message << std::endl;
  return kind;
}

outcome interpreter::run(const std::string& line) {
  auto words = split_words(line);
  if (words.empty() || words[0][0] == '#') return outcome::ok;
  const std::string name = words[0] == "exit" ? "quit" : words[0];
  const auto* command = find_command(name);
  if (!command) return error(outcome::usage, "unknown command '" + name + "' (try `help`)");
  std::vector<std::string> args(words.begin() + 1, words.end());
  // "JOB [ID]": one required argument, one optional.
  size_t required = 0, most = 0;
  for (const auto& a : split_words(command->args)) {
    ++most;
    if (a[0] != '[') ++required;
  }
  if (args.size() > most || args.size() < required)
    return error(outcome::usage, "usage: " + (name == words[0] ? usage_of(*command) : words[0]));
  if (name == "quit") return outcome::quit;
  if (name == "help") return help(args);
  if (name == "nodes") return nodes();
  if (name == "jobs") return jobs();
  if (name == "actors") return actors(args[0]);
  if (name == "inspect") return inspect(args[0]);
  if (name == "cancel") return cancel(args[0]);
  if (name == "checkpoints") return checkpoints(args);
  if (name == "checkpoint") return checkpoint(args[0]);
  if (name == "savepoint") return savepoint(args[0]);
  if (name == "kill") return kill(args[0]);
  if (name == "restarts") return restarts(args[0]);
  if (name == "savepoints") return savepoints();
  return error(outcome::failed, "command '" + name + "' is not implemented");
}

outcome interpreter::nodes() {
  auto nodes = client_.nodes();
  if (!nodes.ok()) return error(outcome::failed, nodes.error().message());
  out_ << render_nodes(nodes.value()) << std::flush;
  return outcome::ok;
}

outcome interpreter::jobs() {
  auto jobs = client_.jobs();
  if (!jobs.ok()) return error(outcome::failed, jobs.error().message());
  out_ << render_jobs(jobs.value(), unix_now_s()) << std::flush;
  return outcome::ok;
}

outcome interpreter::actors(const std::string& job) {
  auto id = parse_id(job);
  if (!id) return error(outcome::usage, "'" + job + "' is not a job id (see `jobs`)");
  auto tasks = client_.actors(*id);
  if (!tasks.ok()) return error(outcome::failed, tasks.error().message());
  out_ << render_actors(tasks.value()) << std::flush;
  return outcome::ok;
}

outcome interpreter::inspect(const std::string& actor) {
  if (!valid_actor_id(actor))
    return error(outcome::usage,
                 "'" + actor + "' is not an actor id (JOB.TASK, as `actors JOB` lists them)");
  auto task = client_.inspect(actor);
  if (!task.ok()) return error(outcome::failed, task.error().message());
  out_ << render_task(task.value()) << std::flush;
  return outcome::ok;
}

outcome interpreter::cancel(const std::string& job) {
  auto id = parse_id(job);
  if (!id) return error(outcome::usage, "'" + job + "' is not a job id (see `jobs`)");
  auto done = client_.cancel(*id);
  if (!done.ok()) return error(outcome::failed, done.message());
  out_ << "job " << *id << " cancelled" << std::endl;
  return outcome::ok;
}

outcome interpreter::help(const std::vector<std::string>& topics) {
  if (!topics.empty()) {
    const auto* c = find_command(topics[0] == "exit" ? "quit" : topics[0]);
    if (!c) return error(outcome::usage, "unknown command '" + topics[0] + "' (try `help`)");
    out_ << usage_of(*c) << "\n  " << c->summary << std::endl;
    return outcome::ok;
  }
  size_t width = 0;
  for (const auto& c : commands()) width = std::max(width, usage_of(c).size());
  for (const auto& c : commands()) {
    auto u = usage_of(c);
    out_ << "  " << u << std::string(width - u.size() + 2, ' ') << c.summary << '\n';
  }
  out_ << std::flush;
  return outcome::ok;
}

std::vector<std::string> interpreter::complete(const std::string& before_cursor) {
  auto words = split_words(before_cursor);
  bool new_word =
      before_cursor.empty() || std::isspace(static_cast<unsigned char>(before_cursor.back()));
  size_t position = new_word ? words.size() : words.size() - 1;
  std::vector<std::string> out;
  if (position == 0 || (position == 1 && words[0] == "help")) {
    for (const auto& c : commands()) out.push_back(c.name);
    if (position == 0) out.push_back("exit");
    return out;
  }
  const auto& command = words[0];
  if (position == 2 && command == "checkpoints") {
    auto job = parse_id(words[1]);
    if (!job) return out;
    auto checkpoints = client_.checkpoints(*job, completion_timeout);
    if (!checkpoints.ok()) return out;
    for (const auto& c : checkpoints.value()) out.push_back(std::to_string(c.id));
    return out;
  }
  if (position != 1) return out;
  bool takes_actor = command == "inspect" || command == "kill";
  bool any_job = command == "checkpoints" || command == "restarts";
  bool running_job = command == "actors" || command == "cancel" || command == "checkpoint" ||
                     command == "savepoint";
  if (any_job || running_job ||
      (takes_actor && (new_word || words[1].find('.') == std::string::npos))) {
    auto jobs = client_.jobs(completion_timeout);
    if (!jobs.ok()) return out;
    for (const auto& j : jobs.value())
      if (any_job || j.state == job_state::running)
        out.push_back(std::to_string(j.id) + (takes_actor ? "." : ""));
  } else if (takes_actor) {
    auto job = parse_id(words[1].substr(0, words[1].find('.')));
    if (!job) return out;
    auto tasks = client_.actors(*job, completion_timeout);
    if (!tasks.ok()) return out;
    for (const auto& t : tasks.value()) out.push_back(t.id);
  }
  return out;
}

}  // namespace nagare::cli::shell
