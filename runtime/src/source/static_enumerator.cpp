#include "static_enumerator.hpp"

#include <utility>

namespace nagare {

namespace {

bool decode_splits(const std::string& bytes, std::vector<source_split>& out) {
  byte_reader in(bytes.data(), bytes.size());
  return codec<std::vector<source_split>>::decode(in, out) && in.remaining() == 0;
}

class static_enumerator final : public split_enumerator {
 public:
  explicit static_enumerator(std::vector<source_split> splits) : splits_(std::move(splits)) {}

  result<std::vector<source_split>> discover() override {
    if (handed_out_) return std::vector<source_split>{};
    handed_out_ = true;
    return splits_;
  }
  bool discovery_finished() const override { return true; }
  std::string snapshot() const override { return static_enumerator_config(splits_); }
  status restore(const std::string& snapshot) override {
    std::vector<source_split> splits;
    if (!decode_splits(snapshot, splits))
      return status::io_error("malformed snapshot of a static split enumerator");
    splits_ = std::move(splits);
    handed_out_ = false;
    return {};
  }

 private:
  std::vector<source_split> splits_;
  bool handed_out_ = false;
};

}  // namespace

std::string static_enumerator_config(const std::vector<source_split>& splits) {
  return encode(splits);
}

result<std::unique_ptr<split_enumerator>> make_static_enumerator(const std::string& config) {
  std::vector<source_split> splits;
  if (!decode_splits(config, splits))
    return status::invalid_argument("malformed config of a static split enumerator");
  return std::unique_ptr<split_enumerator>(std::make_unique<static_enumerator>(std::move(splits)));
}

}  // namespace nagare
