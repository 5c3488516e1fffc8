#ifndef PACER_HTTP_RESPONSE_HPP
#define PACER_HTTP_RESPONSE_HPP

// What checks and hooks see of a response: status, headers and body, without copies.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pacer::http {

namespace detail {
// ASCII case-insensitive comparison, as HTTP field names need.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}
}  // namespace detail

// Where one header field sits in a response's header arena.
struct header_field {
  std::size_t name_offset = 0, name_size = 0, value_offset = 0, value_size = 0;
};

// A read-only view of the last response of a VU, valid until its next request.
class response_view {
 public:
  response_view(int status, const std::string& arena, const std::vector<header_field>& fields,
                const std::string& body) noexcept
      : status_(status), arena_(&arena), fields_(&fields), body_(&body) {}

  int status() const noexcept { return status_; }
  std::string_view body() const noexcept { return *body_; }
  std::size_t header_count() const noexcept { return fields_->size(); }
  std::string_view header_name(std::size_t i) const noexcept {
    const auto& f = (*fields_)[i];
    return std::string_view(*arena_).substr(f.name_offset, f.name_size);
  }
  std::string_view header_value(std::size_t i) const noexcept {
    const auto& f = (*fields_)[i];
    return std::string_view(*arena_).substr(f.value_offset, f.value_size);
  }
  // The first header of that name (case-insensitive), or nullptr-like empty result.
  bool header(std::string_view name, std::string_view& value) const noexcept {
    for (std::size_t i = 0; i < fields_->size(); ++i)
      if (detail::iequals(header_name(i), name)) {
        value = header_value(i);
        return true;
      }
    return false;
  }

 private:
  int status_;
  const std::string* arena_;
  const std::vector<header_field>* fields_;
  const std::string* body_;
};

}  // namespace pacer::http

#endif
