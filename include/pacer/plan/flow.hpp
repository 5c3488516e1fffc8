#ifndef PACER_PLAN_FLOW_HPP
#define PACER_PLAN_FLOW_HPP

// Iterations written as code: what a flow sees of its VU (k6's http.*, check, group,
// sleep, __VU, __ITER, setup data) and of each response. The engine implements the VU.

#include <pacer/check/predicates.hpp>
#include <pacer/core/duration.hpp>
#include <pacer/core/error.hpp>
#include <pacer/core/task.hpp>
#include <pacer/http/request.hpp>
#include <pacer/http/response.hpp>
#include <pacer/metrics/custom.hpp>

#include <nlohmann/json.hpp>

#include <cxxabi.h>

#include <any>
#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace pacer {

namespace detail {
// A type's name as written in C++ (GCC and Clang mangle it in type_info).
inline std::string type_name(const std::type_info& t) {
  int status = 0;
  char* readable = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
  std::string out = status == 0 && readable != nullptr ? readable : t.name();
  std::free(readable);
  return out;
}
}  // namespace detail

// k6's timing phases of one request (http.Response.timings), in nanoseconds.
struct request_timings {
  nanoseconds blocked{}, connecting{}, tls_handshaking{}, sending{}, waiting{}, receiving{};
  nanoseconds duration() const noexcept { return sending + waiting + receiving; }
};

// What a flow's request gave back (k6's Response). Headers and body are views into the
// VU's buffers: valid until the VU's next request; copy what must live longer.
class response {
 public:
  response(int status, int error_code, std::string_view error, const request_timings& timings,
           http::response_view view) noexcept
      : status_(status), error_code_(error_code), error_(error), timings_(timings), view_(view) {}

  // 0 when no response arrived (see error_code()).
  int status() const noexcept { return status_; }
  // k6's error code: 0 on success, 1000 + status for statuses >= 400, 1xxx for transport
  // failures; error() is k6's message for it.
  int error_code() const noexcept { return error_code_; }
  std::string_view error() const noexcept { return error_; }
  const request_timings& timings() const noexcept { return timings_; }
  std::string_view body() const noexcept { return view_.body(); }
  // The first header of that name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    std::string_view v;
    if (view_.header(name, v)) return v;
    return std::nullopt;
  }
  // The body parsed as JSON (k6's res.json()); throws a message naming the request's
  // status when the body is no JSON, which ends the iteration as k6 does.
  nlohmann::json json() const {
    auto parsed = nlohmann::json::parse(body(), nullptr, false);
    if (parsed.is_discarded())
      throw std::runtime_error("response body is not JSON (status " + std::to_string(status_) +
                               ", " + std::to_string(body().size()) + " bytes)");
    return parsed;
  }
  // The value at a JSON pointer ("/token", "/items/0/id"), as k6's res.json("token").
  nlohmann::json json(std::string_view pointer) const {
    auto doc = json();
    nlohmann::json::json_pointer ptr;
    try {
      ptr = nlohmann::json::json_pointer(std::string(pointer));
    } catch (const nlohmann::json::exception&) {
      throw config_error("JSON pointer", std::string(pointer),
                         "a JSON pointer such as /items/0/id");
    }
    if (!doc.contains(ptr))
      throw std::runtime_error("response JSON has no " + std::string(pointer) + " (status " +
                               std::to_string(status_) + ")");
    return doc.at(ptr);
  }
  const http::response_view& view() const noexcept { return view_; }

 private:
  int status_;
  int error_code_;
  std::string_view error_;
  request_timings timings_;
  http::response_view view_;
};

class vu;

// A scoped k6 group: requests, checks and nested groups inside it carry its path in the
// `group` tag; leaving it normally records `group_duration`.
class group_scope {
 public:
  group_scope(group_scope&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
  group_scope(const group_scope&) = delete;
  group_scope& operator=(const group_scope&) = delete;
  group_scope& operator=(group_scope&&) = delete;
  inline ~group_scope();

 private:
  friend class vu;
  explicit group_scope(vu& owner) noexcept
      : owner_(&owner), exceptions_(std::uncaught_exceptions()) {}
  vu* owner_;
  int exceptions_;
};

// The virtual user a flow runs on. One iteration at a time; every member is called on
// the VU's own shard thread.
class vu {
 public:
  // k6's http.request(): sends `r` (its URL, headers, body, timeout and redirects), records
  // k6's http metrics with the current group, and gives the response. A request that
  // fails is a response with an error code, never an exception.
  [[nodiscard]] auto http(const http::request& r) {
    struct awaiter {
      vu& self;
      const http::request& req;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) { self.start_request(req, h); }
      pacer::response await_resume() { return self.last_response(); }
    };
    return awaiter{*this, r};
  }

  // k6's sleep(): think time; the shard goes on with other VUs meanwhile.
  [[nodiscard]] auto sleep(nanoseconds d) {
    struct awaiter {
      vu& self;
      nanoseconds d;
      bool await_ready() const noexcept { return d <= nanoseconds::zero(); }
      void await_suspend(std::coroutine_handle<> h) { self.start_sleep(d, h); }
      void await_resume() const noexcept {}
    };
    return awaiter{*this, d};
  }

  // k6's check(res, {name: predicate}): one `checks` sample tagged with the group and
  // the check's name; counted in the summary's group tree. Returns the outcome.
  template <class P>
  bool check(const response& r, std::string_view name, P&& predicate) {
    bool ok;
    if constexpr (std::is_invocable_v<P&, const http::response_view&>)
      ok = static_cast<bool>(predicate(r.view()));
    else
      ok = static_cast<bool>(predicate(r));
    record_check(name, ok);
    return ok;
  }
  // A check of a value computed by the flow (k6's check(value, {name: v => ...})).
  bool check(std::string_view name, bool ok) {
    record_check(name, ok);
    return ok;
  }

  // k6's group(name, fn): runs `body` (a callable returning task<>) inside the group.
  template <class F>
  requires std::is_invocable_r_v<task<>, F&> task<> group(std::string_view name, F body) {
    auto scope = enter_group(name);
    co_await body();
  }
  // The same as a scope: the group ends where the returned object is destroyed.
  [[nodiscard]] group_scope enter_group(std::string_view name) {
    if (name.empty() || name.find("::") != std::string_view::npos)
      throw config_error("group name", std::string(name), "a non-empty name without \"::\"");
    push_group(name);
    return group_scope(*this);
  }

  // k6's __VU: 1-based, unique in the test.
  std::uint64_t id() const noexcept { return id_; }
  // k6's __ITER: this VU's iterations in its scenario so far, 0-based.
  std::uint64_t iteration() const noexcept { return iteration_; }
  // k6's scenario.iterationInTest: unique across the scenario's VUs, 0-based.
  std::uint64_t iteration_in_test() const noexcept { return iteration_in_test_; }
  // The scenario's name (k6's scenario.name); "" in setup and teardown.
  virtual std::string_view scenario_name() const noexcept = 0;

  // What setup() returned, read-only and shared by every VU. Throws naming the types
  // when T is not what setup returned, or when the plan has no setup.
  template <class T>
  const T& setup_data() const {
    const std::any* data = shared_setup_data();
    if (data == nullptr || !data->has_value())
      throw std::runtime_error("setup_data: the plan has no setup, or setup returned nothing");
    const T* p = std::any_cast<T>(data);
    if (p == nullptr)
      throw std::runtime_error("setup_data: setup returned " + detail::type_name(data->type()) +
                               ", not " + detail::type_name(typeid(T)));
    return *p;
  }

  // A sample of a custom metric, tagged with the scenario and the current group.
  virtual void add(metric_handle m, double value) = 0;

 protected:
  vu() = default;
  ~vu() = default;
  vu(const vu&) = delete;
  vu& operator=(const vu&) = delete;

  virtual void start_request(const http::request& r, std::coroutine_handle<> resume) = 0;
  virtual response last_response() const noexcept = 0;
  virtual void start_sleep(nanoseconds d, std::coroutine_handle<> resume) = 0;
  virtual void record_check(std::string_view name, bool ok) = 0;
  virtual void push_group(std::string_view name) = 0;
  // Leaves the innermost group; `completed` says whether its body ended normally.
  virtual void pop_group(bool completed) noexcept = 0;
  virtual const std::any* shared_setup_data() const noexcept = 0;

  std::uint64_t id_ = 0;
  std::uint64_t iteration_ = 0;
  std::uint64_t iteration_in_test_ = 0;

 private:
  friend class group_scope;
};

inline group_scope::~group_scope() {
  if (owner_ != nullptr) owner_->pop_group(std::uncaught_exceptions() == exceptions_);
}

// What one iteration of a flow scenario does.
using flow_function = std::function<task<>(vu&)>;

}  // namespace pacer

#endif
