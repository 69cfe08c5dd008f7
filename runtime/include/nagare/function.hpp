// A copyable, type-erased callable: what std::function is, without
// <functional> (about 16,000 preprocessed lines) in every job. Holds any
// copyable callable whose result converts to R; calling an empty one is a
// bug (REQUIRES: *this). One indirect call per invocation, one allocation
// per construction or copy.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace nagare {

template <class Signature>
class function;

template <class R, class... Args>
class function<R(Args...)> {
  struct callable {
    virtual ~callable() = default;
    virtual R call(Args... args) = 0;
    virtual callable* clone() const = 0;
  };
  template <class F>
  struct holder final : callable {
    explicit holder(F fn) : f(std::move(fn)) {}
    R call(Args... args) override {
      if constexpr (std::is_void_v<R>)
        f(std::forward<Args>(args)...);
      else
        return f(std::forward<Args>(args)...);
    }
    callable* clone() const override { return new holder(f); }
    F f;
  };

 public:
  function() = default;
  function(std::nullptr_t) {}  // NOLINT: implicit like std::function's
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, function> &&
                                              std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  function(F f) : f_(new holder<std::decay_t<F>>(std::move(f))) {}  // NOLINT: implicit by design
  function(const function& o) : f_(o.f_ ? o.f_->clone() : nullptr) {}
  function(function&& o) noexcept : f_(o.f_) { o.f_ = nullptr; }
  function& operator=(function o) noexcept {
    std::swap(f_, o.f_);
    return *this;
  }
  ~function() { delete f_; }

  explicit operator bool() const { return f_ != nullptr; }
  R operator()(Args... args) const { return f_->call(std::forward<Args>(args)...); }

 private:
  callable* f_ = nullptr;
};

}  // namespace nagare
