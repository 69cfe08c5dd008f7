// A request to the coordinator that may take long: a savepoint, a checkpoint
// triggered by hand, stopping a job. A blocking request(...).receive(...)
// would not see the coordinator die meanwhile: it waits out its timeout
// (CAF-NOTES §1). So the request is sent from a fresh actor that monitors the
// coordinator, and the wait ends at once on its down_msg (a killed
// coordinator: about 1 ms; a hung one: the 10 s connection timeout). A reply
// that comes after the timeout finds that actor gone and is dropped, so it can
// never be taken for the answer to a later request.
#pragma once

#include <caf/all.hpp>
#include <chrono>
#include <string>
#include <utility>

#include "nagare/status.hpp"

namespace nagare::cli {

// Sends (xs...) to `coordinator` and waits up to `timeout` for the reply,
// which goes to `on_reply` (its parameters name the reply's types). When
// there is none, an io_error saying why: "lost the coordinator (...)", "no
// reply within ..." or the error the coordinator answered with. When the
// coordinator's proxy went down, `*lost` (unless null) gets why, e.g. "it
// became unreachable"; it is left alone otherwise.
// Blocks the calling thread: call it from a plain thread, never from an actor.
template <class OnReply, class... Ts>
status long_request(caf::actor_system& sys, const caf::actor& coordinator, caf::timespan timeout,
                    std::string* lost, OnReply on_reply, Ts&&... xs) {
  caf::scoped_actor self{sys};
  self->monitor(coordinator);
  // Sent, not requested: the reply is then an ordinary message, which the
  // same receive matches as well as the down_msg.
  self->send(coordinator, std::forward<Ts>(xs)...);
  status outcome;
  self->receive(
      on_reply,
      [&](caf::error& e) {
        outcome = status::io_error("the coordinator answered with an error: " + sys.render(e));
      },
      [&](caf::down_msg& m) {
        auto why = m.reason == caf::exit_reason::remote_link_unreachable ? "it became unreachable"
                   : m.reason                                            ? sys.render(m.reason)
                              : std::string("it shut down");
        outcome = status::io_error("lost the coordinator (" + why + ")");
        if (lost) *lost = why;
      },
      caf::after(timeout) >>
          [&] {
            auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
            outcome = status::io_error("the coordinator did not answer: no reply within " +
                                       std::to_string(s) + "s");
          });
  return outcome;
}

}  // namespace nagare::cli
