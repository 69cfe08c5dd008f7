#include "nagare/status.hpp"

namespace nagare {

const char* to_string(errc code) {
  switch (code) {
    case errc::ok:
      return "ok";
    case errc::invalid_argument:
      return "invalid argument";
    case errc::not_found:
      return "not found";
    case errc::io_error:
      return "I/O error";
    case errc::library_error:
      return "job library error";
    case errc::api_mismatch:
      return "API version mismatch";
    case errc::user_error:
      return "job code failed";
    case errc::internal:
      return "internal error";
    case errc::corruption:
      return "data corruption";
    case errc::unavailable:
      return "unavailable";
    case errc::timeout:
      return "timeout";
    case errc::permission_denied:
      return "permission denied";
  }
  return "unknown error";
}

}  // namespace nagare
