// The decisions of recovery that need no actor (recovery.cpp runs the rest:
// from a failure to running again). Called on the job master's actor.
#pragma once

#include <cstdint>
#include <string>

#include "checkpoint_coordinator.hpp"
#include "messages.hpp"
#include "restart_policy.hpp"

namespace nagare {

// Where the next attempt restores from: the newest complete checkpoint not
// known to be damaged, or `initial` (the job's start, or the savepoint it
// was submitted from) when there is none.
restore_spec restore_point(const checkpoint_coordinator& cc, const restore_spec& initial);

// An attempt that restored `restored` failed with `error`. When that is
// damage (errc::corruption) of a restored checkpoint, marks in `cc` what it
// spoils: with the damaged snapshot named (`where`) and the checkpoint one
// of job `job_id`'s own, every complete checkpoint whose chain reaches that
// snapshot; otherwise the restored checkpoint alone. True when it marked
// anything (restarts then fall back to an older checkpoint).
bool note_restore_failure(checkpoint_coordinator& cc, uint64_t job_id, const restore_spec& restored,
                          const status& error, const damaged_snapshot& where);

// The reason a job fails with when the policy allows no more restarts.
std::string give_up_reason(const restart_policy& policy, const std::string& reason);

}  // namespace nagare
