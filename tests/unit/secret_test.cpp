// Credentials from the environment (secret.hpp): the variable, else the
// first line of the file NAME_FILE names; errors name the variable and the
// file, never the secret.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kafka/kafka_config.hpp"
#include "secret.hpp"

namespace nagare {
namespace {

class secret_env : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("nagare-secret-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    unsetenv("NAGARE_TEST_SECRET");
    unsetenv("NAGARE_TEST_SECRET_FILE");
  }
  void TearDown() override {
    unsetenv("NAGARE_TEST_SECRET");
    unsetenv("NAGARE_TEST_SECRET_FILE");
    std::filesystem::remove_all(dir_);
  }
  std::string file(const std::string& name, const std::string& content, mode_t mode) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(secret_env, the_variable_then_the_file_then_nothing) {
  auto none = secret_from_environment("NAGARE_TEST_SECRET");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), "");

  setenv("NAGARE_TEST_SECRET_FILE", file("pw", "from-file\r\nsecond line\n", 0600).c_str(), 1);
  auto from_file = secret_from_environment("NAGARE_TEST_SECRET");
  ASSERT_TRUE(from_file.ok()) << from_file.error().message();
  EXPECT_EQ(from_file.value(), "from-file");

  setenv("NAGARE_TEST_SECRET", "from-variable", 1);
  EXPECT_EQ(secret_from_environment("NAGARE_TEST_SECRET").value(), "from-variable");
}

TEST_F(secret_env, an_unreadable_or_empty_file_is_an_error_without_the_secret) {
  auto missing = (dir_ / "missing").string();
  setenv("NAGARE_TEST_SECRET_FILE", missing.c_str(), 1);
  auto r = secret_from_environment("NAGARE_TEST_SECRET");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(),
            "NAGARE_TEST_SECRET_FILE names " + missing + ", which cannot be read");
  auto empty = file("empty", "\nhunter2\n", 0600);
  setenv("NAGARE_TEST_SECRET_FILE", empty.c_str(), 1);
  r = secret_from_environment("NAGARE_TEST_SECRET");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().find("hunter2"), std::string::npos);
  EXPECT_NE(r.error().message().find("whose first line is empty"), std::string::npos);
}

TEST_F(secret_env, a_file_others_may_read_works_with_a_warning) {
  setenv("NAGARE_TEST_SECRET_FILE", file("open", "hunter2\n", 0644).c_str(), 1);
  ::testing::internal::CaptureStderr();
  auto r = secret_from_environment("NAGARE_TEST_SECRET");
  auto warned = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "hunter2");
  EXPECT_NE(warned.find("group or others may read"), std::string::npos) << warned;
  EXPECT_EQ(warned.find("hunter2"), std::string::npos) << warned;
}

// A Kafka client's SASL password comes from NAGARE_KAFKA_SASL_PASSWORD(_FILE)
// unless the job's properties set one.
TEST_F(secret_env, kafka_sasl_password_from_the_environment) {
  auto password_of = [](const kafka::properties& props) {
    kafka_connection c{"127.0.0.1:9092", props};
    auto conf = kafka::make_conf(c, {}, {}, "kafka source");
    EXPECT_TRUE(conf.ok()) << conf.error().message();
    if (!conf.ok()) return std::string();
    char value[256];
    size_t size = sizeof value;
    if (rd_kafka_conf_get(conf.value().get(), "sasl.password", value, &size) != RD_KAFKA_CONF_OK)
      return std::string("(unset)");
    return std::string(value);
  };
  const kafka::properties sasl = {{"sasl.mechanism", "PLAIN"}, {"sasl.username", "app"}};
  unsetenv("NAGARE_KAFKA_SASL_PASSWORD");
  unsetenv("NAGARE_KAFKA_SASL_PASSWORD_FILE");
  auto none = password_of(sasl);
  EXPECT_TRUE(none.empty() || none == "(unset)") << none;
  setenv("NAGARE_KAFKA_SASL_PASSWORD_FILE", file("kafka", "s3cret\n", 0600).c_str(), 1);
  EXPECT_EQ(password_of(sasl), "s3cret");
  auto own = sasl;
  own.emplace_back("sasl.password", "the-jobs");
  EXPECT_EQ(password_of(own), "the-jobs");
  unsetenv("NAGARE_KAFKA_SASL_PASSWORD_FILE");
}

}  // namespace
}  // namespace nagare
