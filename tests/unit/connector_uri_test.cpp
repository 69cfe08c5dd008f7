// Connector URIs (nagare/connector_uri.hpp) and what the connector helper
// builds from them (nagare/connector.hpp): forms, options, one-line errors.
#include <gtest/gtest.h>

#include <nagare/connector.hpp>

#include <vector>

#include "secret.hpp"

namespace nagare {
namespace {

using kind = connector_uri::kind;

TEST(connector_uri, files_directories_and_standard_streams) {
  auto plain = parse_connector_uri("/data/in.csv");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->type, kind::file);
  EXPECT_EQ(plain->path, "/data/in.csv");
  EXPECT_EQ(parse_connector_uri("file:rel/in.csv")->path, "rel/in.csv");
  EXPECT_EQ(parse_connector_uri("file:///abs/in.csv")->path, "/abs/in.csv");
  EXPECT_EQ(parse_connector_uri("dir:/incoming")->type, kind::directory);
  EXPECT_EQ(parse_connector_uri("stdout:")->type, kind::standard_output);
  EXPECT_EQ(parse_connector_uri("stderr:")->type, kind::standard_error);
  EXPECT_EQ(parse_connector_uri("a/b:c")->path, "a/b:c") << "a colon after a slash is a path";
}

TEST(connector_uri, kafka_servers_topics_and_options) {
  auto u = parse_connector_uri("kafka://h1:9092,h2:9093/in,other?start=latest&group=g%201&x.y=z");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->type, kind::kafka);
  EXPECT_EQ(u->servers, "h1:9092,h2:9093");
  EXPECT_EQ(u->topics, (std::vector<std::string>{"in", "other"}));
  ASSERT_NE(u->option("group"), nullptr);
  EXPECT_EQ(*u->option("group"), "g 1");
  EXPECT_EQ(*u->option("x.y"), "z");
  EXPECT_EQ(u->option("stop"), nullptr);
  auto pattern = parse_connector_uri("kafka://h:1/?pattern=events-.*");
  ASSERT_TRUE(pattern.ok());
  EXPECT_TRUE(pattern->topics.empty());
}

TEST(connector_uri, malformed_ones_are_one_line_errors) {
  for (const char* bad :
       {"", "kafka://h:1", "kafka:///t", "kafka://h/t", "kafka://h:x/t", "kafka://h:1/",
        "kafka://h:1/t?start", "kafka://h:1/t?a=%zz", "s3:bucket/key", "file:", "redis://h",
        "redis://h:0", "redis://h:99999", "redis://:1", "redis://h:1?hash", "postgresql://h:1",
        "postgresql://h:1/", "postgresql://u:secret@h:1/db", "postgresql://@h:1/db"}) {
    auto u = parse_connector_uri(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.error().message().find('\n'), std::string::npos) << bad;
    }
  }
  EXPECT_EQ(parse_connector_uri("s3:bucket/key").error().message(),
            "'s3:bucket/key': unknown connector 's3:' (PATH, file:PATH, dir:PATH, kafka://..., "
            "redis://..., postgresql://..., stdout:, stderr:)");
  EXPECT_EQ(parse_connector_uri("postgresql://u:pw@h:1/db").error().message(),
            "'postgresql://u:***@h:1/db' is not a postgresql URI: a password does not belong in a "
            "URI (use PGPASSWORD or ~/.pgpass) (expected "
            "postgresql://[USER@]HOST:PORT/DATABASE?table=TABLE[&OPTIONS])");
}

// A password given in a URI anyway is refused, and neither the error nor
// the URI's text (shown in logs, the shell and the dashboard) holds it.
TEST(connector_uri, secrets_are_refused_and_never_shown) {
  struct refused {
    const char* uri;
    const char* shown;
    const char* why;
  };
  for (const auto& r : std::vector<refused>{
           {"redis://:hunter2@h:1/s", "redis://:***@h:1/s", "a password does not belong in a URI"},
           {"redis://app:hunter2@h:1", "redis://app:***@h:1", "a password does not belong"},
           {"postgres://app:hunter2@h:1/db?table=t", "postgres://app:***@h:1/db?table=t",
            "a password does not belong"},
           {"kafka://h:1/t?sasl.username=app&sasl.password=hunter2",
            "kafka://h:1/t?sasl.username=app&sasl.password=***",
            "sasl.password does not belong in a URI"},
           {"kafka://h:1/t?ssl.key.password=hunter2&group=g",
            "kafka://h:1/t?ssl.key.password=***&group=g", "ssl.key.password does not belong"}}) {
    auto u = parse_connector_uri(r.uri);
    ASSERT_FALSE(u.ok()) << r.uri;
    const auto& m = u.error().message();
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
    EXPECT_NE(m.find(std::string("'") + r.shown + "'"), std::string::npos) << m;
    EXPECT_NE(m.find(r.why), std::string::npos) << m;
  }
  // An accepted URI's text is masked too (a SASL user name is no secret).
  auto u = parse_connector_uri("kafka://h:1/t?sasl.username=app&group=g");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->text, "kafka://h:1/t?sasl.username=app&group=g");
  EXPECT_EQ(masked_uri("redis://h:1?token=abc&x=1&client.secret=s"),
            "redis://h:1?token=***&x=1&client.secret=***");
  EXPECT_EQ(masked_uri("kafka://a:1,b:2/t"), "kafka://a:1,b:2/t");
}

TEST(connector_uri, redis_names_a_server_and_streams) {
  auto u = parse_connector_uri("redis://127.0.0.1:6380/orders,clicks%2Fa?hash=customers");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->type, connector_uri::kind::redis);
  EXPECT_EQ(u->host(), "127.0.0.1");
  EXPECT_EQ(u->port(), 6380);
  EXPECT_EQ(u->topics, (std::vector<std::string>{"orders", "clicks/a"}));
  ASSERT_NE(u->option("hash"), nullptr);
  EXPECT_EQ(*u->option("hash"), "customers");
  auto bare = parse_connector_uri("redis://localhost:6379");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->topics.empty());
}

TEST(connector_uri, postgresql_names_user_server_database_and_table) {
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    auto u = parse_connector_uri(std::string(scheme) +
                                 "nagare@db.example:5433/shop?table=customers&key=id&value=region");
    ASSERT_TRUE(u.ok()) << u.error().message();
    EXPECT_EQ(u->type, connector_uri::kind::postgresql);
    EXPECT_EQ(u->user, "nagare");
    EXPECT_EQ(u->host(), "db.example");
    EXPECT_EQ(u->port(), 5433);
    EXPECT_EQ(u->database, "shop");
    EXPECT_EQ(*u->option("value"), "region");
  }
  auto anonymous = parse_connector_uri("postgresql://127.0.0.1:5432/postgres?table=t");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->user, "");
}

TEST(connector_uri, side_outputs_follow_the_output) {
  EXPECT_EQ(side_output_uri("/out", "late"), "/out/late");
  EXPECT_EQ(side_output_uri("/out", "_dead-letter"), "/out/_dead-letter");
  EXPECT_EQ(side_output_uri("kafka://h:1/out?delivery=none", "_dead-letter"),
            "kafka://h:1/out-dead-letter?delivery=none");
  EXPECT_EQ(side_output_uri("stdout:", "late"), "stderr:");
  EXPECT_EQ(side_output_uri("postgresql://u@h:5432/db?table=t", "late"), "stderr:");
  EXPECT_EQ(side_output_uri("redis://h:6379?hash=h", "_dead-letter"), "stderr:");
}

TEST(connector, sources_and_sinks_check_their_options) {
  EXPECT_TRUE(line_source::from_uris({"a.csv", "file:b.csv"}).ok());
  EXPECT_TRUE(line_source::from_uris({"kafka://h:1/t?start=123&stop=latest&group=g"}).ok());
  auto mixed = line_source::from_uris({"a.csv", "kafka://h:1/t"});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().message(),
            "input 'kafka://h:1/t' must be the only one (only files combine)");
  auto bad_start = line_source::from_uris({"kafka://h:1/t?start=soon"});
  ASSERT_FALSE(bad_start.ok());
  EXPECT_EQ(bad_start.error().message(),
            "input 'kafka://h:1/t?start=soon': start='soon' is not earliest, latest, committed or "
            "a timestamp in ms");
  EXPECT_FALSE(line_source::from_uris({"kafka://h:1/t?start=committed"}).ok())
      << "committed offsets need a group";
  EXPECT_FALSE(line_source::from_uris({"kafka://h:1/t?colour=red"}).ok());
  EXPECT_FALSE(line_source::from_uris({"stdout:"}).ok());

  auto fmt = default_formatter<std::string>();
  EXPECT_TRUE(uri_sink<std::string>::from_uri("kafka://h:1/t?delivery=at-least-once", fmt).ok());
  auto delivery = uri_sink<std::string>::from_uri("kafka://h:1/t?delivery=twice", fmt);
  ASSERT_FALSE(delivery.ok());
  EXPECT_EQ(delivery.error().message(),
            "output 'kafka://h:1/t?delivery=twice': delivery='twice' is not exactly-once, "
            "at-least-once or none");
  EXPECT_FALSE(uri_sink<std::string>::from_uri("kafka://h:1/a,b", fmt).ok());
  EXPECT_FALSE(uri_sink<std::string>::from_uri("dir:/x", fmt).ok());
  auto out = uri_sink<std::string>::from_uri("stdout:", fmt);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->guarantee(), delivery_guarantee::at_least_once);
  EXPECT_EQ(uri_sink<std::string>::from_uri("/tmp/x", fmt)->guarantee(),
            delivery_guarantee::exactly_once);
}

}  // namespace
}  // namespace nagare
