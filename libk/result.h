#pragma once
// Result<T>: a value or an Errno, never both. The kernel has no exceptions;
// every fallible operation returns one of these and callers either handle the
// error or pass it up with TRY().
//
//   Result<Frame> f = TRY(allocate_frame());   // inside a function returning Result<...>
#include "libk/errno.h"
#include "libk/new.h"
#include "libk/utility.h"

namespace k {

struct ErrorTag {
    Errno error;
};
constexpr ErrorTag error(Errno e) { return ErrorTag{e}; }

template <typename T> class [[nodiscard]] Result {
public:
    Result(const T& value) : has_value_(true) { new (&storage_) T(value); }
    Result(T&& value) : has_value_(true) { new (&storage_) T(k::move(value)); }
    Result(ErrorTag e) : has_value_(false), error_(e.error) {}

    Result(const Result& other) : has_value_(other.has_value_), error_(other.error_) {
        if (has_value_) new (&storage_) T(other.value());
    }
    Result(Result&& other) : has_value_(other.has_value_), error_(other.error_) {
        if (has_value_) new (&storage_) T(k::move(other.value()));
    }
    Result& operator=(const Result&) = delete;
    ~Result() {
        if (has_value_) value().~T();
    }

    bool ok() const { return has_value_; }
    explicit operator bool() const { return has_value_; }
    Errno error() const { return error_; }

    T& value() { return *reinterpret_cast<T*>(&storage_); }
    const T& value() const { return *reinterpret_cast<const T*>(&storage_); }
    T release_value() { return k::move(value()); }
    T* operator->() { return &value(); }
    T& operator*() { return value(); }

private:
    bool has_value_;
    Errno error_{};
    alignas(T) unsigned char storage_[sizeof(T)];
};

// Result<void>: success or an Errno.
template <> class [[nodiscard]] Result<void> {
public:
    Result() : has_value_(true) {}
    Result(ErrorTag e) : has_value_(false), error_(e.error) {}
    bool ok() const { return has_value_; }
    explicit operator bool() const { return has_value_; }
    Errno error() const { return error_; }
    void release_value() {}

private:
    bool has_value_;
    Errno error_{};
};

}  // namespace k

// TRY(expr): evaluate a Result; on error return the error from the enclosing
// function, otherwise yield the value. (A GNU statement expression: both
// clang and GCC support it, and it keeps call sites to one line.)
#define TRY(expr)                                                   \
    ({                                                              \
        auto _try_result = (expr);                                  \
        if (!_try_result.ok()) return ::k::error(_try_result.error()); \
        _try_result.release_value();                                \
    })
