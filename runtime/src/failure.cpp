#include "nagare/detail/failure.hpp"

#include <exception>
#include <stdexcept>

#include "nagare/detail/operator_failure.hpp"

namespace nagare::detail {

void throw_failure(status st) { throw operator_failure(std::move(st)); }

void throw_invalid_argument(const std::string& what) { throw std::invalid_argument(what); }

void throw_logic_error(const std::string& what) { throw std::logic_error(what); }

status caught_exception(errc code, const std::string& context) {
  try {
    throw;
  } catch (const std::exception& e) {
    return status(code, context + ": " + e.what());
  }  // anything else goes on up
}

}  // namespace nagare::detail
