#include "checkpoint_store_actor.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "log.hpp"

namespace nagare {

namespace {

// A failure as replied: its message is never empty (the code's name then).
status failure(const status& st) {
  if (st.ok() || !st.message().empty()) return st;
  return status(st.code(), to_string(st.code()));
}

// The readable records; the damaged ones are logged.
std::vector<checkpoint_record> records_of(checkpoint_listing& listing) {
  for (const auto& why : listing.damaged) NAGARE_LOG(warning, "checkpoints") << why;
  return std::move(listing.checkpoints);
}

caf::behavior store_actor(caf::event_based_actor*, std::shared_ptr<checkpoint_store> store) {
  return {
      [store](store_atom, const snapshot_upload& u) {
        return failure(store->put_snapshot_chunk(u.job_id, u.checkpoint, u.task, u.chunk, u.chunks,
                                                 u.bytes, u.needs, true));
      },
      [store](load_atom, uint64_t job, uint64_t checkpoint, uint32_t task, uint32_t chunk) {
        auto piece = store->snapshot_chunk(job, checkpoint, task, chunk);
        if (!piece.ok()) return std::make_tuple(failure(piece.error()), uint32_t{0}, std::string{});
        return std::make_tuple(status{}, piece->chunks, std::move(piece->bytes));
      },
      [store](complete_atom, const checkpoint_record& record, uint32_t retained) {
        auto st = store->complete(record);
        if (!st.ok()) return failure(st);
        auto kept = store->retain(record.job_id, std::max<uint32_t>(1, retained));
        if (!kept.ok())
          NAGARE_LOG(warning, "checkpoints")
              << "job " << record.job_id << ": cannot delete old checkpoints: " << kept.message();
        return status{};
      },
      [store](load_atom, uint64_t job) {
        auto listing = store->completed(job);
        if (!listing.ok())
          return std::make_tuple(failure(listing.error()), std::vector<checkpoint_record>{});
        return std::make_tuple(status{}, records_of(listing.value()));
      },
      [store](load_atom, const std::string& id) {
        auto s = store->savepoint(id);
        if (!s.ok()) return std::make_tuple(failure(s.error()), checkpoint_record{});
        return std::make_tuple(status{}, std::move(s.value()));
      },
      [store](load_atom, savepoint_atom) {
        auto listing = store->savepoints();
        if (!listing.ok())
          return std::make_tuple(failure(listing.error()), std::vector<checkpoint_record>{});
        return std::make_tuple(status{}, records_of(listing.value()));
      },
      [store](highest_atom, uint64_t job) {
        auto id = store->highest_id(job);
        if (!id.ok()) return std::make_tuple(failure(id.error()), uint64_t{0});
        return std::make_tuple(status{}, id.value());
      },
      [store](drop_atom, uint64_t job) { return failure(store->drop_job(job)); },
  };
}

}  // namespace

caf::actor spawn_checkpoint_store(caf::actor_system& sys, std::shared_ptr<checkpoint_store> store) {
  return sys.spawn<caf::detached>(store_actor, std::move(store));
}

}  // namespace nagare
