#ifndef PACER_CORE_ENV_HPP
#define PACER_CORE_ENV_HPP

// Environment variables and secrets (values that never print themselves).

#include <cstdlib>
#include <ostream>
#include <string>
#include <string_view>

namespace pacer {

// The value of an environment variable, or `fallback` when unset or empty.
inline std::string env_or(const char* name, std::string_view fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::string(fallback);
  return v;
}

// A credential. It can be used to build requests but never prints itself, so it
// cannot leak into summaries, logs or error messages by accident.
class secret {
 public:
  secret() = default;
  explicit secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  friend std::ostream& operator<<(std::ostream& os, const secret&) { return os << "[redacted]"; }

 private:
  std::string value_;
};

// A secret from the environment, or `fallback` when unset.
inline secret secret_env(const char* name, std::string_view fallback = {}) {
  return secret(env_or(name, fallback));
}

}  // namespace pacer

#endif
