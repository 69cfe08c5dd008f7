// The node actor: offers task slots to the coordinator, keeps a cache of job
// libraries (fetched from the coordinator by content hash), builds each job's
// graph once (checking it matches the submitted plan) and spawns the task
// actors it is asked to run. Tasks are linked to their node: when the node
// goes, its tasks go.
//
// Protocol:
//   (deploy_atom, deploy_request)     -> (status, vector<actor> tasks)
//   (status_atom)                      -> node_usage: the process's resources
//   (peers_atom, vector<string> addrs) -> status: connect directly to
//       these nodes (HOST:PORT) so that records between tasks do not travel
//       through the coordinator
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

namespace nagare {

class metric_registry;

struct node_options {
  std::string name;
  std::string address;   // HOST:PORT other nodes reach this one at ("local" in embedded mode)
  std::string data_dir;  // job libraries are cached in DATA_DIR/libraries
                         // and leveldb keyed state lives in DATA_DIR/state
  uint32_t slots = 1;
  // Keep a local copy of every task snapshot in DATA_DIR/snapshots (LevelDB):
  // a task restarted on this node reads it instead of the checkpoint store's.
  bool local_snapshots = true;
  // Where its tasks' metrics are registered (null: none), and the HOST:PORT
  // of the /metrics endpoint that exports them ("" if none).
  std::shared_ptr<metric_registry> metrics;
  std::string metrics_address;
};

// Registers with `coordinator` at start.
caf::behavior node_actor(caf::event_based_actor* self, caf::actor coordinator, node_options opts);

}  // namespace nagare
