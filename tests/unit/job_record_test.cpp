// Job records, the coordinator's durable description of a job: what
// make_job_record keeps, that every field survives encoding, and that damaged
// bytes are refused instead of read.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "job_record.hpp"

namespace nagare {
namespace {

using namespace std::string_literals;

job_submission sample_submission() {
  job_submission s;
  s.name = "wordcount";
  s.library_path = "build/jobs/libwordcount.so";
  s.library_hash = "fc9df1539dd3116c1b7c19d677dc55a2";
  s.library = "\177ELF\0\0library bytes"s;
  s.args = {"--input", "a b.txt", "", "--output", "out\0dir"s};
  s.plan = "\0plan\0\xff\x01 bytes\0"s;
  s.parallelism = 3;
  s.max_parallelism = 256;
  s.batch_records = 500;
  s.channel_credit = 7;
  s.linger_ms = 15;
  s.checkpoint_interval_ms = 250;
  s.checkpoint_timeout_ms = 9000;
  s.min_pause_ms = 40;
  s.retained_checkpoints = 5;
  s.at_least_once = true;
  s.restart_strategy = "exponential:10:100:4";
  s.from_savepoint = "3-17";
  s.state_backend = "leveldb";
  s.state_cache_keys = 1000;
  return s;
}

// The record keeps the submission but not the library's bytes (the store keeps those once).
TEST(job_record, make_job_record_drops_library_bytes) {
  auto s = sample_submission();
  auto r = make_job_record(42, s);
  EXPECT_EQ(r.id, 42u);
  EXPECT_EQ(r.name, "wordcount");
  EXPECT_EQ(r.state, job_state::running);
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(r.parallelism, 3u);
  EXPECT_TRUE(r.job.library.empty());
  EXPECT_EQ(r.job.library_hash, s.library_hash);
  EXPECT_EQ(r.job.library_path, s.library_path);
  EXPECT_EQ(r.job.args, s.args);
  EXPECT_EQ(r.job.plan, s.plan);
  EXPECT_GT(r.submitted_ms, 0);
  EXPECT_FALSE(s.library.empty()) << "the submission itself is left alone";
}

// Every field comes back from encode/decode, including NULs inside args and plan.
TEST(job_record, every_field_round_trips) {
  job_record r;
  r.id = 0xfedcba9876543210ULL;
  r.name = "wordcount";
  r.state = job_state::failed;
  r.reason = "node 2 lost: connection reset";
  r.submitted_ms = 1700000000123;
  r.parallelism = 3;
  r.job = sample_submission();
  r.job.library.clear();

  auto d = decode_job_record(encode_job_record(r));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->id, 0xfedcba9876543210ULL);
  EXPECT_EQ(d->name, "wordcount");
  EXPECT_EQ(d->state, job_state::failed);
  EXPECT_EQ(d->reason, "node 2 lost: connection reset");
  EXPECT_EQ(d->submitted_ms, 1700000000123);
  EXPECT_EQ(d->parallelism, 3u);
  EXPECT_EQ(d->job.name, "wordcount");
  EXPECT_EQ(d->job.library_path, "build/jobs/libwordcount.so");
  EXPECT_EQ(d->job.library_hash, "fc9df1539dd3116c1b7c19d677dc55a2");
  EXPECT_TRUE(d->job.library.empty());
  EXPECT_EQ(d->job.args,
            (std::vector<std::string>{"--input", "a b.txt", "", "--output", "out\0dir"s}));
  EXPECT_EQ(d->job.plan, "\0plan\0\xff\x01 bytes\0"s);
  EXPECT_EQ(d->job.plan.size(), 15u);
  EXPECT_EQ(d->job.parallelism, 3u);
  EXPECT_EQ(d->job.max_parallelism, 256u);
  EXPECT_EQ(d->job.batch_records, 500u);
  EXPECT_EQ(d->job.channel_credit, 7u);
  EXPECT_EQ(d->job.linger_ms, 15u);
  EXPECT_EQ(d->job.checkpoint_interval_ms, 250u);
  EXPECT_EQ(d->job.checkpoint_timeout_ms, 9000u);
  EXPECT_EQ(d->job.min_pause_ms, 40u);
  EXPECT_EQ(d->job.retained_checkpoints, 5u);
  EXPECT_TRUE(d->job.at_least_once);
  EXPECT_EQ(d->job.restart_strategy, "exponential:10:100:4");
  EXPECT_EQ(d->job.from_savepoint, "3-17");
  EXPECT_EQ(d->job.state_backend, "leveldb");
  EXPECT_EQ(d->job.state_cache_keys, 1000u);
}

// A record with default (zero, empty) fields round-trips too: absent fields read as empty.
TEST(job_record, empty_record_round_trips) {
  job_record r;
  r.job.parallelism = 0;
  r.job.max_parallelism = 0;
  r.job.batch_records = 0;
  r.job.channel_credit = 0;
  r.job.linger_ms = 0;
  auto d = decode_job_record(encode_job_record(r));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->id, 0u);
  EXPECT_EQ(d->name, "");
  EXPECT_EQ(d->state, job_state::running);
  EXPECT_TRUE(d->job.args.empty());
  EXPECT_TRUE(d->job.plan.empty());
  EXPECT_EQ(d->job.max_parallelism, 0u);
  EXPECT_EQ(d->submitted_ms, 0);
}

job_record sample_record() {
  auto r = make_job_record(9, sample_submission());
  r.reason = "a reason long enough to matter";
  return r;
}

// No byte string is empty-decoded into a record: an empty input is an error.
TEST(job_record, empty_bytes_are_an_error) {
  auto d = decode_job_record("");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), errc::io_error);
}

// Every truncation that cuts into the record's data is refused; none crashes, and a
// cut that only drops trailing padding still gives the full record.
TEST(job_record, truncated_bytes_are_an_error) {
  auto r = sample_record();
  auto bytes = encode_job_record(r);
  ASSERT_GT(bytes.size(), 16u);
  size_t refused = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto d = decode_job_record(bytes.substr(0, n));
    if (!d.ok()) {
      ++refused;
      continue;
    }
    // Accepted only if the cut removed nothing but alignment padding.
    EXPECT_EQ(bytes.substr(n).find_first_not_of('\0'), std::string::npos) << "length " << n;
    EXPECT_EQ(d->reason, r.reason) << "length " << n;
    EXPECT_EQ(d->job.plan, r.job.plan) << "length " << n;
  }
  // Padding is at most 7 bytes; every shorter prefix fails.
  EXPECT_GE(refused, bytes.size() - 7);
  EXPECT_FALSE(decode_job_record(bytes.substr(0, bytes.size() / 2)).ok());
  EXPECT_FALSE(decode_job_record(bytes.substr(0, 4)).ok());
}

// Random bytes (fixed seed) are refused, never decoded or crashed on.
TEST(job_record, random_bytes_are_an_error) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(1 + rng() % 200, '\0');
    for (auto& c : junk) c = static_cast<char>(rng());
    auto d = decode_job_record(junk);
    ASSERT_FALSE(d.ok()) << "case " << i;
    EXPECT_EQ(d.error().code(), errc::io_error);
  }
}

// Flipping any single byte of a valid record either is detected or decodes to some
// record; it never reads outside the buffer (this case matters most under ASan).
TEST(job_record, single_byte_damage_never_crashes) {
  auto bytes = encode_job_record(sample_record());
  size_t refused = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      auto damaged = bytes;
      damaged[i] = static_cast<char>(static_cast<unsigned char>(damaged[i]) ^ flip);
      auto d = decode_job_record(damaged);
      if (!d.ok()) {
        ++refused;
        EXPECT_EQ(d.error().code(), errc::io_error);
      }
    }
  }
  // Damage to offsets and lengths is caught (content bytes have no checksum here).
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace nagare
