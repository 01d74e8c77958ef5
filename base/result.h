// Errors as values: Result<T> carries either a value or an Error, and Error says
// which exit code the `knob` command line maps it to. Every layer may use it; it is
// how I/O boundaries (storage, parsing, processes) report failure without exceptions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace knob {

enum class ErrorKind {
  kBadInput,   // the user's input is wrong: exit 2, nothing changed
  kRuntime,    // something failed while doing valid work: exit 1
  kExhausted,  // nothing left to hand out (a used-up grid): exit 3
  kInterrupted,  // the user stopped it (Ctrl-C); the work can be continued: exit 130
};

struct Error {
  ErrorKind kind = ErrorKind::kRuntime;
  std::string message;
  // The key path the error is about ("trainer.timeout", "gamma"), when it is about
  // one: callers locate it (a study file's line) without parsing the message.
  std::string key;

  static Error BadInput(std::string message) { return {ErrorKind::kBadInput, std::move(message), {}}; }
  static Error Runtime(std::string message) { return {ErrorKind::kRuntime, std::move(message), {}}; }
  static Error Exhausted(std::string message) { return {ErrorKind::kExhausted, std::move(message), {}}; }
  static Error Interrupted(std::string message) { return {ErrorKind::kInterrupted, std::move(message), {}}; }

  // The process exit code the command line uses for this error.
  int ExitCode() const {
    switch (kind) {
      case ErrorKind::kBadInput: return 2;
      case ErrorKind::kExhausted: return 3;
      case ErrorKind::kInterrupted: return 130;
      case ErrorKind::kRuntime: break;
    }
    return 1;
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

// Result of an operation that returns nothing but may fail.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace knob

// Propagates the error of a Result-returning expression; otherwise evaluates to nothing.
#define KNOB_RETURN_IF_ERROR(expr)            \
  do {                                        \
    auto knob_status_ = (expr);               \
    if (!knob_status_.ok()) return knob_status_.error(); \
  } while (false)

#define KNOB_CONCAT_INNER_(a, b) a##b
#define KNOB_CONCAT_(a, b) KNOB_CONCAT_INNER_(a, b)

// `KNOB_ASSIGN_OR_RETURN(auto x, Compute());` binds x to the value or returns the error.
#define KNOB_ASSIGN_OR_RETURN(lhs, expr) \
  KNOB_ASSIGN_OR_RETURN_IMPL_(KNOB_CONCAT_(knob_result_, __LINE__), lhs, expr)
#define KNOB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
