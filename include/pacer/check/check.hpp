#ifndef PACER_CHECK_CHECK_HPP
#define PACER_CHECK_CHECK_HPP

// k6's check(): a named predicate evaluated on every response of a scenario.

#include <pacer/check/predicates.hpp>
#include <pacer/core/error.hpp>

#include <functional>
#include <string>

namespace pacer {

// A named check, as in k6's check(res, {'name': predicate}). Each evaluation
// emits one `checks` Rate sample and counts in the summary's root_group.
struct check_spec {
  std::string name;
  std::string description;
  bool needs_body = false;
  std::function<bool(const http::response_view&)> test;
};

template <response_predicate P>
check_spec check(std::string name, P predicate) {
  if (name.empty()) throw config_error("check name", "", "a non-empty name");
  if (name.find("::") != std::string::npos)
    throw config_error("check name", name,
                       "a name without \"::\" (k6 reserves it for group paths)");
  check_spec c;
  c.name = std::move(name);
  c.description = predicate.describe();
  c.needs_body = P::needs_body;
  c.test = [p = std::move(predicate)](const http::response_view& r) {
    return static_cast<bool>(p(r));
  };
  return c;
}

}  // namespace pacer

#endif
