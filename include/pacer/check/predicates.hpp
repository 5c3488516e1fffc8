#ifndef PACER_CHECK_PREDICATES_HPP
#define PACER_CHECK_PREDICATES_HPP

// Check predicates (status_in, header, body_contains, json_at, ...) and their &&, ||, !.

#include <pacer/http/response.hpp>

#include <nlohmann/json.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <utility>

namespace pacer {

// A check predicate: a test on a response that can describe itself, and says
// whether it reads the body (if no predicate does, the engine does not keep it).
template <class P>
concept response_predicate = requires(const P& p, const http::response_view& r) {
  { p(r) } -> std::convertible_to<bool>;
  { p.describe() } -> std::convertible_to<std::string>;
  { P::needs_body } -> std::convertible_to<bool>;
};

namespace detail {

struct status_range {
  int lowest, highest;
  static constexpr bool needs_body = false;
  bool operator()(const http::response_view& r) const noexcept {
    return r.status() >= lowest && r.status() <= highest;
  }
  std::string describe() const {
    return lowest == highest
               ? "status is " + std::to_string(lowest)
               : "status in [" + std::to_string(lowest) + ", " + std::to_string(highest) + "]";
  }
};

struct header_present {
  std::string name;
  static constexpr bool needs_body = false;
  bool operator()(const http::response_view& r) const noexcept {
    std::string_view v;
    return r.header(name, v);
  }
  std::string describe() const { return "header " + name + " present"; }
};

struct header_equals {
  std::string name, value;
  static constexpr bool needs_body = false;
  bool operator()(const http::response_view& r) const noexcept {
    std::string_view v;
    return r.header(name, v) && v == value;
  }
  std::string describe() const { return "header " + name + " is \"" + value + "\""; }
};

struct body_has {
  std::string needle;
  static constexpr bool needs_body = true;
  bool operator()(const http::response_view& r) const noexcept {
    return r.body().find(needle) != std::string_view::npos;
  }
  std::string describe() const { return "body contains \"" + needle + "\""; }
};

struct json_value_at {
  nlohmann::json::json_pointer pointer;
  nlohmann::json expected;
  static constexpr bool needs_body = true;
  bool operator()(const http::response_view& r) const {
    auto doc = nlohmann::json::parse(r.body(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.contains(pointer)) return false;
    return doc.at(pointer) == expected;
  }
  std::string describe() const { return "json " + pointer.to_string() + " == " + expected.dump(); }
};

// `json_at("/a/b")`: compare it with `== value`, or use it alone for "exists".
struct json_path {
  nlohmann::json::json_pointer pointer;
  static constexpr bool needs_body = true;
  bool operator()(const http::response_view& r) const {
    auto doc = nlohmann::json::parse(r.body(), nullptr, false);
    return !doc.is_discarded() && doc.contains(pointer);
  }
  std::string describe() const { return "json " + pointer.to_string() + " exists"; }
  template <class T>
  json_value_at operator==(T&& value) const {
    return {pointer, nlohmann::json(std::forward<T>(value))};
  }
};

template <class F>
struct user_predicate {
  std::string description;
  F f;
  // A lambda may read anything: keep the body for it.
  static constexpr bool needs_body = true;
  bool operator()(const http::response_view& r) const { return static_cast<bool>(f(r)); }
  std::string describe() const { return description; }
};

// Combinators hold their parts by value, so nothing dangles.
template <class A, class B>
struct both {
  A a;
  B b;
  static constexpr bool needs_body = A::needs_body || B::needs_body;
  bool operator()(const http::response_view& r) const { return a(r) && b(r); }
  std::string describe() const { return "(" + a.describe() + " and " + b.describe() + ")"; }
};
template <class A, class B>
struct either {
  A a;
  B b;
  static constexpr bool needs_body = A::needs_body || B::needs_body;
  bool operator()(const http::response_view& r) const { return a(r) || b(r); }
  std::string describe() const { return "(" + a.describe() + " or " + b.describe() + ")"; }
};
template <class A>
struct negation {
  A a;
  static constexpr bool needs_body = A::needs_body;
  bool operator()(const http::response_view& r) const { return !a(r); }
  std::string describe() const { return "not " + a.describe(); }
};

// Found by argument-dependent lookup, since the predicates live here.
template <response_predicate A, response_predicate B>
both<A, B> operator&&(A a, B b) {
  return {std::move(a), std::move(b)};
}
template <response_predicate A, response_predicate B>
either<A, B> operator||(A a, B b) {
  return {std::move(a), std::move(b)};
}
template <response_predicate A>
negation<A> operator!(A a) {
  return {std::move(a)};
}

}  // namespace detail

inline detail::status_range status_in(int lowest, int highest) {
  return {lowest, highest};
}
inline detail::status_range status_is(int status) {
  return {status, status};
}
inline detail::header_present header(std::string name) {
  return {std::move(name)};
}
inline detail::header_equals header(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}
inline detail::body_has body_contains(std::string needle) {
  return {std::move(needle)};
}
inline detail::json_path json_at(std::string_view pointer) {
  return {nlohmann::json::json_pointer(std::string(pointer))};
}
// Any callable bool(const http::response_view&), with a description.
template <class F>
detail::user_predicate<std::decay_t<F>> predicate(std::string description, F&& f) {
  return {std::move(description), std::forward<F>(f)};
}

}  // namespace pacer

#endif
