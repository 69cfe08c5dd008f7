// The admin shell's checkpoint and recovery commands: checkpoints,
// checkpoint, savepoint, kill and restarts (see commands() for their help).
#include "ids.hpp"
#include "interpreter.hpp"
#include "render.hpp"

namespace nagare::cli::shell {

namespace {

std::string not_a_job(const std::string& text) {
  return "'" + text + "' is not a job id (see `jobs`)";
}

}  // namespace

outcome interpreter::checkpoints(const std::vector<std::string>& args) {
  auto job = parse_id(args[0]);
  if (!job) return error(outcome::usage, not_a_job(args[0]));
  std::optional<uint64_t> id;
  if (args.size() > 1) {
    id = parse_id(args[1]);
    if (!id)
      return error(outcome::usage,
                   "'" + args[1] + "' is not a checkpoint id (see `checkpoints " + args[0] + "`)");
  }
  auto checkpoints = client_.checkpoints(*job);
  if (!checkpoints.ok()) return error(outcome::failed, checkpoints.error().message());
  if (!id) {
    out_ << render_checkpoints(checkpoints.value()) << std::flush;
    return outcome::ok;
  }
  for (const auto& c : checkpoints.value()) {
    if (c.id != *id) continue;
    out_ << render_checkpoint(*job, c) << std::flush;
    return outcome::ok;
  }
  return error(outcome::failed, "job " + args[0] + " has no checkpoint " + args[1] +
                                    " (see `checkpoints " + args[0] + "`)");
}

outcome interpreter::checkpoint(const std::string& job) {
  auto id = parse_id(job);
  if (!id) return error(outcome::usage, not_a_job(job));
  auto c = client_.checkpoint(*id);
  if (!c.ok()) return error(outcome::failed, c.error().message());
  auto line = render_checkpoint_result(*id, c.value());
  if (c->status != checkpoint_status::completed) {
    line.pop_back();  // its newline: error() ends the line
    return error(outcome::failed, line);
  }
  out_ << line << std::flush;
  return outcome::ok;
}

outcome interpreter::savepoint(const std::string& job) {
  auto id = parse_id(job);
  if (!id) return error(outcome::usage, not_a_job(job));
  auto savepoint = client_.savepoint(*id);
  if (!savepoint.ok()) return error(outcome::failed, savepoint.error().message());
  out_ << "savepoint " << savepoint.value() << std::endl;
  return outcome::ok;
}

outcome interpreter::kill(const std::string& actor) {
  if (!valid_actor_id(actor))
    return error(outcome::usage,
                 "'" + actor + "' is not an actor id (JOB.TASK, as `actors JOB` lists them)");
  auto done = client_.kill(actor);
  if (!done.ok()) return error(outcome::failed, done.message());
  out_ << "killed task actor " << actor << std::endl;
  return outcome::ok;
}

outcome interpreter::restarts(const std::string& job) {
  auto id = parse_id(job);
  if (!id) return error(outcome::usage, not_a_job(job));
  auto restarts = client_.restarts(*id);
  if (!restarts.ok()) return error(outcome::failed, restarts.error().message());
  out_ << render_restarts(restarts.value()) << std::flush;
  return outcome::ok;
}

outcome interpreter::savepoints() {
  auto savepoints = client_.savepoints();
  if (!savepoints.ok()) return error(outcome::failed, savepoints.error().message());
  out_ << render_savepoints(savepoints.value()) << std::flush;
  return outcome::ok;
}

}  // namespace nagare::cli::shell
