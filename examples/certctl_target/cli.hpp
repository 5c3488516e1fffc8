// The command line of certctl-target.
#pragma once

#include "certctl_target/server.hpp"

#include <stdexcept>
#include <string_view>

namespace certctl_target {

// A bad flag or value; the message names it and the accepted form.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct command_line {
  config cfg;
  bool help = false;
};

// Accepts "--flag value" and "--flag=value". Throws usage_error.
command_line parse_command_line(int argc, const char* const* argv);

extern const std::string_view usage_text;

}  // namespace certctl_target
