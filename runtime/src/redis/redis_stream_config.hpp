// redis_stream_source's configuration as the enumerator's config bytes.
#pragma once

#include <string>

#include "nagare/redis_source.hpp"

namespace nagare::redis {

std::string encode_stream_config(const redis_stream_config& c);
bool decode_stream_config(const std::string& bytes, redis_stream_config& c);

}  // namespace nagare::redis
