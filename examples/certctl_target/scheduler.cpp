#include "certctl_target/scheduler.hpp"

#include <exception>

namespace certctl_target {

scheduler::scheduler(store& db, std::uint32_t per_issuer, std::chrono::milliseconds tick)
    : db_(db), per_issuer_(per_issuer), tick_(tick), thread_([this] { run(); }) {}

scheduler::~scheduler() {
  stop();
}

void scheduler::wake() {
  {
    std::lock_guard lock(mu_);
    work_ = true;
  }
  cv_.notify_all();
}

void scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool scheduler::wait_until_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const std::uint64_t after = ticks_started_;
  work_ = true;  // makes sure such a tick happens
  cv_.notify_all();
  return cv_.wait_for(lock, timeout, [&] { return drained_tick_ > after; });
}

std::uint64_t scheduler::jobs_completed() const {
  std::lock_guard lock(mu_);
  return completed_;
}

std::string scheduler::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void scheduler::run() {
  std::unique_lock lock(mu_);
  auto next_tick = std::chrono::steady_clock::now();
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || work_; });
    if (stopping_) return;
    // Paced even when woken early: the tick length is what bounds the issuance rate.
    if (cv_.wait_until(lock, next_tick, [&] { return stopping_; })) return;
    work_ = false;
    const std::uint64_t tick = ++ticks_started_;
    lock.unlock();

    store::drain_result r;
    std::string error;
    try {
      r = db_.complete_pending(per_issuer_);
    } catch (const std::exception& e) {
      error = e.what();
    }
    next_tick = std::chrono::steady_clock::now() + tick_;

    lock.lock();
    completed_ += r.completed;
    if (!error.empty()) {
      last_error_ = error;
      work_ = true;  // retry on the next tick
    } else if (r.still_pending > 0) {
      work_ = true;
    } else {
      drained_tick_ = tick;
    }
    cv_.notify_all();
  }
}

}  // namespace certctl_target
