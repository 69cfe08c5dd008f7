// The states of jobs, tasks, checkpoints, restarts and nodes as they travel
// between actors (job_outcome, job_info, task_info, checkpoint_info,
// restart_info, node_info in messages.hpp). Each is an enum; to_string gives
// the word the shell, the CLI and the job records show (RUNNING, COMPLETED,
// ...). CAF serializes them as their underlying uint8_t: values are appended,
// never renumbered, so that processes of neighbouring builds agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace nagare {

// A job's state: running, or how it ended. `unknown` answers a `wait` for a
// job id the coordinator never had.
enum class job_state : uint8_t { running, finished, failed, canceled, stopped, unknown };

// A task actor as the shell sees it. The task reports created .. finished
// itself; the job master answers restarting (the job is restarting) and
// unreachable (deployed but not answering) for a task that cannot.
enum class task_state : uint8_t {
  created,
  running,
  draining,  // end of stream sent, outputs not yet empty
  ended,     // waits for the final checkpoint
  finished,
  restarting,
  unreachable,
};

enum class checkpoint_kind : uint8_t { checkpoint, savepoint };
enum class checkpoint_status : uint8_t { in_progress, completed, failed };

// What became of a restart: under way, running again, or the job failed.
enum class restart_outcome : uint8_t { restarting, running, gave_up };

enum class node_state : uint8_t { alive, lost };

// The words shown: RUNNING, FINISHED, FAILED, CANCELED, STOPPED, UNKNOWN.
const char* to_string(job_state s);
// CREATED, RUNNING, DRAINING, ENDED, FINISHED, RESTARTING, UNREACHABLE.
const char* to_string(task_state s);
// CHECKPOINT, SAVEPOINT.
const char* to_string(checkpoint_kind k);
// IN_PROGRESS, COMPLETED, FAILED.
const char* to_string(checkpoint_status s);
// RESTARTING, RUNNING, GAVE_UP.
const char* to_string(restart_outcome o);
// ALIVE, LOST.
const char* to_string(node_state s);

// The state a word names (as to_string writes it); nullopt for any other
// text. Job records store the word (schemas/metadata.fbs).
std::optional<job_state> parse_job_state(std::string_view word);

}  // namespace nagare
