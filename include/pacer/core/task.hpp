#ifndef PACER_CORE_TASK_HPP
#define PACER_CORE_TASK_HPP

// pacer::task<T>: the coroutine type of iterations written as code. Lazy (it runs when
// awaited or started by the engine), single-threaded (a VU's flow runs on its shard's
// thread), with frames recycled per thread so that a steady-state flow allocates nothing.

#include <array>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace pacer {

template <class T = void>
class task;

namespace detail {

// Coroutine frames by size class, kept per thread once freed: a shard's VUs start
// the same coroutines again and again, so after the first iterations every frame
// comes from here.
class frame_pool {
 public:
  static void* allocate(std::size_t n) {
    const std::size_t c = size_class(n);
    if (c < classes) {
      auto& head = local().heads_[c];
      if (head != nullptr) {
        void* p = head;
        head = head->next;
        return p;
      }
      return ::operator new(class_bytes(c));
    }
    return ::operator new(n);
  }
  static void deallocate(void* p, std::size_t n) noexcept {
    const std::size_t c = size_class(n);
    if (c >= classes) return ::operator delete(p);
    auto* node = static_cast<free_node*>(p);
    auto& head = local().heads_[c];
    node->next = head;
    head = node;
  }

  frame_pool() = default;
  frame_pool(const frame_pool&) = delete;
  frame_pool& operator=(const frame_pool&) = delete;
  ~frame_pool() {
    for (auto* head : heads_)
      while (head != nullptr) {
        free_node* next = head->next;
        ::operator delete(head);
        head = next;
      }
  }

 private:
  struct free_node {
    free_node* next;
  };
  static constexpr std::size_t granule = 64;
  static constexpr std::size_t classes = 64;  // frames up to 4 KiB are recycled
  static constexpr std::size_t size_class(std::size_t n) noexcept {
    return (n + granule - 1) / granule - (n == 0 ? 0 : 1);
  }
  static constexpr std::size_t class_bytes(std::size_t c) noexcept { return (c + 1) * granule; }
  static frame_pool& local() {
    thread_local frame_pool pool;
    return pool;
  }
  std::array<free_node*, classes> heads_{};
};

// What every task's promise shares: where to go on completion, and the exception.
struct promise_base {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr error;

  static void* operator new(std::size_t n) { return frame_pool::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_pool::deallocate(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct final_awaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;  // symmetric transfer: no stack growth
    }
    void await_resume() noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
struct task_promise : promise_base {
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};

template <>
struct task_promise<void> : promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
};

struct task_access;

}  // namespace detail

// A coroutine returning T, e.g. `pacer::task<> journey(pacer::vu& vu)`. Awaiting it runs
// it to completion and gives its value or rethrows its exception.
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;

  task() noexcept = default;
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(h_); }

  auto operator co_await() && noexcept {
    struct awaiter {
      std::coroutine_handle<promise_type> h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> waiting) noexcept {
        h.promise().continuation = waiting;
        return h;
      }
      T await_resume() {
        if (h.promise().error) std::rethrow_exception(h.promise().error);
        if constexpr (!std::is_void_v<T>) return std::move(*h.promise().value);
      }
    };
    return awaiter{h_};
  }

 private:
  friend struct detail::task_promise<T>;
  friend struct detail::task_access;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

namespace detail {

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

// How the engine drives a root task: start it, see whether it ended, read its outcome.
struct task_access {
  template <class T>
  static std::coroutine_handle<> handle(const task<T>& t) noexcept {
    return t.h_;
  }
  template <class T>
  static bool done(const task<T>& t) noexcept {
    return !t.h_ || t.h_.done();
  }
  template <class T>
  static std::exception_ptr error(const task<T>& t) noexcept {
    return t.h_ ? t.h_.promise().error : std::exception_ptr{};
  }
  template <class T>
  static T take_value(task<T>& t) {
    return std::move(*t.h_.promise().value);
  }
};

}  // namespace detail
}  // namespace pacer

#endif
