// The runtime keeps what a job hands over in nagare::owned (nagare/owned.hpp)
// in the standard smart pointers.
#pragma once

#include <memory>

#include "nagare/owned.hpp"

namespace nagare::detail {

template <class T>
std::unique_ptr<T> to_unique(owned<T> o) {
  return std::unique_ptr<T>(o.release());
}

template <class T>
std::shared_ptr<T> to_shared(owned<T> o) {
  return std::shared_ptr<T>(o.release());
}

}  // namespace nagare::detail
