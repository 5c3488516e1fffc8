// The background job processor: drains pending renewal jobs with bounded concurrency per issuer
// and returns the certificates to active, so later bulk renewals find them renewable again.
//
// Each tick completes up to `per_issuer` jobs of every issuer, as that many parallel issuances
// lasting one tick would. It sleeps while nothing is pending and wakes when jobs are enqueued.
#pragma once

#include "certctl_target/store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace certctl_target {

class scheduler {
 public:
  // Starts at once, so jobs left pending by an earlier run are drained.
  scheduler(store& db, std::uint32_t per_issuer, std::chrono::milliseconds tick);
  // Stops after the tick in progress (whose transaction commits or rolls back whole).
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  // New jobs were committed.
  void wake();
  void stop();
  // Waits until a tick that began after this call finds nothing pending; false on timeout.
  bool wait_until_drained(std::chrono::milliseconds timeout);

  std::uint64_t jobs_completed() const;
  // The last store error, if ticks are failing (they are retried every tick).
  std::string last_error() const;

 private:
  void run();

  store& db_;
  const std::uint32_t per_issuer_;
  const std::chrono::milliseconds tick_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool work_ = true;  // something may be pending
  std::uint64_t ticks_started_ = 0;
  std::uint64_t drained_tick_ = 0;  // the last tick that found nothing pending, by number
  std::uint64_t completed_ = 0;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace certctl_target
