#ifndef PACER_EXEC_ENGINE_HPP
#define PACER_EXEC_ENGINE_HPP

// The engine: shards (one thread and io_context each), VUs and the scenario runners that
// start, time and record iterations.

#include <pacer/exec/executors.hpp>
#include <pacer/http/connection.hpp>
#include <pacer/metrics/registry.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/scenario.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pacer::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using series_ids = std::vector<metrics::registry::series_id>;

// Series of the built-in metrics, resolved once per tag set.
struct http_series {
  series_ids reqs, duration, blocked, connecting, tls_handshaking, sending, waiting, receiving,
      failed;
};
struct iteration_series {
  series_ids iterations, duration, dropped, data_sent, data_received, schedule_lag;
};

// Where a scenario's resolved addresses and TLS context live for the whole run.
struct origin {
  http::url url;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  http::failure resolve_error;
};

// State of a scenario shared by its shards: the VU budget only, touched when a
// VU is created, never per request.
struct scenario_shared {
  std::atomic<std::int64_t> vus_created{0};
  std::atomic<bool> insufficient_warned{false};
  std::int64_t max_vus = 0;
};

class shard;
class scenario_runner;

// A runner's counts as the coordinator's progress display reads them: written by
// the runner's own shard thread only (relaxed stores, no read-modify-write), so
// publishing them costs a few plain moves per iteration and no shared cache line
// between shards.
struct runner_progress {
  enum class phase : int { waiting, running, stopping, done };
  std::atomic<std::uint64_t> completed{0}, interrupted{0}, dropped{0};
  std::atomic<std::int64_t> busy_vus{0}, active_vus{0};
  std::atomic<int> state{static_cast<int>(phase::waiting)};
  std::atomic<bool> stopped_early{false};
};

// A virtual user: one connection and the iteration it runs, nothing more.
class vu final : public http::detail::connection::listener {
 public:
  vu(scenario_runner& owner, asio::io_context& ioc, asio::ssl::context* tls, const origin& o,
     http::response_limits limits);
  void start(clock::time_point due);
  // Opens the VU's connection before the test clock starts; the runner hears of it once.
  void warm_up(clock::time_point deadline) {
    warming_ = true;
    conn.warm_up(deadline);
  }
  void on_exchange_done() override;
  // Hard stop: the running iteration ends as interrupted (a pause just ends).
  void cancel();
  // Closed model: how long to wait before the next iteration, from how this one ended.
  nanoseconds next_start_delay();
  // Waits `delay` between two iterations, then hands the VU back to its runner.
  void pause(nanoseconds delay);
  // The scenario is stopping: a pause ends now rather than when its timer fires.
  void end_pause() {
    if (paused_) pause_timer_.cancel();
  }
  // Starts the next hop if the last response is a redirect to follow.
  bool follow_redirect();

  // The connection the current request runs on.
  http::detail::connection& active() noexcept { return on_hop_conn_ ? *hop_conn_ : conn; }
  std::uint64_t bytes_sent() const noexcept {
    return conn.bytes_sent() + (hop_conn_ ? hop_conn_->bytes_sent() : 0);
  }
  std::uint64_t bytes_received() const noexcept {
    return conn.bytes_received() + (hop_conn_ ? hop_conn_->bytes_received() : 0);
  }
  bool interrupted() noexcept { return cancelled_ || active().result().cancelled; }
  // The URL of the current hop, or nullptr for the template's own request.
  const http::url* hop_url() const noexcept { return hops_ > 0 ? &hop_url_ : nullptr; }
  std::uint64_t connects() const noexcept {
    return conn.connects() + (hop_conn_ ? hop_conn_->connects() : 0);
  }
  std::uint64_t resumed_sessions() const noexcept {
    return conn.resumed_sessions() + (hop_conn_ ? hop_conn_->resumed_sessions() : 0);
  }
  void close_all() noexcept {
    conn.close();
    if (hop_conn_) hop_conn_->close();
  }

  http::detail::connection conn;
  clock::time_point iteration_start{};
  std::uint64_t sent_mark = 0, received_mark = 0;
  bool busy = false;

 private:
  void start_hop();

  scenario_runner& owner_;
  asio::ssl::context* tls_;
  http::response_limits limits_;
  // Redirect state: hops of the current iteration and another origin they led to.
  int hops_ = 0;
  bool on_hop_conn_ = false;
  bool resolving_ = false;
  bool cancelled_ = false;
  bool paused_ = false;
  bool warming_ = false;
  nanoseconds backoff_{0};
  clock::time_point deadline_{};  // one timeout covers a whole redirect chain
  http::url hop_url_;
  std::string hop_wire_;
  origin hop_origin_;
  std::unique_ptr<http::detail::connection> hop_conn_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer pause_timer_;
};

// One scenario's share of work on one shard.
class scenario_runner {
 public:
  scenario_runner(shard& sh, const scenario& sc, scenario_shared& shared, const origin& o,
                  asio::ssl::context* tls, const metrics::registry& reg,
                  http::response_limits limits, unsigned stripe, unsigned stripes,
                  std::int64_t initial_vus);

  const http::request& request() const noexcept { return sc_.request; }
  void set_custom_metrics(const std::vector<custom_metric>& defs) noexcept { custom_ = &defs; }
  asio::io_context& io() noexcept;
  bool keep_body() const noexcept { return sc_.keep_response_body; }
  // The generator's own honesty metric: how late an iteration started.
  void note_lag(clock::time_point actual, clock::time_point due) {
    if (!arrival_) return;
    auto lag = actual - due;
    shard_store().add_trend(iter_series_.schedule_lag,
                            static_cast<std::uint64_t>(lag.count() < 0 ? 0 : lag.count()));
  }
  // preconnect: opens the initial VUs' connections; returns how many it started.
  std::size_t warm_up();
  void on_warmed() noexcept;
  void begin(clock::time_point test_start);
  void stop_now();  // external stop: no new iterations, graceful window from now
  void on_iteration_done(vu& v);
  void on_pause_done(vu& v);
  bool finished() const noexcept { return state_ == state::done; }
  template <class F>
  void for_each_vu(F f) {
    for (auto& v : vus_)
      f(*v);
  }
  scenario_outcome outcome() const;
  // Passes and fails of each of the scenario's checks, in declaration order.
  const std::vector<check_outcome>& check_counts() const noexcept { return check_counts_; }
  std::uint64_t hook_errors() const noexcept { return hook_errors_; }
  const std::string& name() const noexcept { return sc_.name; }
  const std::string& first_hook_error() const noexcept { return first_hook_error_; }
  // Safe to read from any thread.
  const runner_progress& progress() const noexcept { return live_; }

 private:
  enum class state { waiting, running, stopping, done };

  void arm_next_arrival();
  void on_arrival();
  void dispatch(clock::time_point due);
  void create_vu();
  void release(vu& v);
  void enter_stopping(clock::time_point hard_deadline);
  void maybe_finish();
  void hard_stop();
  metrics::store& shard_store() noexcept;
  void publish() noexcept;
  void record_http(const http::exchange_result& r, const http::url* hop);
  void run_checks(const http::response_view& response);
  const http_series& route(int status, int code, std::string_view tls_version,
                           std::string_view error, const http::url* hop);

  shard& shard_;
  const scenario& sc_;
  scenario_shared& shared_;
  const origin& origin_;
  asio::ssl::context* tls_;
  const metrics::registry& reg_;
  const std::vector<custom_metric>* custom_ = nullptr;
  http::response_limits limits_;
  unsigned stripe_, stripes_;

  std::vector<std::unique_ptr<vu>> vus_;
  std::vector<vu*> idle_;
  std::int64_t in_flight_ = 0;
  asio::steady_timer arrival_timer_, end_timer_, hard_timer_;
  clock::time_point start_{};
  nanoseconds slack_{0};
  std::uint64_t next_index_ = 0;
  state state_ = state::waiting;
  bool hard_stopped_ = false;
  bool arrival_ = true;

  metrics::tag_set base_tags_;
  iteration_series iter_series_;
  struct cached_route {
    int status;
    int code;
    std::string_view tls_version;
    std::string_view error;  // static message: compared by address
    std::string url;         // redirect hops only
    http_series series;
  };
  std::vector<cached_route> routes_;
  std::string hop_key_;

  scenario_outcome counts_;
  std::vector<series_ids> check_series_;
  std::vector<series_ids> custom_series_;  // resolved on first use by the response hook
  std::uint64_t hook_errors_ = 0;
  std::string first_hook_error_;
  std::vector<check_outcome> check_counts_;
  runner_progress live_;
};

// One thread, one io_context, its own VUs and metric store: no locks between shards.
class shard {
 public:
  // Only this shard's thread touches its sockets and timers; other threads only post().
  // So the reactor's per-socket locks go (UNSAFE_IO), while posting stays thread-safe.
  shard(const metrics::registry& reg, std::chrono::nanoseconds sweep_period)
      : ioc(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
        store(reg.size()),
        sweep_timer_(ioc),
        sweep_period_(sweep_period) {
    error_counts.fill(0);
  }

  void add_runner(std::unique_ptr<scenario_runner> r) { runners_.push_back(std::move(r)); }
  bool idle() const noexcept { return runners_.empty(); }

  // preconnect: opens the connections of the scenarios that ask for it, on the calling
  // thread, and returns once each is open or has failed (or its request timed out).
  void warm_up() {
    for (auto& r : runners_)
      warming_ += r->warm_up();
    if (warming_ == 0) return;
    nanoseconds timeout{0};
    for (auto& r : runners_)
      timeout = std::max(timeout, r->request().timeout());
    sweep_timer_.expires_after(timeout);
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || warming_ == 0) return;
      for_each_vu([](vu& v) { v.conn.expire(); });
    });
    ioc.run();
    ioc.restart();
  }
  void on_vu_warmed() noexcept {
    if (--warming_ == 0) sweep_timer_.cancel();
  }

  // Runs the shard's scenarios to completion on the calling thread.
  void run(clock::time_point test_start) {
    for (auto& r : runners_)
      r->begin(test_start);
    arm_sweep();
    ioc.run();
  }
  // Thread-safe: asks the shard to stop starting iterations.
  void request_stop() {
    asio::post(ioc, [this] {
      for (auto& r : runners_)
        r->stop_now();
    });
  }
  void runner_finished() {
    for (auto& r : runners_)
      if (!r->finished()) return;
    finished_ = true;
    sweep_timer_.cancel();
    // Kept-alive connections are closed so the io_context runs out of work.
    for (auto& r : runners_)
      r->for_each_vu([](vu& v) { v.close_all(); });
  }
  void count_error(int code) noexcept {
    if (code >= 1000 && code < 2000) ++error_counts[static_cast<std::size_t>(code - 1000)];
  }
  std::vector<scenario_outcome> outcomes() const {
    std::vector<scenario_outcome> out;
    for (auto& r : runners_)
      out.push_back(r->outcome());
    return out;
  }
  template <class F>
  void for_each_vu(F f) {
    for (auto& r : runners_)
      r->for_each_vu(f);
  }
  template <class F>
  void for_each_runner(F f) const {
    for (const auto& r : runners_)
      f(*r);
  }

  asio::io_context ioc;
  metrics::store store;
  std::array<std::uint64_t, 1000> error_counts{};
  // Read by the coordinator for the vus / vus_max gauges; written only here.
  std::atomic<std::int64_t> active_vus{0};
  std::atomic<std::int64_t> vus_max{0};

 private:
  // One timer per shard enforces every request timeout, instead of one per request.
  void arm_sweep() {
    sweep_timer_.expires_after(sweep_period_);
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
      // A handler already queued when cancel() ran still sees success: check the flag.
      if (ec || finished_) return;
      auto now = clock::now();
      for_each_vu([now](vu& v) {
        if (v.active().deadline() <= now) v.active().expire();
        v.conn.release_idle_buffers(now, std::chrono::seconds(1));
      });
      arm_sweep();
    });
  }

  std::vector<std::unique_ptr<scenario_runner>> runners_;
  asio::steady_timer sweep_timer_;
  std::chrono::nanoseconds sweep_period_;
  std::size_t warming_ = 0;
  bool finished_ = false;
};

// ---- vu ----

inline vu::vu(scenario_runner& owner, asio::io_context& ioc, asio::ssl::context* tls,
              const origin& o, http::response_limits limits)
    : conn(ioc, tls, &o.endpoints, o.resolve_error, o.url, limits, *this),
      owner_(owner),
      tls_(tls),
      limits_(limits),
      resolver_(ioc),
      pause_timer_(ioc) {}

inline void vu::on_exchange_done() {
  if (warming_) {
    warming_ = false;
    owner_.on_warmed();
    return;
  }
  owner_.on_iteration_done(*this);
}

// ---- scenario_runner ----

inline scenario_runner::scenario_runner(shard& sh, const scenario& sc, scenario_shared& shared,
                                        const origin& o, asio::ssl::context* tls,
                                        const metrics::registry& reg, http::response_limits limits,
                                        unsigned stripe, unsigned stripes, std::int64_t initial_vus)
    : shard_(sh),
      sc_(sc),
      shared_(shared),
      origin_(o),
      tls_(tls),
      reg_(reg),
      limits_(limits),
      stripe_(stripe),
      stripes_(stripes),
      arrival_timer_(sh.ioc),
      end_timer_(sh.ioc),
      hard_timer_(sh.ioc),
      next_index_(stripe),
      arrival_(is_arrival_rate(sc.exec)) {
  counts_.name = sc.name;
  std::visit(
      [this](const auto& e) {
        counts_.description = e.description();
        if constexpr (!std::is_same_v<std::decay_t<decltype(e)>, constant_vus>)
          slack_ = e.pacing_slack();
      },
      sc.exec);
  base_tags_ = sc.tags;
  base_tags_.set("scenario", sc.name);
  base_tags_.set("group", "");
  using namespace metrics::builtin;
  iter_series_.iterations = reg.resolve(iterations, base_tags_);
  iter_series_.duration = reg.resolve(iteration_duration, base_tags_);
  iter_series_.dropped = reg.resolve(dropped_iterations, base_tags_);
  iter_series_.data_sent = reg.resolve(data_sent, base_tags_);
  iter_series_.data_received = reg.resolve(data_received, base_tags_);
  iter_series_.schedule_lag = reg.resolve(iteration_schedule_lag, base_tags_);
  for (const auto& c : sc.checks) {
    metrics::tag_set t = base_tags_;
    t.set("check", c.name);
    check_series_.push_back(reg.resolve(metrics::builtin::checks, t));
    check_counts_.push_back({c.name, 0, 0});
  }
  // k6's init phase: these VUs exist before the test clock starts.
  for (std::int64_t i = 0; i < initial_vus; ++i)
    create_vu();
}

inline void scenario_runner::create_vu() {
  vus_.push_back(std::make_unique<vu>(*this, shard_.ioc, tls_, origin_, limits_));
  idle_.push_back(vus_.back().get());
  ++counts_.vus_initialized;
  shard_.vus_max.store(shard_.vus_max.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
  publish();
}

inline std::size_t scenario_runner::warm_up() {
  bool wanted = false;
  std::visit([&](const auto& e) { wanted = e.preconnects(); }, sc_.exec);
  if (!wanted) return 0;
  const auto deadline = clock::now() + sc_.request.timeout();
  for (vu* v : idle_)
    v->warm_up(deadline);
  return idle_.size();
}

inline void scenario_runner::on_warmed() noexcept {
  shard_.on_vu_warmed();
}

inline void scenario_runner::publish() noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  live_.completed.store(counts_.completed, relaxed);
  live_.interrupted.store(counts_.interrupted, relaxed);
  live_.dropped.store(counts_.dropped, relaxed);
  live_.busy_vus.store(in_flight_, relaxed);
  live_.active_vus.store(static_cast<std::int64_t>(vus_.size()), relaxed);
  live_.state.store(static_cast<int>(state_), relaxed);
}

inline void scenario_runner::begin(clock::time_point test_start) {
  nanoseconds start_time{0}, regular{0}, graceful{0};
  std::visit(
      [&](const auto& e) {
        start_time = e.start_time();
        regular = e.regular_duration();
        graceful = e.graceful_stop();
      },
      sc_.exec);
  start_ = test_start + start_time;
  const auto regular_end = start_ + regular;
  const auto hard_end = regular_end + graceful;
  hard_timer_.expires_at(hard_end);
  hard_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    hard_stop();  // past the graceful window: whatever still runs is interrupted
  });
  end_timer_.expires_at(regular_end);
  end_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Iterations due before the end whose timer has not fired yet still start.
    if (arrival_ && state_ == state::running && !hard_stopped_) on_arrival();
    if (state_ == state::running || state_ == state::waiting) {
      state_ = state::stopping;
      arrival_timer_.cancel();
      for (auto& v : vus_)
        v->end_pause();
      publish();
      maybe_finish();
    }
  });
  arrival_timer_.expires_at(start_);
  arrival_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || state_ != state::waiting) return;
    state_ = state::running;
    publish();
    if (arrival_) {
      on_arrival();
    } else {
      // Closed model: every VU starts at once and loops.
      auto now = clock::now();
      std::vector<vu*> all(idle_.begin(), idle_.end());
      idle_.clear();
      for (vu* v : all) {
        ++counts_.scheduled;
        ++in_flight_;
        shard_.active_vus.store(shard_.active_vus.load(std::memory_order_relaxed) + 1,
                                std::memory_order_relaxed);
        v->start(now);
      }
      publish();
    }
  });
}

// An abort (signal, or later abort-on-fail) interrupts in-flight iterations at once,
// as k6 does; the summary is still produced.
inline void scenario_runner::stop_now() {
  if (state_ != state::done) live_.stopped_early.store(true, std::memory_order_relaxed);
  hard_stop();
}

inline void scenario_runner::hard_stop() {
  if (state_ == state::done || hard_stopped_) return;
  hard_stopped_ = true;
  arrival_timer_.cancel();
  end_timer_.cancel();
  state_ = state::stopping;
  for (auto& v : vus_)
    if (v->busy) v->cancel();
  publish();
  maybe_finish();
}

inline void scenario_runner::on_arrival() {
  // Start every iteration that is due (a late wake-up starts the missed ones
  // now, as k6 does), then sleep until the next one.
  auto now = clock::now();
  for (;;) {
    std::optional<nanoseconds> due;
    std::visit(
        [&](const auto& e) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(e)>, constant_vus>)
            due = e.due(next_index_);
        },
        sc_.exec);
    if (!due) {
      // Schedule exhausted: the end timer moves the scenario to stopping.
      return;
    }
    auto at = start_ + *due;
    if (at > now) {
      // With a pacing slack the timer fires at the end of the window, so one wake-up
      // starts every iteration that fell due within it.
      arrival_timer_.expires_at(at + slack_);
      arrival_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || state_ != state::running) return;
        on_arrival();
      });
      return;
    }
    next_index_ += stripes_;
    dispatch(at);
  }
}

inline void scenario_runner::dispatch(clock::time_point due) {
  ++counts_.scheduled;
  if (idle_.empty()) {
    ++counts_.dropped;
    shard_.store.add_counter(iter_series_.dropped, 1);
    // k6: a drop asks for one more VU, for later iterations, within max_vus.
    if (shared_.vus_created.fetch_add(1, std::memory_order_relaxed) < shared_.max_vus) {
      create_vu();
    } else {
      shared_.vus_created.fetch_sub(1, std::memory_order_relaxed);
      shared_.insufficient_warned.store(true, std::memory_order_relaxed);
      publish();
    }
    return;
  }
  vu* v = idle_.back();
  idle_.pop_back();
  ++in_flight_;
  shard_.active_vus.store(shard_.active_vus.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
  live_.busy_vus.store(in_flight_, std::memory_order_relaxed);
  v->start(due);
}

inline void vu::start(clock::time_point due) {
  busy = true;
  hops_ = 0;
  on_hop_conn_ = false;
  cancelled_ = false;
  iteration_start = clock::now();
  deadline_ = iteration_start + owner_.request().timeout();
  owner_.note_lag(iteration_start, due);
  conn.start(owner_.request(), owner_.keep_body());
}

inline void vu::cancel() {
  if (paused_) {
    pause_timer_.cancel();
  } else if (resolving_) {
    cancelled_ = true;
    resolver_.cancel();
  } else {
    active().cancel();
  }
}

// k6 has no such backoff: there a constant-vus VU whose target refuses connections starts its
// next iteration at once, and spins a core producing refusals. Here a VU whose iteration could
// not connect (DNS or dial failure) waits 5 ms before the next one, doubling up to 1 s; any
// iteration that connected ends the backoff. The failed iteration counts as usual.
inline nanoseconds vu::next_start_delay() {
  using namespace std::chrono_literals;
  namespace ec = http::error_code;
  const int code = active().result().error.code;
  const bool no_connection = code == ec::dns || code == ec::dns_no_such_host ||
                             (code >= ec::dial && code <= ec::dial_errno);
  if (!no_connection)
    backoff_ = nanoseconds::zero();
  else
    backoff_ = backoff_ == nanoseconds::zero() ? nanoseconds(5ms)
                                               : std::min<nanoseconds>(backoff_ * 2, 1s);
  return backoff_;
}

inline void vu::pause(nanoseconds delay) {
  paused_ = true;
  pause_timer_.expires_after(delay);
  pause_timer_.async_wait([this](boost::system::error_code) {
    paused_ = false;
    owner_.on_pause_done(*this);
  });
}

inline bool vu::follow_redirect() {
  const auto& req = owner_.request();
  const auto& r = active().result();
  if (hops_ >= req.max_redirects() || r.error.code != 0) return false;
  if (r.status != 301 && r.status != 302 && r.status != 303 && r.status != 307 && r.status != 308)
    return false;
  std::string_view location;
  if (!active().response().header("Location", location)) return false;
  const http::url& from = hops_ > 0 ? hop_url_ : req.target();
  http::url to;
  try {
    to = http::resolve_reference(from, location);
  } catch (const config_error&) {
    return false;  // a Location that is no URL ends the chain with the 3xx response
  }
  req.redirect_wire(to, r.status, hop_wire_);
  hop_url_ = std::move(to);
  ++hops_;
  start_hop();
  return true;
}

inline void vu::start_hop() {
  const auto& req = owner_.request();
  bool head = req.method() == "HEAD" && hop_wire_.rfind("HEAD ", 0) == 0;
  auto same = [&](const http::url& o) {
    return o.tls == hop_url_.tls && o.host == hop_url_.host && o.port == hop_url_.port;
  };
  if (same(conn.origin())) {
    on_hop_conn_ = false;
    conn.start_until(hop_wire_, head, deadline_, owner_.keep_body());
    return;
  }
  on_hop_conn_ = true;
  if (hop_conn_ && same(hop_conn_->origin()) && hop_origin_.resolve_error.code == 0) {
    hop_conn_->start_until(hop_wire_, head, deadline_, owner_.keep_body());
    return;
  }
  // Another origin: resolve it without blocking the shard, then connect.
  if (!hop_conn_)
    hop_conn_ = std::make_unique<http::detail::connection>(
        owner_.io(), tls_, &hop_origin_.endpoints, http::failure{}, hop_url_, limits_, *this);
  resolving_ = true;
  resolver_.async_resolve(
      hop_url_.host, std::to_string(hop_url_.port),
      [this, head](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
        resolving_ = false;
        if (cancelled_) return owner_.on_iteration_done(*this);
        hop_origin_.url = hop_url_;
        hop_origin_.endpoints.clear();
        hop_origin_.resolve_error = {};
        if (ec)
          hop_origin_.resolve_error = {http::error_code::dns_no_such_host, "lookup: no such host"};
        for (const auto& e : results)
          hop_origin_.endpoints.push_back(e.endpoint());
        hop_conn_->retarget(hop_url_, &hop_origin_.endpoints, hop_origin_.resolve_error);
        hop_conn_->start_until(hop_wire_, head, deadline_, owner_.keep_body());
      });
}

inline void scenario_runner::on_iteration_done(vu& v) {
  const bool interrupted = v.interrupted();
  if (!interrupted) {
    record_http(v.active().result(), v.hop_url());
    if (!hard_stopped_ && v.follow_redirect()) return;  // the iteration goes on
    run_checks(v.active().response());
    if (sc_.response_hook) {
      recorder rec(shard_.store, reg_, base_tags_, *custom_, custom_series_);
      // As in k6, an exception in user code is reported and the iteration still counts.
      try {
        sc_.response_hook(v.active().response(), rec);
      } catch (const std::exception& e) {
        if (hook_errors_++ == 0) first_hook_error_ = e.what();
      } catch (...) {
        if (hook_errors_++ == 0) first_hook_error_ = "unknown exception";
      }
    }
  }
  const auto now = clock::now();
  auto& store = shard_.store;
  // k6 emits the bytes moved at the end of every iteration, complete or not.
  std::uint64_t sent = v.bytes_sent(), received = v.bytes_received();
  store.add_counter(iter_series_.data_sent, static_cast<double>(sent - v.sent_mark));
  store.add_counter(iter_series_.data_received, static_cast<double>(received - v.received_mark));
  v.sent_mark = sent;
  v.received_mark = received;
  if (interrupted) {
    ++counts_.interrupted;
  } else {
    ++counts_.completed;
    store.add_counter(iter_series_.iterations, 1);
    store.add_trend(iter_series_.duration,
                    static_cast<std::uint64_t>((now - v.iteration_start).count()));
  }
  if (!arrival_ && state_ == state::running && !interrupted) {
    live_.completed.store(counts_.completed, std::memory_order_relaxed);
    if (auto delay = v.next_start_delay(); delay > nanoseconds::zero()) {
      v.pause(delay);  // still busy: the scenario does not finish under a pausing VU
      return;
    }
    ++counts_.scheduled;
    v.start(now);
    return;
  }
  release(v);
}

// Closed model: the next iteration after a backoff, unless the scenario is stopping.
inline void scenario_runner::on_pause_done(vu& v) {
  if (state_ == state::running && !hard_stopped_) {
    ++counts_.scheduled;
    v.start(clock::now());
    return;
  }
  release(v);
}

// The VU has no iteration any more: it goes back to the idle list.
inline void scenario_runner::release(vu& v) {
  v.busy = false;
  --in_flight_;
  shard_.active_vus.store(shard_.active_vus.load(std::memory_order_relaxed) - 1,
                          std::memory_order_relaxed);
  idle_.push_back(&v);
  publish();
  maybe_finish();
}

inline void scenario_runner::run_checks(const http::response_view& response) {
  for (std::size_t i = 0; i < sc_.checks.size(); ++i) {
    bool ok = sc_.checks[i].test(response);
    shard_.store.add_rate(check_series_[i], ok);
    ++(ok ? check_counts_[i].passes : check_counts_[i].fails);
  }
}

inline void scenario_runner::record_http(const http::exchange_result& r, const http::url* hop) {
  int code = r.error.code;
  if (code == 0 && r.status >= 400) code = 1000 + r.status;
  if (code != 0) shard_.count_error(code);
  const http_series& s = route(r.status, code, r.tls_version, r.error.message, hop);
  auto& store = shard_.store;
  auto ns = [](nanoseconds d) { return static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count()); };
  store.add_counter(s.reqs, 1);
  store.add_trend(s.duration, ns(r.duration()));
  store.add_trend(s.blocked, ns(r.blocked));
  store.add_trend(s.connecting, ns(r.connecting));
  store.add_trend(s.tls_handshaking, ns(r.tls_handshaking));
  store.add_trend(s.sending, ns(r.sending));
  store.add_trend(s.waiting, ns(r.waiting));
  store.add_trend(s.receiving, ns(r.receiving));
  store.add_rate(s.failed, r.error.code != 0 || !sc_.request.expected(r.status));
}

// Tags that depend on the response are few (status, error code, TLS version), so
// each combination is resolved once and cached: recording never builds strings.
inline const http_series& scenario_runner::route(int status, int code, std::string_view tls_version,
                                                 std::string_view error, const http::url* hop) {
  std::string_view hop_key;
  if (hop != nullptr) {
    hop_key_.clear();
    hop_key_ += hop->scheme();
    hop_key_ += "://";
    hop_key_ += hop->host_header;
    hop_key_ += hop->target;
    hop_key = hop_key_;
  }
  for (auto& c : routes_)
    if (c.status == status && c.code == code && c.tls_version == tls_version &&
        c.error.data() == error.data() && c.url == hop_key)
      return c.series;
  metrics::tag_set t = base_tags_;
  t.merge(sc_.request.tags());
  // A redirect hop is tagged with its own URL unless the user named the request.
  if (hop != nullptr && sc_.request.user_tags().find("name") == nullptr) {
    t.set("url", hop_key);
    t.set("name", hop_key);
  }
  t.set("status", std::to_string(status));
  // Status 0 means no response: never expected (k6).
  bool expected = status != 0 && sc_.request.expected(status);
  t.set("expected_response", expected ? "true" : "false");
  if (status != 0) t.set("proto", "HTTP/1.1");
  if (!tls_version.empty()) t.set("tls_version", tls_version);
  if (code != 0) t.set("error_code", std::to_string(code));
  if (!error.empty()) t.set("error", error);
  using namespace metrics::builtin;
  http_series s;
  s.reqs = reg_.resolve(http_reqs, t);
  s.duration = reg_.resolve(http_req_duration, t);
  s.blocked = reg_.resolve(http_req_blocked, t);
  s.connecting = reg_.resolve(http_req_connecting, t);
  s.tls_handshaking = reg_.resolve(http_req_tls_handshaking, t);
  s.sending = reg_.resolve(http_req_sending, t);
  s.waiting = reg_.resolve(http_req_waiting, t);
  s.receiving = reg_.resolve(http_req_receiving, t);
  s.failed = reg_.resolve(http_req_failed, t);
  // Redirects to ever-new URLs must not grow the cache without bound.
  if (hop != nullptr && routes_.size() >= 256)
    std::erase_if(routes_, [](const cached_route& c) { return !c.url.empty(); });
  routes_.push_back({status, code, tls_version, error, std::string(hop_key), std::move(s)});
  return routes_.back().series;
}

inline void scenario_runner::maybe_finish() {
  if (state_ != state::stopping || in_flight_ > 0) return;
  state_ = state::done;
  publish();
  arrival_timer_.cancel();
  end_timer_.cancel();
  hard_timer_.cancel();
  shard_.runner_finished();
}

inline scenario_outcome scenario_runner::outcome() const {
  return counts_;
}
inline metrics::store& scenario_runner::shard_store() noexcept {
  return shard_.store;
}
inline asio::io_context& scenario_runner::io() noexcept {
  return shard_.ioc;
}

}  // namespace pacer::detail

#endif
