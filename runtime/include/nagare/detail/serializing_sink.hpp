// The sink<T> of the connectors whose writer is compiled into libnagare
// without the record type (kafka_producer, redis_writer, postgres_writer):
// each record is serialized into an Out (a message, a command, a row),
// cleared before each call, that the writer takes; every other call is
// passed on to the writer.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nagare/function.hpp"
#include "nagare/sink.hpp"

namespace nagare::detail {

template <class T, class Writer, class Out>
class serializing_sink final : public sink<T> {
 public:
  using serializer = function<void(const T&, Out&)>;

  template <class Config>
  serializing_sink(Config config, serializer serialize)
      : writer_(std::move(config)), serialize_(std::move(serialize)) {}

  status open(const subtask_info& info) override { return writer_.open(info); }
  status write(const T& record) override {
    out_.clear();
    serialize_(record, out_);
    return writer_.write(out_);
  }
  status close() override { return writer_.close(); }
  status pre_commit(uint64_t checkpoint) override { return writer_.pre_commit(checkpoint); }
  void pending(std::vector<std::string>& out) const override { writer_.pending(out); }
  status commit(uint64_t checkpoint) override { return writer_.commit(checkpoint); }
  status recover(const std::vector<std::string>& entries, uint32_t previous_parallelism,
                 const subtask_info& info) override {
    return writer_.recover(entries, previous_parallelism, info);
  }

 private:
  Writer writer_;
  serializer serialize_;
  Out out_;
};

}  // namespace nagare::detail
