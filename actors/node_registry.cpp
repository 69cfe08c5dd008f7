// The coordinator's registry of nodes: who registered with how many slots,
// which are alive (monitored: a lost node's jobs hear of it), and the slots
// jobs hold.
#include <algorithm>

#include "coordinator_state.hpp"
#include "log.hpp"

namespace nagare {

using clock = coordinator_state::clock;

uint32_t on_register(coordinator_self self, const coordinator_ptr& st, const caf::actor& node,
                     uint32_t slots, const std::string& name, const std::string& address) {
  self->monitor(node);
  // A node that comes back on its old address takes its old entry.
  for (uint32_t i = 0; i < st->nodes.size(); ++i) {
    auto& n = st->nodes[i];
    if (n.slots.alive || n.address != address || address == "local") continue;
    n = {node, name, address, {slots, 0, true}, clock::now(), {}};
    NAGARE_LOG(info, "coordinator")
        << "node " << name << " (" << address << ") registered again with " << slots << " slots";
    return i;
  }
  st->nodes.push_back({node, name, address, {slots, 0, true}, clock::now(), {}});
  NAGARE_LOG(info, "coordinator") << "node " << name << " (" << address << ") registered with "
                                  << slots << " slots";
  return static_cast<uint32_t>(st->nodes.size() - 1);
}

void on_node_down(coordinator_self self, const coordinator_ptr& st, const caf::down_msg& m) {
  for (uint32_t i = 0; i < st->nodes.size(); ++i) {
    auto& n = st->nodes[i];
    if (n.handle.address() != m.source || !n.slots.alive) continue;
    n.slots.alive = false;
    n.lost = clock::now();
    NAGARE_LOG(warning, "coordinator") << "node " << n.name << " lost: " << to_string(m.reason);
    for (auto& [id, job] : st->jobs) {
      if (job.ended() ||
          std::find(job.slot_nodes.begin(), job.slot_nodes.end(), i) == job.slot_nodes.end())
        continue;
      self->send(job.master, node_lost_atom::value, n.name);
    }
  }
}

caf::typed_response_promise<std::vector<node_info>> on_nodes(coordinator_self self,
                                                             const coordinator_ptr& st) {
  auto rp = self->make_response_promise<std::vector<node_info>>();
  struct collection {
    std::vector<node_info> nodes;
    size_t pending = 0;
  };
  auto c = std::make_shared<collection>();
  for (uint32_t i = 0; i < st->nodes.size(); ++i) {
    const auto& n = st->nodes[i];
    c->nodes.push_back(
        {i, n.name, n.address, n.slots.used, n.slots.total,
         n.slots.alive ? node_state::alive : node_state::lost,
         std::chrono::duration<double>((n.slots.alive ? clock::now() : n.lost) - n.since).count(),
         node_usage{}});
    if (n.slots.alive) ++c->pending;
  }
  if (c->pending == 0) {
    rp.deliver(c->nodes);
    return rp;
  }
  // Each alive node says what it uses; one that does not answer in time is
  // listed without (usage.known false).
  for (uint32_t i = 0; i < st->nodes.size(); ++i) {
    if (!st->nodes[i].slots.alive) continue;
    auto done = [c, rp]() mutable {
      if (--c->pending == 0) rp.deliver(c->nodes);
    };
    self->request(st->nodes[i].handle, std::chrono::seconds(1), status_atom::value)
        .then(
            [c, i, done](node_usage& u) mutable {
              c->nodes[i].usage = std::move(u);
              done();
            },
            [done](caf::error&) mutable { done(); });
  }
  return rp;
}

std::vector<node_slots> slots_of(const coordinator_state& st) {
  std::vector<node_slots> slots;
  for (const auto& n : st.nodes) slots.push_back(n.slots);
  return slots;
}

slot_assignment take_slots(coordinator_state& st, const std::vector<uint32_t>& assigned) {
  slot_assignment out;
  for (auto n : assigned) {
    ++st.nodes[n].slots.used;
    out.nodes.push_back(st.nodes[n].handle);
    out.names.push_back(st.nodes[n].name);
    out.addresses.push_back(st.nodes[n].address);
  }
  return out;
}

void release_slots(coordinator_state& st, coordinator_state::job_entry& job) {
  for (auto n : job.slot_nodes)
    if (st.nodes[n].slots.used > 0) --st.nodes[n].slots.used;
  job.slot_nodes.clear();
}

}  // namespace nagare
