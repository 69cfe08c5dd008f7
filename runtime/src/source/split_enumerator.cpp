// The registry of built-in split enumerator kinds.
#include "split_enumerator.hpp"

#include "directory_enumerator.hpp"
#include "kafka/kafka_enumerator.hpp"
#include "redis/redis_enumerator.hpp"
#include "static_enumerator.hpp"

namespace nagare {

result<std::unique_ptr<split_enumerator>> make_split_enumerator(const std::string& kind,
                                                                const std::string& config) {
  if (kind == "static") return make_static_enumerator(config);
  if (kind == "directory") return make_directory_enumerator(config);
  if (kind == "kafka") return make_kafka_enumerator(config);
  if (kind == "redis") return make_redis_enumerator(config);
  return status::invalid_argument("unknown split enumerator kind '" + kind +
                                  "' (built in: static, directory, kafka, redis)");
}

}  // namespace nagare
