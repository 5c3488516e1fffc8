#ifndef PACER_CORE_ERROR_HPP
#define PACER_CORE_ERROR_HPP

// Configuration errors and k6's process exit codes.

#include <stdexcept>
#include <string>
#include <string_view>

namespace pacer {

// Process exit codes, with k6's values so CI scripts written for k6 keep working.
enum class exit_code : int {
  ok = 0,
  thresholds_failed = 99,
  setup_timeout = 100,
  teardown_timeout = 101,
  invalid_config = 104,
  aborted_by_signal = 105,
  script_exception = 107,  // setup() or teardown() threw
  other_error = 255,
};

// A configuration problem found before any traffic is sent: which option, the
// value that was given, and the form that would have been accepted.
class config_error : public std::runtime_error {
 public:
  config_error(std::string option, std::string value, std::string accepted)
      : std::runtime_error(compose(option, value, accepted)),
        option_(std::move(option)),
        value_(std::move(value)),
        accepted_(std::move(accepted)) {}

  const std::string& option() const noexcept { return option_; }
  const std::string& value() const noexcept { return value_; }
  const std::string& accepted() const noexcept { return accepted_; }
  static constexpr exit_code code = exit_code::invalid_config;

 private:
  static std::string compose(std::string_view option, std::string_view value,
                             std::string_view accepted) {
    std::string m = "invalid ";
    m += option;
    m += ": \"";
    m += value;
    m += "\"";
    if (!accepted.empty()) {
      m += " (expected ";
      m += accepted;
      m += ")";
    }
    return m;
  }

  std::string option_;
  std::string value_;
  std::string accepted_;
};

}  // namespace pacer

#endif
