// Who may do what (actors/authz.hpp) and the book of node ids bound to
// certificates (actors/net/peer_identity.hpp), without a network: the role
// matrix of the issue, one node id per certificate, and the refcount of a
// binding held by several connections.
#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "authz.hpp"
#include "net/peer_identity.hpp"

namespace nagare {
namespace {

peer_identity client(peer_role role, const std::string& name = "alice") {
  peer_identity who;
  who.how = peer_identity::kind::certificate;
  who.name = name;
  who.subject = "/O=nagare/OU=" + std::string(to_string(role)) + "/CN=" + name;
  who.role = role;
  who.address = "10.0.0.5:51234";
  return who;
}

TEST(authz, each_role_may_do_what_the_issue_says) {
  struct row {
    peer_role role;
    bool read, operate, submit, join, deploy, internal;
  };
  for (auto r : std::vector<row>{
           {peer_role::viewer, true, false, false, false, false, false},
           {peer_role::operator_, true, true, false, false, false, false},
           {peer_role::submitter, true, true, true, false, false, false},
           {peer_role::node, true, false, false, true, false, false},
           {peer_role::coordinator, true, true, true, false, true, false},
           {peer_role::none, false, false, false, false, false, false},
       }) {
    auto who = client(r.role);
    SCOPED_TRACE(to_string(r.role));
    EXPECT_EQ(authorize(who, action::read).ok(), r.read);
    EXPECT_EQ(authorize(who, action::operate).ok(), r.operate);
    EXPECT_EQ(authorize(who, action::submit).ok(), r.submit);
    EXPECT_EQ(authorize(who, action::join).ok(), r.join);
    EXPECT_EQ(authorize(who, action::deploy).ok(), r.deploy);
    EXPECT_EQ(authorize(who, action::internal).ok(), r.internal);
  }
}

TEST(authz, refusals_name_the_needed_role_and_the_client) {
  auto no = authorize(client(peer_role::viewer, "vera"), action::operate);
  EXPECT_EQ(no.code(), errc::permission_denied);
  EXPECT_EQ(no.message(),
            "needs the operator or submitter role; client 'vera' (viewer, 10.0.0.5:51234) has the "
            "viewer role");
}

TEST(authz, local_and_plaintext_peers_and_unknown_senders) {
  peer_identity local;
  local.how = peer_identity::kind::local;
  peer_identity plain;
  plain.how = peer_identity::kind::plaintext;
  plain.address = "127.0.0.1:4000";
  peer_identity unknown;
  for (auto a : {action::read, action::operate, action::submit, action::join, action::deploy}) {
    EXPECT_TRUE(authorize(local, a).ok());
    EXPECT_TRUE(authorize(plain, a).ok());
    EXPECT_FALSE(authorize(unknown, a).ok());
  }
  EXPECT_TRUE(authorize(local, action::internal).ok());
  EXPECT_FALSE(authorize(plain, action::internal).ok());
}

TEST(authz, roles_come_from_the_organizational_unit_only) {
  EXPECT_EQ(role_of_unit("operator"), peer_role::operator_);
  EXPECT_EQ(role_of_unit("submitter"), peer_role::submitter);
  EXPECT_EQ(role_of_unit("Operator"), peer_role::none);
  EXPECT_EQ(role_of_unit("admin"), peer_role::none);
  EXPECT_EQ(role_of_unit(""), peer_role::none);
}

TEST(peer_book, a_node_id_belongs_to_the_certificate_that_claimed_it_first) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto node = sys.node();  // any node id will do
  peer_book book;
  auto alice = client(peer_role::submitter, "alice");
  auto mallory = client(peer_role::viewer, "mallory");
  ASSERT_TRUE(book.bind(node, alice).ok());
  ASSERT_TRUE(book.bind(node, alice).ok());  // a second connection of alice's
  auto stolen = book.bind(node, mallory);
  EXPECT_EQ(stolen.code(), errc::permission_denied);
  EXPECT_NE(stolen.message().find("client 'alice'"), std::string::npos) << stolen.message();
  book.unbind(node);
  ASSERT_TRUE(book.find(node));
  EXPECT_EQ(book.find(node)->name, "alice");  // one connection still holds it
  book.unbind(node);
  EXPECT_FALSE(book.find(node));
  EXPECT_TRUE(book.bind(node, mallory).ok());  // free again
}

}  // namespace
}  // namespace nagare
