#ifndef PACER_EXEC_ENGINE_HPP
#define PACER_EXEC_ENGINE_HPP

// The engine: shards (one thread and io_context each), VUs and the scenario runners that
// start, time and record iterations.

#include <pacer/exec/sample_router.hpp>
#include <pacer/http/client.hpp>
#include <pacer/metrics/registry.hpp>
#include <pacer/plan/executors.hpp>
#include <pacer/plan/flow.hpp>
#include <pacer/plan/outcome.hpp>
#include <pacer/plan/scenario.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <any>
#include <array>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pacer::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

// What a runner does beside a scenario's iterations: setup() and teardown() run as a
// scenario of one iteration whose samples carry their group and no scenario tag.
enum class run_phase { scenario, setup, teardown };

// State of a scenario shared by its shards: touched when a VU is created or (closed
// model flows, shared-iterations) when an iteration starts, never per request.
struct scenario_shared {
  std::atomic<std::int64_t> vus_created{0};
  std::atomic<bool> insufficient_warned{false};
  std::int64_t max_vus = 0;
  std::atomic<std::uint64_t> iterations_started{0};  // shared-iterations, iterationInTest
};

// What every runner of a run shares: VU numbering (k6's __VU) and setup()'s data.
struct run_shared {
  std::atomic<std::uint64_t> next_vu_id{0};
  const std::any* setup_data = nullptr;
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

// A virtual user: its HTTP client and the iteration it runs, a request template's or a
// flow's. What a flow sees of it is pacer::vu.
class virtual_user final : public pacer::vu, private http::detail::client::listener {
 public:
  virtual_user(scenario_runner& owner, asio::io_context& ioc, asio::ssl::context* tls,
               http::detail::origin_cache& origins, http::response_limits limits,
               std::uint64_t vu_id, std::int64_t index);

  // Starts one iteration, due at `due` (the schedule's time, for the lag metric).
  void start(clock::time_point due, std::uint64_t iteration_in_test);
  // Opens the VU's connection before the test clock starts; the runner hears of it once.
  void warm_up(const http::url& where, clock::time_point deadline) {
    warming_ = true;
    client_.warm_up(where, deadline);
  }
  // Hard stop: the running iteration ends as interrupted (a pause just ends).
  void cancel();
  // Closed model: how long to wait before the next iteration, from how this one ended.
  nanoseconds next_start_delay();
  // Waits `delay` between two iterations, then hands the VU back to its runner.
  void pause(nanoseconds delay);
  // The scenario is stopping: a pause ends now rather than when its timer fires.
  void end_pause() {
    if (waiting_ == wait::pause) timer_.cancel();
  }

  http::detail::client& client() noexcept { return client_; }
  const http::detail::client& client() const noexcept { return client_; }
  bool interrupted() const noexcept { return interrupted_ || client_.interrupted(); }
  // The exception that ended the last flow iteration, if one did.
  const std::exception_ptr& error() const noexcept { return error_; }
  std::int64_t index() const noexcept { return index_; }

  clock::time_point iteration_start{};
  std::uint64_t sent_mark = 0, received_mark = 0;
  bool busy = false;
  // Closed-model executors: iterations this VU may still start (per-vu-iterations), and
  // whether ramping-vus has taken it out of the planned count (it ends after its iteration).
  std::int64_t iterations_left = 0;
  bool retiring = false;
  clock::time_point retire_deadline = clock::time_point::max();

  // pacer::vu
  std::string_view scenario_name() const noexcept override;
  void add(metric_handle m, double value) override;

 protected:
  void start_request(const http::request& r, std::coroutine_handle<> resume) override;
  pacer::response last_response() const noexcept override;
  void start_sleep(nanoseconds d, std::coroutine_handle<> resume) override;
  void record_check(std::string_view name, bool ok) override;
  void push_group(std::string_view name) override;
  void pop_group(bool completed) noexcept override;
  const std::any* shared_setup_data() const noexcept override;

 private:
  enum class wait { nothing, request, sleep, pause };

  void on_response(const http::exchange_result& r, const http::url* hop) override;
  bool may_follow() const noexcept override;
  void on_request_done() override;

  void start_flow();
  void resume(std::coroutine_handle<> h);
  void flow_returned();
  void end_flow_interrupted();
  void iteration_over();

  scenario_runner& owner_;
  http::detail::client client_;
  asio::steady_timer timer_;  // think time and the closed model's backoff
  std::int64_t index_;
  wait waiting_ = wait::nothing;
  bool warming_ = false;
  bool interrupted_ = false;
  bool in_start_ = false;  // a flow that ends inside start() reports from the io_context
  bool ended_in_start_ = false;
  bool unwinding_ = false;  // frames of an interrupted flow are being destroyed
  nanoseconds backoff_{0};
  task<> flow_;
  std::coroutine_handle<> resume_{};
  std::exception_ptr error_;
  const http::request* current_ = nullptr;  // the request in flight
  std::string wire_;                        // a flow request's bytes, storage reused
  std::string group_;                       // the current group's path
  struct open_group {
    std::size_t parent_length;
    clock::time_point started;
  };
  std::vector<open_group> open_groups_;
};

// One scenario's share of work on one shard.
class scenario_runner {
 public:
  scenario_runner(shard& sh, const scenario& sc, scenario_shared& shared, run_shared& run,
                  const http::detail::resolved_origin* origin, asio::ssl::context* tls,
                  const metrics::registry& reg, http::response_limits limits, unsigned stripe,
                  unsigned stripes, std::int64_t initial_vus,
                  run_phase phase = run_phase::scenario);

  const http::request* template_request() const noexcept {
    return sc_.request ? &*sc_.request : nullptr;
  }
  const flow_function& flow() const noexcept { return sc_.flow; }
  void set_custom_metrics(const std::vector<custom_metric>& defs) noexcept {
    router_.set_custom_metrics(defs);
  }
  asio::io_context& io() noexcept;
  bool keep_body() const noexcept {
    return sc_.is_flow() ? !sc_.discard_flow_bodies : sc_.keep_response_body;
  }
  bool hard_stopped() const noexcept { return hard_stopped_; }
  sample_router& router() noexcept { return router_; }
  const std::any* setup_data() const noexcept { return run_.setup_data; }
  // The group path every iteration starts in: "" for scenarios, "::setup" / "::teardown".
  const std::string& base_group() const noexcept { return router_.base_group(); }
  const std::string& scenario_tag() const noexcept { return sc_.name; }
  run_phase phase() const noexcept { return phase_; }
  // The generator's own honesty metric: how late an iteration started.
  void note_lag(clock::time_point actual, clock::time_point due) {
    if (arrival_) router_.schedule_lag(actual - due);
  }
  // preconnect: opens the initial VUs' connections; returns how many it started.
  std::size_t warm_up();
  void on_warmed() noexcept;
  void begin(clock::time_point test_start);
  void stop_now();  // external stop: no new iterations, graceful window from now
  void on_iteration_done(virtual_user& v);
  void on_pause_done(virtual_user& v);
  bool finished() const noexcept { return state_ == state::done; }
  template <class F>
  void for_each_vu(F f) {
    for (auto& v : vus_)
      f(*v);
  }
  scenario_outcome outcome() const { return counts_; }
  const sample_router& samples() const noexcept { return router_; }
  const std::string& name() const noexcept { return sc_.name; }
  // Safe to read from any thread.
  const runner_progress& progress() const noexcept { return live_; }

 private:
  enum class state { waiting, running, stopping, done };
  enum class model { arrival, looping, per_vu, shared, ramping, external };

  void on_arrival();
  void create_vu();
  bool may_loop(virtual_user& v);
  void start_looping(virtual_user& v, clock::time_point now);
  void release(virtual_user& v);
  void apply_ramp(clock::time_point now);
  void plan_vus(std::int64_t planned, clock::time_point at, nanoseconds grace);
  void apply_external(std::int64_t vus);
  void arm_ramp();
  void maybe_finish();
  void hard_stop();
  void publish() noexcept;
  void vu_busy_delta(std::int64_t d) noexcept;

  shard& shard_;
  const scenario& sc_;
  scenario_shared& shared_;
  run_shared& run_;
  asio::ssl::context* tls_;
  http::response_limits limits_;
  unsigned stripe_, stripes_;
  run_phase phase_;
  model model_;

  std::vector<std::unique_ptr<virtual_user>> vus_;
  std::vector<virtual_user*> idle_;
  std::int64_t in_flight_ = 0;
  asio::steady_timer arrival_timer_, end_timer_, hard_timer_, ramp_timer_;
  clock::time_point start_{}, regular_end_{}, hard_end_{};
  nanoseconds slack_{0};
  std::uint64_t next_index_ = 0;
  std::uint64_t claimed_ = 0;  // shared-iterations: the iteration a VU just took
  state state_ = state::waiting;
  bool hard_stopped_ = false;
  bool arrival_ = true;
  // ramping-vus: the planned VU counts over time, and the next one to apply.
  std::vector<ramping_vus::step> steps_;
  std::size_t next_step_ = 0;
  std::int64_t planned_ = 0;
  nanoseconds graceful_ramp_down_{0};

  sample_router router_;
  scenario_outcome counts_;
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
        origins(ioc),
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
      if (r->template_request() != nullptr)
        timeout = std::max(timeout, r->template_request()->timeout());
    sweep_timer_.expires_after(timeout);
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || warming_ == 0) return;
      for_each_vu([](virtual_user& v) { v.client().expire(); });
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
    origins.cancel();
    // Kept-alive connections are closed so the io_context runs out of work.
    for (auto& r : runners_)
      r->for_each_vu([](virtual_user& v) { v.client().close_all(); });
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
  http::detail::origin_cache origins;
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
      for_each_vu([now](virtual_user& v) {
        v.client().expire_if_due(now);
        v.client().release_idle_buffers(now, std::chrono::seconds(1));
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

// ---- virtual_user ----

inline virtual_user::virtual_user(scenario_runner& owner, asio::io_context& ioc,
                                  asio::ssl::context* tls, http::detail::origin_cache& origins,
                                  http::response_limits limits, std::uint64_t vu_id,
                                  std::int64_t index)
    : owner_(owner), client_(ioc, tls, origins, limits, *this), timer_(ioc), index_(index) {
  id_ = vu_id;
}

inline std::string_view virtual_user::scenario_name() const noexcept {
  return owner_.phase() == run_phase::scenario ? std::string_view(owner_.scenario_tag())
                                               : std::string_view();
}

inline void virtual_user::start(clock::time_point due, std::uint64_t iteration_in_test) {
  busy = true;
  interrupted_ = false;
  error_ = nullptr;
  iteration_start = clock::now();
  iteration_in_test_ = iteration_in_test;
  owner_.note_lag(iteration_start, due);
  client_.clear_cookies();
  if (const http::request* req = owner_.template_request()) {
    current_ = req;
    waiting_ = wait::request;
    // Only a redirect hop comes after a template's response within its iteration.
    client_.start(*req, req->wire(), owner_.keep_body(), req->max_redirects() > 0);
    return;
  }
  start_flow();
}

inline void virtual_user::start_flow() {
  group_ = owner_.base_group();
  open_groups_.clear();
  in_start_ = true;
  ended_in_start_ = false;
  try {
    flow_ = owner_.flow()(*this);
  } catch (...) {
    // A flow function that throws before its first suspension (not a coroutine).
    error_ = std::current_exception();
  }
  if (flow_.valid()) {
    resume(task_access::handle(flow_));
  } else {
    flow_returned();
  }
  in_start_ = false;
  if (ended_in_start_) {
    // Never start the next iteration from inside this one's start: a flow that never
    // suspends would recurse. The io_context runs the end instead.
    asio::post(owner_.io(), [this] { iteration_over(); });
  }
}

inline void virtual_user::resume(std::coroutine_handle<> h) {
  h.resume();
  if (task_access::done(flow_)) flow_returned();
}

inline void virtual_user::flow_returned() {
  if (flow_.valid()) {
    if (auto e = task_access::error(flow_)) error_ = e;
    flow_ = task<>();
  }
  waiting_ = wait::nothing;
  if (in_start_) {
    ended_in_start_ = true;
    return;
  }
  iteration_over();
}

inline void virtual_user::iteration_over() {
  ++iteration_;
  owner_.on_iteration_done(*this);
}

inline void virtual_user::end_flow_interrupted() {
  interrupted_ = true;
  waiting_ = wait::nothing;
  // Destroying the frames runs the flow's destructors (its group scopes among them),
  // which must record nothing.
  unwinding_ = true;
  flow_ = task<>();
  unwinding_ = false;
  ++iteration_;
  owner_.on_iteration_done(*this);
}

inline void virtual_user::start_request(const http::request& r, std::coroutine_handle<> h) {
  resume_ = h;
  current_ = &r;
  waiting_ = wait::request;
  r.write_wire(wire_);
  client_.start(r, wire_, owner_.keep_body(), true);
}

inline pacer::response virtual_user::last_response() const noexcept {
  const auto& r = client_.result();
  int code = r.error.code;
  if (code == 0 && r.status >= 400) code = 1000 + r.status;
  return pacer::response(r.status, code, r.error.message,
                         request_timings{r.blocked, r.connecting, r.tls_handshaking, r.sending,
                                         r.waiting, r.receiving},
                         client_.response());
}

inline void virtual_user::start_sleep(nanoseconds d, std::coroutine_handle<> h) {
  resume_ = h;
  waiting_ = wait::sleep;
  timer_.expires_after(d);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (waiting_ != wait::sleep) return;
    if (ec || owner_.hard_stopped()) return end_flow_interrupted();
    waiting_ = wait::nothing;
    resume(resume_);
  });
}

inline void virtual_user::record_check(std::string_view name, bool ok) {
  owner_.router().check(group_, name, ok);
}

inline void virtual_user::push_group(std::string_view name) {
  open_groups_.push_back({group_.size(), clock::now()});
  group_ += "::";
  group_ += name;
  owner_.router().note_group(group_);
}

inline void virtual_user::pop_group(bool) noexcept {
  if (open_groups_.empty()) return;
  const auto g = open_groups_.back();
  open_groups_.pop_back();
  // k6 records a group's duration also when its function threw; not when the
  // iteration was cancelled.
  if (!unwinding_) owner_.router().group_duration(group_, clock::now() - g.started);
  group_.resize(g.parent_length);
}

inline const std::any* virtual_user::shared_setup_data() const noexcept {
  return owner_.setup_data();
}

inline void virtual_user::add(metric_handle m, double value) {
  owner_.router().custom(m, value, group_);
}

inline void virtual_user::on_response(const http::exchange_result& r, const http::url* hop) {
  owner_.router().http(r, hop, *current_, group_, current_ == owner_.template_request());
}

inline bool virtual_user::may_follow() const noexcept {
  return !owner_.hard_stopped();
}

inline void virtual_user::on_request_done() {
  if (warming_) {
    warming_ = false;
    owner_.on_warmed();
    return;
  }
  if (owner_.template_request() != nullptr) {
    waiting_ = wait::nothing;
    ++iteration_;
    owner_.on_iteration_done(*this);
    return;
  }
  if (client_.interrupted() || owner_.hard_stopped()) return end_flow_interrupted();
  waiting_ = wait::nothing;
  resume(resume_);
}

inline void virtual_user::cancel() {
  switch (waiting_) {
    case wait::pause:
    case wait::sleep:
      timer_.cancel();
      break;
    case wait::request:
      client_.cancel();
      break;
    case wait::nothing:
      break;
  }
}

// k6 has no such backoff: there a constant-vus VU whose target refuses connections starts its
// next iteration at once, and spins a core producing refusals. Here a VU whose iteration could
// not connect (DNS or dial failure) waits 5 ms before the next one, doubling up to 1 s; any
// iteration that connected ends the backoff. The failed iteration counts as usual.
inline nanoseconds virtual_user::next_start_delay() {
  using namespace std::chrono_literals;
  namespace ec = http::error_code;
  const int code = client_.result().error.code;
  const bool no_connection = code == ec::dns || code == ec::dns_no_such_host ||
                             (code >= ec::dial && code <= ec::dial_errno);
  if (!no_connection)
    backoff_ = nanoseconds::zero();
  else
    backoff_ = backoff_ == nanoseconds::zero() ? nanoseconds(5ms)
                                               : std::min<nanoseconds>(backoff_ * 2, 1s);
  return backoff_;
}

inline void virtual_user::pause(nanoseconds delay) {
  waiting_ = wait::pause;
  timer_.expires_after(delay);
  timer_.async_wait([this](boost::system::error_code) {
    waiting_ = wait::nothing;
    owner_.on_pause_done(*this);
  });
}

// ---- scenario_runner ----

inline scenario_runner::scenario_runner(shard& sh, const scenario& sc, scenario_shared& shared,
                                        run_shared& run,
                                        const http::detail::resolved_origin* origin,
                                        asio::ssl::context* tls, const metrics::registry& reg,
                                        http::response_limits limits, unsigned stripe,
                                        unsigned stripes, std::int64_t initial_vus, run_phase phase)
    : shard_(sh),
      sc_(sc),
      shared_(shared),
      run_(run),
      tls_(tls),
      limits_(limits),
      stripe_(stripe),
      stripes_(stripes),
      phase_(phase),
      arrival_timer_(sh.ioc),
      end_timer_(sh.ioc),
      hard_timer_(sh.ioc),
      ramp_timer_(sh.ioc),
      next_index_(stripe),
      arrival_(is_arrival_rate(sc.exec)),
      router_(sh.store, sh.error_counts, reg, sc,
              phase == run_phase::scenario ? std::string() : "::" + sc.name,
              phase == run_phase::scenario) {
  counts_.name = sc.name;
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        counts_.description = e.description();
        if constexpr (is_arrival_executor<E>) {
          slack_ = e.pacing_slack();
          model_ = model::arrival;
        } else if constexpr (std::is_same_v<E, constant_vus>) {
          model_ = model::looping;
        } else if constexpr (std::is_same_v<E, per_vu_iterations>) {
          model_ = model::per_vu;
        } else if constexpr (std::is_same_v<E, shared_iterations>) {
          model_ = model::shared;
        } else if constexpr (std::is_same_v<E, externally_controlled>) {
          model_ = model::external;
          // Changes arrive from any thread; each runner applies them on its own shard.
          e.control().listen([this](std::int64_t vus) {
            asio::post(shard_.ioc, [this, vus] { apply_external(vus); });
          });
        } else {
          model_ = model::ramping;
          steps_ = e.steps();
          graceful_ramp_down_ = e.graceful_ramp_down();
        }
      },
      sc.exec);
  if (origin != nullptr) sh.origins.preset(*origin);
  // k6's init phase: these VUs exist before the test clock starts.
  for (std::int64_t i = 0; i < initial_vus; ++i)
    create_vu();
}

inline void scenario_runner::create_vu() {
  // Closed-model VUs are numbered across the scenario's shards, stripe by stripe, so that
  // ramping-vus takes the highest numbers out first, as k6 does.
  const auto index = static_cast<std::int64_t>(stripe_) +
                     static_cast<std::int64_t>(vus_.size()) * static_cast<std::int64_t>(stripes_);
  // k6's __VU: 1, 2, ... in the scenarios; 0 in setup() and teardown().
  const auto id = phase_ == run_phase::scenario
                      ? run_.next_vu_id.fetch_add(1, std::memory_order_relaxed) + 1
                      : 0;
  vus_.push_back(
      std::make_unique<virtual_user>(*this, shard_.ioc, tls_, shard_.origins, limits_, id, index));
  idle_.push_back(vus_.back().get());
  ++counts_.vus_initialized;
  shard_.vus_max.store(shard_.vus_max.load(std::memory_order_relaxed) + 1,
                       std::memory_order_relaxed);
  publish();
}

inline std::size_t scenario_runner::warm_up() {
  bool wanted = false;
  std::visit([&](const auto& e) { wanted = e.preconnects(); }, sc_.exec);
  const http::request* req = template_request();
  if (!wanted || req == nullptr) return 0;
  const auto deadline = clock::now() + req->timeout();
  for (virtual_user* v : idle_)
    v->warm_up(req->target(), deadline);
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

inline void scenario_runner::vu_busy_delta(std::int64_t d) noexcept {
  in_flight_ += d;
  shard_.active_vus.store(shard_.active_vus.load(std::memory_order_relaxed) + d,
                          std::memory_order_relaxed);
  live_.busy_vus.store(in_flight_, std::memory_order_relaxed);
}

inline void scenario_runner::begin(clock::time_point test_start) {
  nanoseconds start_time{0}, regular{0}, graceful{0};
  std::visit(
      [&](const auto& e) {
        start_time = e.start_time();
        regular = e.regular_duration();
        graceful = e.graceful_stop();
        // k6 interrupts externally controlled iterations at the end of the duration.
        if constexpr (std::is_same_v<std::decay_t<decltype(e)>, externally_controlled>)
          graceful = nanoseconds::zero();
      },
      sc_.exec);
  start_ = test_start + start_time;
  regular_end_ = start_ + regular;
  hard_end_ = regular_end_ + graceful;
  hard_timer_.expires_at(hard_end_);
  hard_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    hard_stop();  // past the graceful window: whatever still runs is interrupted
  });
  end_timer_.expires_at(regular_end_);
  end_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    // Iterations due before the end whose timer has not fired yet still start.
    if (arrival_ && state_ == state::running && !hard_stopped_) on_arrival();
    // ramping-vus: the steps due at the end still apply (VUs leaving at the end of a ramp to
    // 0 keep their gracefulRampDown).
    if (model_ == model::ramping && state_ == state::running) apply_ramp(clock::now());
    if (state_ == state::running || state_ == state::waiting) {
      state_ = state::stopping;
      arrival_timer_.cancel();
      for (auto& v : vus_)
        v->end_pause();
      // per-vu-iterations: what the VUs that are not running could not start is dropped
      // (k6: one dropped_iterations sample per VU with what it had left).
      if (model_ == model::per_vu)
        for (auto& v : vus_)
          if (!v->busy && v->iterations_left > 0) {
            counts_.scheduled += static_cast<std::uint64_t>(v->iterations_left);
            counts_.dropped += static_cast<std::uint64_t>(v->iterations_left);
            router_.dropped(static_cast<double>(v->iterations_left));
            v->iterations_left = 0;
          }
      publish();
      maybe_finish();
      if (model_ == model::ramping) arm_ramp();
    }
  });
  arrival_timer_.expires_at(start_);
  arrival_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || state_ != state::waiting) return;
    state_ = state::running;
    publish();
    if (arrival_) return on_arrival();
    auto now = clock::now();
    if (model_ == model::ramping) {
      apply_ramp(now);
      return;
    }
    if (model_ == model::external) {
      apply_external(std::get<externally_controlled>(sc_.exec).control().vus());
      return;
    }
    // Closed model: every VU starts at once and loops.
    std::int64_t each = 0;
    if (const auto* e = std::get_if<per_vu_iterations>(&sc_.exec)) each = e->iterations();
    std::vector<virtual_user*> all(idle_.begin(), idle_.end());
    idle_.clear();
    for (virtual_user* v : all) {
      v->iterations_left = each;
      vu_busy_delta(1);
      if (!may_loop(*v)) {
        release(*v);
        continue;
      }
      start_looping(*v, now);
    }
    publish();
    maybe_finish();
  });
}

// Closed model: whether the VU starts another iteration now.
inline bool scenario_runner::may_loop(virtual_user& v) {
  if (state_ != state::running || hard_stopped_) return false;
  switch (model_) {
    case model::per_vu:
      return v.iterations_left > 0;
    case model::shared: {
      const auto total = std::get<shared_iterations>(sc_.exec).total_iterations();
      // k6 counts an attempt before checking it against the total.
      claimed_ = shared_.iterations_started.fetch_add(1, std::memory_order_relaxed);
      return claimed_ < total;
    }
    case model::ramping:
    case model::external:
      return !v.retiring;
    default:
      return true;
  }
}

inline void scenario_runner::start_looping(virtual_user& v, clock::time_point now) {
  ++counts_.scheduled;
  std::uint64_t in_test = 0;
  if (model_ == model::per_vu) {
    --v.iterations_left;
    const auto each = std::get<per_vu_iterations>(sc_.exec).iterations();
    in_test = static_cast<std::uint64_t>(v.index() * each + (each - v.iterations_left - 1));
  } else if (model_ == model::shared) {
    in_test = claimed_;
  } else if (sc_.is_flow()) {
    in_test = shared_.iterations_started.fetch_add(1, std::memory_order_relaxed);
  }
  v.start(now, in_test);
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
  ramp_timer_.cancel();
  state_ = state::stopping;
  for (auto& v : vus_)
    if (v->busy) v->cancel();
  publish();
  maybe_finish();
}

// ramping-vus: applies every step due by `now` (VUs join or are taken out, highest numbers
// first), interrupts the taken-out VUs whose gracefulRampDown has passed, and sleeps until
// the next of either.
inline void scenario_runner::apply_ramp(clock::time_point now) {
  if (state_ == state::done || hard_stopped_) return;
  while (state_ == state::running && next_step_ < steps_.size() &&
         start_ + steps_[next_step_].at <= now) {
    const auto& st = steps_[next_step_++];
    plan_vus(st.vus, start_ + st.at, graceful_ramp_down_);
  }
  for (auto& v : vus_)
    if (v->busy && v->retiring && v->retire_deadline <= now) v->cancel();
  publish();
  arm_ramp();
}

// The VUs numbered below `planned` loop; idle ones among them start now. Busy ones above
// finish their iteration, within `grace` from `at`, and stop; one planned again before
// that goes on.
inline void scenario_runner::plan_vus(std::int64_t planned, clock::time_point at,
                                      nanoseconds grace) {
  const std::int64_t before = planned_;
  planned_ = planned;
  for (auto& v : vus_) {
    const bool wanted = v->index() < planned_;
    if (wanted && v->retiring) {
      v->retiring = false;
      v->retire_deadline = clock::time_point::max();
    } else if (!wanted && v->index() < before && v->busy && !v->retiring) {
      v->retiring = true;
      v->retire_deadline =
          grace == nanoseconds::max() ? clock::time_point::max() : std::min(at + grace, hard_end_);
    }
  }
  for (auto it = idle_.begin(); it != idle_.end();) {
    virtual_user* v = *it;
    if (v->index() < planned_) {
      it = idle_.erase(it);
      vu_busy_delta(1);
      start_looping(*v, clock::now());
    } else {
      ++it;
    }
  }
}

// externally-controlled: the control's count, applied on this shard. VUs taken out end
// after their iteration, without a deadline (k6 stops them gracefully).
inline void scenario_runner::apply_external(std::int64_t vus) {
  if (state_ != state::running || hard_stopped_) return;
  plan_vus(vus, clock::now(), nanoseconds::max());
  publish();
}

inline void scenario_runner::arm_ramp() {
  auto next = clock::time_point::max();
  if (state_ == state::running && next_step_ < steps_.size()) next = start_ + steps_[next_step_].at;
  for (auto& v : vus_)
    if (v->busy && v->retiring) next = std::min(next, v->retire_deadline);
  if (next == clock::time_point::max()) return;
  ramp_timer_.expires_at(next);
  ramp_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    apply_ramp(clock::now());
  });
}

inline void scenario_runner::on_arrival() {
  // Start every iteration that is due (a late wake-up starts the missed ones
  // now, as k6 does), then sleep until the next one.
  auto now = clock::now();
  for (;;) {
    std::optional<nanoseconds> due;
    std::visit(
        [&](const auto& e) {
          if constexpr (is_arrival_executor<std::decay_t<decltype(e)>>) due = e.due(next_index_);
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
    const auto index = next_index_;
    next_index_ += stripes_;
    ++counts_.scheduled;
    if (idle_.empty()) {
      ++counts_.dropped;
      router_.dropped(1);
      // k6: a drop asks for one more VU, for later iterations, within max_vus.
      if (shared_.vus_created.fetch_add(1, std::memory_order_relaxed) < shared_.max_vus) {
        create_vu();
      } else {
        shared_.vus_created.fetch_sub(1, std::memory_order_relaxed);
        shared_.insufficient_warned.store(true, std::memory_order_relaxed);
        publish();
      }
      continue;
    }
    virtual_user* v = idle_.back();
    idle_.pop_back();
    vu_busy_delta(1);
    v->start(at, index);
  }
}

inline void scenario_runner::on_iteration_done(virtual_user& v) {
  const bool interrupted = v.interrupted();
  if (!interrupted) {
    if (const http::request* req = template_request())
      router_.template_response(v.client().response(), *req);
    if (v.error()) router_.iteration_error(v.error());
  }
  // k6 emits the bytes moved at the end of every iteration, complete or not.
  const auto now = clock::now();
  const std::uint64_t sent = v.client().bytes_sent(), received = v.client().bytes_received();
  router_.iteration_end(sent - v.sent_mark, received - v.received_mark, now - v.iteration_start,
                        interrupted);
  v.sent_mark = sent;
  v.received_mark = received;
  if (interrupted) {
    ++counts_.interrupted;
  } else {
    ++counts_.completed;
  }
  if (!arrival_ && !interrupted && may_loop(v)) {
    live_.completed.store(counts_.completed, std::memory_order_relaxed);
    if (auto delay = v.next_start_delay(); delay > nanoseconds::zero()) {
      v.pause(delay);  // still busy: the scenario does not finish under a pausing VU
      return;
    }
    start_looping(v, now);
    return;
  }
  if (model_ == model::per_vu && v.iterations_left > 0) {
    // Stopped before its iterations were done (maxDuration): k6 drops the rest.
    counts_.scheduled += static_cast<std::uint64_t>(v.iterations_left);
    counts_.dropped += static_cast<std::uint64_t>(v.iterations_left);
    router_.dropped(static_cast<double>(v.iterations_left));
    v.iterations_left = 0;
  }
  release(v);
}

// Closed model: the next iteration after a backoff, unless the scenario is stopping.
inline void scenario_runner::on_pause_done(virtual_user& v) {
  if (may_loop(v)) {
    start_looping(v, clock::now());
    return;
  }
  release(v);
}

// The VU has no iteration any more: it goes back to the idle list.
inline void scenario_runner::release(virtual_user& v) {
  v.busy = false;
  v.retiring = false;
  v.retire_deadline = clock::time_point::max();
  vu_busy_delta(-1);
  idle_.push_back(&v);
  publish();
  maybe_finish();
}

inline void scenario_runner::maybe_finish() {
  if (state_ == state::running && !arrival_ && in_flight_ == 0 &&
      (model_ == model::per_vu || model_ == model::shared)) {
    // Every VU has run its share: the scenario ends before its maxDuration.
    state_ = state::stopping;
  }
  if (state_ != state::stopping || in_flight_ > 0) return;
  state_ = state::done;
  publish();
  arrival_timer_.cancel();
  end_timer_.cancel();
  hard_timer_.cancel();
  ramp_timer_.cancel();
  shard_.runner_finished();
}

inline asio::io_context& scenario_runner::io() noexcept {
  return shard_.ioc;
}

}  // namespace pacer::detail

#endif
