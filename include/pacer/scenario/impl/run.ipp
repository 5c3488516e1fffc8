#ifndef PACER_SCENARIO_IMPL_RUN_IPP
#define PACER_SCENARIO_IMPL_RUN_IPP

// The definition of pacer::run: the engine, its coordinator, and the merge of
// what the shards measured. Included by run.hpp (header-only) or by src.hpp.

#include <pacer/exec/engine.hpp>
#include <pacer/http/client.hpp>
#include <pacer/http/tls_context.hpp>
#include <pacer/plan/scenario.hpp>
#include <pacer/scenario/result.hpp>
#include <pacer/scenario/run.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace pacer {
namespace detail {

// Every built-in metric, plus the submetric k6 always reports.
inline metrics::registry builtin_registry() {
  using namespace metrics::builtin;
  using metrics::metric_type;
  using metrics::value_kind;
  metrics::registry r;
  r.metric(vus, metric_type::gauge, value_kind::plain);
  r.metric(vus_max, metric_type::gauge, value_kind::plain);
  r.metric(iterations, metric_type::counter, value_kind::plain);
  r.metric(iteration_duration, metric_type::trend, value_kind::time);
  r.metric(dropped_iterations, metric_type::counter, value_kind::plain);
  r.metric(data_sent, metric_type::counter, value_kind::data);
  r.metric(data_received, metric_type::counter, value_kind::data);
  r.metric(http_reqs, metric_type::counter, value_kind::plain);
  r.metric(http_req_duration, metric_type::trend, value_kind::time);
  r.metric(http_req_blocked, metric_type::trend, value_kind::time);
  r.metric(http_req_connecting, metric_type::trend, value_kind::time);
  r.metric(http_req_tls_handshaking, metric_type::trend, value_kind::time);
  r.metric(http_req_sending, metric_type::trend, value_kind::time);
  r.metric(http_req_waiting, metric_type::trend, value_kind::time);
  r.metric(http_req_receiving, metric_type::trend, value_kind::time);
  r.metric(http_req_failed, metric_type::rate, value_kind::plain);
  r.metric(iteration_schedule_lag, metric_type::trend, value_kind::time);
  r.metric(checks, metric_type::rate, value_kind::plain);
  r.metric(group_duration, metric_type::trend, value_kind::time);
  r.submetric(http_req_duration, metrics::tag_set{{"expected_response", "true"}},
              "http_req_duration{expected_response:true}");
  return r;
}

// A threshold set resolved against the registry: which series it judges.
struct threshold_binding {
  metrics::registry::series_id series;
  const threshold_set* set;
};

// Resolves every threshold key to a metric or a new submetric; unknown metrics
// and aggregations the metric's type lacks are configuration errors (k6: 104).
inline std::vector<threshold_binding> bind_thresholds(const test_plan& plan,
                                                      metrics::registry& reg) {
  std::vector<threshold_binding> out;
  for (const auto& set : plan.thresholds) {
    metric_selector sel = parse_selector(set.key);
    const metrics::series_info* info = reg.find(sel.metric);
    if (info == nullptr)
      throw config_error("threshold metric", set.key,
                         "a k6 built-in metric (http_req_duration, http_req_failed, checks, ...) "
                         "or a declared custom metric");
    for (const auto& t : set.list)
      validate_for(t.expr, info->type, set.key);
    auto id = sel.is_submetric() ? reg.submetric(sel.metric, sel.tags, sel.key)
                                 : reg.resolve(sel.metric, {}).front();
    out.push_back({id, &set});
  }
  return out;
}

// Evaluates every threshold on `totals`; fills `failed_abort` when an abortOnFail
// threshold fails and may stop the test at `elapsed`.
inline std::vector<threshold_outcome> evaluate_thresholds(
    const std::vector<threshold_binding>& bindings, const metrics::registry& reg,
    const metrics::store& totals, nanoseconds elapsed, bool* failed_abort = nullptr) {
  std::vector<threshold_outcome> out;
  double seconds = static_cast<double>(elapsed.count()) / 1e9;
  for (const auto& b : bindings) {
    const auto& info = reg.info(b.series);
    const auto& sink = totals[b.series];
    for (const auto& t : b.set->list) {
      bool ok = threshold_passes(t.expr, info.type, info.contains, sink, seconds);
      if (!ok && failed_abort != nullptr && threshold_aborts_test(t, elapsed)) *failed_abort = true;
      out.push_back({b.set->key, t.expr.source, ok, false});
    }
  }
  return out;
}

inline void validate_plan(const test_plan& plan) {
  if (plan.scenarios.empty()) throw config_error("scenarios", "(none)", "at least one scenario");
  for (std::size_t i = 0; i < plan.scenarios.size(); ++i) {
    const auto& sc = plan.scenarios[i];
    bool ok = !sc.name.empty();
    for (char c : sc.name)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '-'))
        ok = false;
    if (!ok) throw config_error("scenario name", sc.name, "letters, digits, _ and - only");
    for (std::size_t j = 0; j < i; ++j)
      if (plan.scenarios[j].name == sc.name)
        throw config_error("scenario name", sc.name, "a name used by one scenario only");
    std::visit([](const auto& e) { e.validate(); }, sc.exec);
    if (sc.is_flow() == sc.request.has_value())
      throw config_error("scenario " + sc.name, "(no iteration)",
                         "a request template or a flow function, one of them");
    if (sc.is_flow() && !sc.checks.empty())
      throw config_error("check " + sc.checks.front().name + " of flow scenario " + sc.name,
                         "(on the scenario)", "vu.check(res, name, predicate) inside the flow");
    if (sc.is_flow() && sc.response_hook)
      throw config_error("on_response of flow scenario " + sc.name, "(a hook)",
                         "code inside the flow, after co_await vu.http(...)");
  }
  for (auto& s : plan.options.summary_trend_stats) {
    bool ok = s == "avg" || s == "min" || s == "med" || s == "max" || s == "count";
    if (!ok && s.size() > 3 && s.rfind("p(", 0) == 0 && s.back() == ')') {
      try {
        std::size_t used = 0;
        double p = std::stod(s.substr(2, s.size() - 3), &used);
        ok = used == s.size() - 3 && p >= 0 && p <= 100;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok)
      throw config_error("summaryTrendStats", s,
                         "avg, min, med, max, count or p(N) with 0 <= N <= 100");
  }
}

inline http::failure resolve(const http::url& u, std::vector<boost::asio::ip::tcp::endpoint>& out) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto results = resolver.resolve(u.host, std::to_string(u.port), ec);
  if (ec) {
    if (ec == boost::asio::error::host_not_found ||
        ec == boost::asio::error::host_not_found_try_again)
      return {http::error_code::dns_no_such_host, "lookup: no such host"};
    return {http::error_code::dns, "lookup failed"};
  }
  for (const auto& r : results)
    out.push_back(r.endpoint());
  return {};
}

inline std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
inline std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

// SIGINT/SIGTERM: the first stops the run gracefully, a second exits at once (k6).
inline std::atomic<int>& signals_seen() {
  static std::atomic<int> n{0};
  return n;
}
extern "C" inline void pacer_on_signal(int) {
  if (signals_seen().fetch_add(1) >= 1) _exit(static_cast<int>(exit_code::aborted_by_signal));
}

class signal_guard {
 public:
  explicit signal_guard(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
    signals_seen().store(0);
    struct sigaction sa {};
    sa.sa_handler = &pacer_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~signal_guard() {
    if (!enabled_) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  bool fired() const noexcept { return enabled_ && signals_seen().load() > 0; }

 private:
  bool enabled_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// The configured rate of an arrival-rate scenario `elapsed` into it, per second.
inline double rate_at(const executor& e, nanoseconds elapsed) {
  return std::visit(
      [&](const auto& x) -> double {
        using E = std::decay_t<decltype(x)>;
        if constexpr (!is_arrival_executor<E>) {
          return 0;
        } else {
          const double unit = static_cast<double>(x.time_unit().count()) / 1e9;
          if constexpr (std::is_same_v<E, constant_arrival_rate>) {
            return static_cast<double>(x.rate()) / unit;
          } else {
            double level = static_cast<double>(x.start_rate());
            nanoseconds at{0};
            for (const auto& st : x.stages()) {
              if (elapsed < at + st.duration && st.duration.count() > 0) {
                double f = static_cast<double>((elapsed - at).count()) /
                           static_cast<double>(st.duration.count());
                return (level + (static_cast<double>(st.target) - level) * std::max(0.0, f)) / unit;
              }
              at += st.duration;
              level = static_cast<double>(st.target);
            }
            return level / unit;
          }
        }
      },
      e);
}

inline double peak_rate(const executor& e) {
  return std::visit(
      [&](const auto& x) -> double {
        using E = std::decay_t<decltype(x)>;
        if constexpr (!is_arrival_executor<E>) {
          return 0;
        } else if constexpr (std::is_same_v<E, constant_arrival_rate>) {
          return static_cast<double>(x.rate()) * 1e9 / static_cast<double>(x.time_unit().count());
        } else {
          std::int64_t peak = x.start_rate();
          for (const auto& st : x.stages())
            peak = std::max(peak, st.target);
          return static_cast<double>(peak) * 1e9 / static_cast<double>(x.time_unit().count());
        }
      },
      e);
}

// The figures of a progress display, read from the runners' published counts.
class progress_reader {
 public:
  progress_reader(const test_plan& plan, std::vector<std::unique_ptr<shard>>& shards) {
    for (const auto& sc : plan.scenarios) {
      entry e;
      e.sc = &sc;
      std::visit(
          [&](const auto& x) {
            e.start_time = x.start_time();
            e.duration = x.regular_duration();
            e.graceful = x.graceful_stop();
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, externally_controlled>)
              e.graceful = nanoseconds::zero();
            e.max_vus = x.max_vus();
          },
          sc.exec);
      std::visit(
          [&](const auto& x) {
            using E = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<E, constant_arrival_rate>) {
              e.kind = executor_kind::constant_arrival_rate;
            } else if constexpr (std::is_same_v<E, ramping_arrival_rate>) {
              e.kind = executor_kind::ramping_arrival_rate;
            } else if constexpr (std::is_same_v<E, constant_vus>) {
              e.kind = executor_kind::constant_vus;
            } else if constexpr (std::is_same_v<E, ramping_vus>) {
              e.kind = executor_kind::ramping_vus;
            } else if constexpr (std::is_same_v<E, externally_controlled>) {
              e.kind = executor_kind::externally_controlled;
            } else {
              e.kind = std::is_same_v<E, per_vu_iterations> ? executor_kind::per_vu_iterations
                                                            : executor_kind::shared_iterations;
              e.total_iterations = x.total_iterations();
              e.iterations_per_vu = x.iterations();
            }
          },
          sc.exec);
      for (auto& s : shards)
        s->for_each_runner([&](const scenario_runner& r) {
          if (r.name() == sc.name) e.runners.push_back(&r.progress());
        });
      max_duration_ = std::max(max_duration_, e.start_time + e.duration + e.graceful);
      entries_.push_back(std::move(e));
    }
    std::stable_sort(entries_.begin(), entries_.end(), [](const entry& a, const entry& b) {
      return a.start_time != b.start_time ? a.start_time < b.start_time : a.sc->name < b.sc->name;
    });
  }

  progress_snapshot read(nanoseconds elapsed, bool final) {
    constexpr auto relaxed = std::memory_order_relaxed;
    progress_snapshot snap;
    snap.elapsed = elapsed;
    snap.max_duration = max_duration_;
    snap.final = final;
    for (auto& e : entries_) {
      scenario_progress p;
      p.name = e.sc->name;
      p.kind = e.kind;
      p.start_time = e.start_time;
      p.duration = e.duration;
      p.max_vus = e.max_vus;
      p.max_rate = peak_rate(e.sc->exec);
      p.total_iterations = e.total_iterations;
      p.iterations_per_vu = e.iterations_per_vu;
      int least = static_cast<int>(runner_progress::phase::done);
      bool early = false;
      for (const auto* r : e.runners) {
        p.completed += r->completed.load(relaxed);
        p.interrupted += r->interrupted.load(relaxed);
        p.dropped += r->dropped.load(relaxed);
        p.busy_vus += r->busy_vus.load(relaxed);
        p.active_vus += r->active_vus.load(relaxed);
        least = std::min(least, r->state.load(relaxed));
        early = early || r->stopped_early.load(relaxed);
      }
      using phase = runner_progress::phase;
      switch (static_cast<phase>(least)) {
        case phase::waiting:
          p.status = scenario_status::waiting;
          break;
        case phase::running:
          p.status = scenario_status::running;
          break;
        case phase::stopping:
          p.status = scenario_status::stopping;
          break;
        case phase::done:
          p.status = scenario_status::finished;
          break;
      }
      // An early stop freezes the scenario's clock where it was.
      if (early && !e.frozen) e.frozen = elapsed;
      nanoseconds now = e.frozen ? *e.frozen : elapsed;
      p.elapsed = std::clamp(now - e.start_time, nanoseconds::zero(), e.duration);
      if (early && p.elapsed < e.duration &&
          (p.status == scenario_status::finished || p.status == scenario_status::stopping))
        p.status = scenario_status::interrupted;
      p.rate = rate_at(e.sc->exec, p.elapsed);
      snap.busy_vus += p.busy_vus;
      snap.initialized_vus += p.active_vus;
      snap.max_vus += p.max_vus;
      snap.completed += p.completed;
      snap.interrupted += p.interrupted;
      snap.scenarios.push_back(std::move(p));
    }
    return snap;
  }

 private:
  struct entry {
    const scenario* sc = nullptr;
    executor_kind kind = executor_kind::constant_arrival_rate;
    nanoseconds start_time{0}, duration{0}, graceful{0};
    std::int64_t max_vus = 0;
    std::uint64_t total_iterations = 0;
    std::int64_t iterations_per_vu = 0;
    std::vector<const runner_progress*> runners;
    std::optional<nanoseconds> frozen;
  };
  std::vector<entry> entries_;
  nanoseconds max_duration_{0};
};

}  // namespace detail

namespace detail {

// k6's setupTimeout and teardownTimeout defaults.
inline constexpr std::chrono::seconds script_phase_timeout{60};

// setup() or teardown(): one iteration on a VU of its own, on a shard of its own, before
// or after the scenarios. Its samples join the run's metrics; it reports how it ended.
class script_phase {
 public:
  script_phase(std::string name, flow_function fn, run_phase phase, const metrics::registry& reg,
               const test_plan& plan, run_shared& run, boost::asio::ssl::context* tls,
               nanoseconds sweep)
      : sc_(std::move(name),
            shared_iterations(1, 1)
                .max_duration(script_phase_timeout)
                .graceful_stop(nanoseconds::zero()),
            std::move(fn)),
        shard_(std::make_unique<shard>(reg, sweep)) {
    shared_.max_vus = 1;
    auto runner = std::make_unique<scenario_runner>(*shard_, sc_, shared_, run, nullptr, tls, reg,
                                                    plan.options.limits, 0, 1, 1, phase);
    runner->set_custom_metrics(plan.custom_metrics);
    shard_->add_runner(std::move(runner));
  }
  // Runs it to its end on the calling thread.
  void run() { shard_->run(std::chrono::steady_clock::now()); }
  bool failed() const { return !error().empty() || timed_out(); }
  bool timed_out() const { return shard_->outcomes().front().interrupted > 0; }
  std::string error() const {
    std::string e;
    shard_->for_each_runner([&](const scenario_runner& r) {
      if (!r.samples().errors().empty()) e = r.samples().errors().front().first;
    });
    return e;
  }
  shard& get() { return *shard_; }

 private:
  scenario sc_;
  scenario_shared shared_;
  std::unique_ptr<shard> shard_;
};

}  // namespace detail

PACER_DECL run_result run(const test_plan& plan) {
  using namespace std::chrono;
  detail::validate_plan(plan);
  const auto& opt = plan.options;

  run_result result;
  result.registry = detail::builtin_registry();
  result.summary_trend_stats = opt.summary_trend_stats;
  for (const auto& m : plan.custom_metrics) {
    if (result.registry.find(m.name) != nullptr)
      throw config_error("metric name", m.name, "a name that is not a built-in metric");
    result.registry.metric(m.name, m.type, m.contains);
  }
  auto bindings = detail::bind_thresholds(plan, result.registry);
  bool any_abort_threshold = false;
  for (const auto& b : bindings)
    for (const auto& t : b.set->list)
      any_abort_threshold = any_abort_threshold || t.abort_on_fail;
  const auto& reg = result.registry;

  unsigned shards_n =
      opt.threads != 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  result.threads = shards_n;

  // Setup: template addresses resolved once, one TLS context, request bytes built once.
  // Flows reach origins known only when they run: they need TLS ready for any of them.
  std::vector<std::unique_ptr<http::detail::resolved_origin>> origins;
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool needs_tls =
      static_cast<bool>(plan.setup_function) || static_cast<bool>(plan.teardown_function);
  nanoseconds min_timeout = hours(24);
  for (const auto& sc : plan.scenarios) {
    if (sc.is_flow()) {
      needs_tls = true;
      origins.push_back(nullptr);
      continue;
    }
    auto o = std::make_unique<http::detail::resolved_origin>();
    o->where = sc.request->target();
    o->resolve_error = detail::resolve(o->where, o->endpoints);
    o->resolved = true;
    // A redirect may lead to https even from an http template.
    needs_tls = needs_tls || o->where.tls || sc.request->max_redirects() > 0;
    (void)sc.request->wire();
    min_timeout = std::min(min_timeout, sc.request->timeout());
    origins.push_back(std::move(o));
  }
  if (needs_tls) tls = http::detail::make_client_context(opt.tls);
  auto sweep = std::clamp<nanoseconds>(min_timeout / 20, milliseconds(5), milliseconds(250));

  std::vector<std::unique_ptr<detail::shard>> shards;
  for (unsigned i = 0; i < shards_n; ++i)
    shards.push_back(std::make_unique<detail::shard>(reg, sweep));

  detail::run_shared run_state;
  std::vector<std::unique_ptr<detail::scenario_shared>> shared;
  unsigned rotation = 0;
  for (std::size_t i = 0; i < plan.scenarios.size(); ++i) {
    const auto& sc = plan.scenarios[i];
    std::int64_t pre = 0, max = 0;
    std::visit(
        [&](const auto& e) {
          pre = e.pre_allocated_vus();
          max = e.max_vus();
        },
        sc.exec);
    auto sh = std::make_unique<detail::scenario_shared>();
    sh->max_vus = max;
    sh->vus_created = pre;
    // A scenario spreads over as many shards as it has VUs to start with.
    auto stripes = static_cast<unsigned>(std::clamp<std::int64_t>(pre, 1, shards_n));
    for (unsigned s = 0; s < stripes; ++s) {
      std::int64_t initial = pre / stripes + (static_cast<std::int64_t>(s) < pre % stripes ? 1 : 0);
      auto& target = *shards[(s + rotation) % shards_n];
      auto runner = std::make_unique<detail::scenario_runner>(target, sc, *sh, run_state,
                                                              origins[i].get(), tls.get(), reg,
                                                              opt.limits, s, stripes, initial);
      runner->set_custom_metrics(plan.custom_metrics);
      target.add_runner(std::move(runner));
    }
    rotation += stripes;
    shared.push_back(std::move(sh));
  }

  // externally-controlled: a control reaches the runners only while they exist.
  struct release_controls {
    const test_plan& plan;
    ~release_controls() {
      for (const auto& sc : plan.scenarios)
        if (const auto* e = std::get_if<externally_controlled>(&sc.exec))
          e->control().stop_listening();
    }
  } controls_released_at_end{plan};

  detail::signal_guard signals(opt.handle_signals);
  metrics::store coordinator_store(reg.size());
  auto vus_ids = reg.resolve(metrics::builtin::vus, {});
  auto vus_max_ids = reg.resolve(metrics::builtin::vus_max, {});
  auto sample_gauges = [&] {
    std::int64_t active = 0, max_vus = 0;
    for (auto& s : shards) {
      active += s->active_vus.load(std::memory_order_relaxed);
      max_vus += s->vus_max.load(std::memory_order_relaxed);
    }
    coordinator_store.add_gauge(vus_ids, static_cast<double>(active));
    coordinator_store.add_gauge(vus_max_ids, static_cast<double>(max_vus));
  };

  const auto run_start = steady_clock::now();
  result.started_at = detail::utc_now_iso8601();
  result.host = detail::host_name();

  // k6's setup(): before the scenarios, once; its value is what every VU reads.
  std::any setup_value;
  std::vector<std::unique_ptr<detail::script_phase>> phases;
  if (plan.setup_function) {
    auto& setup = *phases.emplace_back(std::make_unique<detail::script_phase>(
        "setup", [&](vu& v) -> task<> { setup_value = co_await plan.setup_function(v); },
        detail::run_phase::setup, reg, plan, run_state, tls.get(), sweep));
    setup.run();
    if (setup.failed()) {
      result.script_failure =
          setup.timed_out() ? exit_code::setup_timeout : exit_code::script_exception;
      result.script_error = setup.timed_out() ? "setup() execution timed out after 60 seconds"
                                              : "setup() failed: " + setup.error();
    }
  }
  run_state.setup_data = &setup_value;
  const bool run_scenarios = !result.script_failure;

  // preconnect: the shards open their initial VUs' connections side by side, before the
  // test clock starts.
  const bool any_preconnect = std::any_of(
      plan.scenarios.begin(), plan.scenarios.end(),
      [](auto& sc) { return std::visit([](const auto& e) { return e.preconnects(); }, sc.exec); });
  if (any_preconnect && run_scenarios) {
    std::vector<std::thread> warmers;
    for (auto& s : shards)
      if (!s->idle()) warmers.emplace_back([&s] { s->warm_up(); });
    for (auto& t : warmers)
      t.join();
  }

  std::mutex m;
  std::vector<metrics::store> snapshots(shards.size());
  std::vector<bool> shard_done(shards.size(), false);
  std::size_t snapshots_taken = 0;
  std::condition_variable cv;
  unsigned finished = 0;
  const auto test_start = steady_clock::now() + milliseconds(10);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    threads.emplace_back([&, i] {
      if (run_scenarios && !shards[i]->idle()) shards[i]->run(test_start);
      std::lock_guard<std::mutex> lock(m);
      ++finished;
      shard_done[i] = true;
      cv.notify_all();
    });
  }

  // Thresholds with abortOnFail are evaluated every 2 s (as k6 does) on a merge of
  // snapshots that each shard copies of its own store, on its own thread.
  auto next_threshold_check = steady_clock::now() + seconds(2);
  auto check_abort_thresholds = [&](std::unique_lock<std::mutex>& lock) {
    snapshots_taken = 0;
    std::size_t wanted = 0;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      if (shard_done[i]) continue;
      ++wanted;
      boost::asio::post(shards[i]->ioc, [&, i] {
        metrics::store copy = shards[i]->store;
        std::lock_guard<std::mutex> g(m);
        snapshots[i] = std::move(copy);
        ++snapshots_taken;
        cv.notify_all();
      });
    }
    // A shard that finishes meanwhile never runs the copy: its store is final then.
    cv.wait_for(lock, seconds(5),
                [&] { return snapshots_taken >= wanted || finished == shards.size(); });
    metrics::store merged(reg.size());
    merged.merge(coordinator_store, reg);
    for (auto& p : phases)
      merged.merge(p->get().store, reg);
    for (std::size_t i = 0; i < shards.size(); ++i)
      merged.merge(shard_done[i] ? shards[i]->store : snapshots[i], reg);
    bool abort = false;
    detail::evaluate_thresholds(bindings, reg, merged,
                                duration_cast<nanoseconds>(steady_clock::now() - test_start),
                                &abort);
    return abort;
  };

  // The coordinator: gauges every second, stop requests from signals,
  // abort-on-fail thresholds, and the live progress display.
  sample_gauges();
  auto next_tick = steady_clock::now() + seconds(1);
  std::optional<detail::progress_reader> progress;
  auto progress_every = std::max<nanoseconds>(opt.progress_interval, milliseconds(10));
  // The first block once the scenarios have run for one interval, as k6 does.
  auto next_progress = test_start + progress_every;
  if (opt.progress && run_scenarios) progress.emplace(plan, shards);
  auto report_progress = [&](bool final) {
    auto elapsed = duration_cast<nanoseconds>(steady_clock::now() - test_start);
    opt.progress(progress->read(std::max(elapsed, nanoseconds::zero()), final));
  };
  bool stop_sent = false;
  {
    std::unique_lock<std::mutex> lock(m);
    while (finished < shards.size()) {
      auto wake = std::min(next_tick, steady_clock::now() + milliseconds(50));
      if (progress) wake = std::min(wake, next_progress);
      cv.wait_until(lock, wake, [&] { return finished == shards.size(); });
      if (finished == shards.size()) break;
      if (!stop_sent && signals.fired()) {
        stop_sent = true;
        result.aborted_by_signal = true;
        for (auto& s : shards)
          s->request_stop();
      }
      if (!stop_sent && any_abort_threshold && steady_clock::now() >= next_threshold_check) {
        next_threshold_check += seconds(2);
        if (check_abort_thresholds(lock)) {
          stop_sent = true;
          result.aborted_by_threshold = true;
          for (auto& s : shards)
            s->request_stop();
        }
      }
      if (steady_clock::now() >= next_tick) {
        lock.unlock();
        sample_gauges();
        lock.lock();
        next_tick += seconds(1);
      }
      if (progress && steady_clock::now() >= next_progress) {
        // The callback may write to a terminal: never with the lock held.
        lock.unlock();
        report_progress(false);
        lock.lock();
        while (next_progress <= steady_clock::now())
          next_progress += progress_every;
      }
    }
  }
  for (auto& t : threads)
    t.join();
  sample_gauges();
  if (progress) report_progress(true);

  // k6's teardown(): after the scenarios (also after a stop), with the same setup data.
  if (plan.teardown_function && run_scenarios) {
    auto& teardown = *phases.emplace_back(std::make_unique<detail::script_phase>(
        "teardown", plan.teardown_function, detail::run_phase::teardown, reg, plan, run_state,
        tls.get(), sweep));
    teardown.run();
    if (teardown.failed()) {
      result.script_failure =
          teardown.timed_out() ? exit_code::teardown_timeout : exit_code::script_exception;
      result.script_error = teardown.timed_out() ? "teardown() execution timed out after 60 seconds"
                                                 : "teardown() failed: " + teardown.error();
    }
  }
  const auto run_end = steady_clock::now();
  // k6's testRunDurationMs spans setup and teardown too.
  result.test_run_duration = duration_cast<nanoseconds>(run_end - run_start);

  // The result takes over the first shard's metrics and merges the others into them, freeing
  // each once merged: the end of a run needs little memory beyond what the run used. (Only the
  // coordinator records vus and vus_max, so the order of merging changes no gauge.)
  result.metrics = std::move(shards.front()->store);
  result.metrics.merge(coordinator_store, reg);
  std::map<std::string, scenario_outcome> by_name;
  // Groups and checks in the order k6 shows them: setup's, the scenarios', teardown's.
  std::vector<detail::shard*> all;
  if (plan.setup_function) all.push_back(&phases.front()->get());
  for (auto& s : shards)
    all.push_back(s.get());
  if (phases.size() > (plan.setup_function ? 1u : 0u)) all.push_back(&phases.back()->get());
  for (detail::shard* s : all) {
    if (s != shards.front().get()) {
      result.metrics.merge(s->store, reg);
      s->store = metrics::store();
    }
    for (std::size_t c = 0; c < s->error_counts.size(); ++c)
      if (s->error_counts[c] != 0)
        result.failed_requests_by_error_code[static_cast<int>(1000 + c)] += s->error_counts[c];
    s->for_each_vu([&](detail::virtual_user& v) {
      result.connections_opened += v.client().connects();
      result.tls_sessions_resumed += v.client().resumed_sessions();
    });
    s->for_each_runner([&](const detail::scenario_runner& runner) {
      const bool scenario = runner.phase() == detail::run_phase::scenario;
      if (scenario) {
        auto o = runner.outcome();
        auto& t = by_name[o.name];
        t.name = o.name;
        t.description = o.description;
        t.scheduled += o.scheduled;
        t.completed += o.completed;
        t.interrupted += o.interrupted;
        t.dropped += o.dropped;
        t.vus_initialized += o.vus_initialized;
      }
      const auto& samples = runner.samples();
      if (samples.hook_errors() > 0)
        result.warnings.push_back("the response hook of scenario " + runner.name() + " threw " +
                                  std::to_string(samples.hook_errors()) +
                                  " time(s): " + samples.first_hook_error());
      for (const auto& [message, count] : samples.errors()) {
        auto it = std::find_if(result.iteration_errors.begin(), result.iteration_errors.end(),
                               [&](const iteration_error& e) {
                                 return e.scenario == runner.name() && e.message == message;
                               });
        if (it == result.iteration_errors.end())
          it = result.iteration_errors.insert(result.iteration_errors.end(),
                                              {runner.name(), message, 0});
        it->count += count;
      }
      for (const auto& g : samples.groups())
        if (std::find(result.groups.begin(), result.groups.end(), g) == result.groups.end())
          result.groups.push_back(g);
      for (const auto& c : samples.check_outcomes()) {
        auto it = std::find_if(
            result.checks.begin(), result.checks.end(),
            [&](const check_outcome& o) { return o.name == c.name && o.group == c.group; });
        if (it == result.checks.end())
          it = result.checks.insert(result.checks.end(), {c.name, 0, 0, c.group});
        it->passes += c.passes;
        it->fails += c.fails;
      }
    });
  }
  for (const auto& e : result.iteration_errors)
    result.warnings.push_back((e.scenario == "setup" || e.scenario == "teardown"
                                   ? e.scenario + "()"
                                   : "an iteration of scenario " + e.scenario) +
                              " threw " + std::to_string(e.count) + " time(s): " + e.message);
  for (std::size_t i = 0; i < plan.scenarios.size(); ++i) {
    const auto& sc = plan.scenarios[i];
    auto& outcome = by_name[sc.name];
    // shared-iterations: what no VU started before maxDuration is dropped (k6: one
    // dropped_iterations sample with the rest).
    if (const auto* e = std::get_if<shared_iterations>(&sc.exec); e != nullptr && run_scenarios) {
      const auto attempted =
          std::min<std::uint64_t>(shared[i]->iterations_started.load(), e->total_iterations());
      if (const auto left = e->total_iterations() - attempted; left > 0) {
        outcome.scheduled += left;
        outcome.dropped += left;
        metrics::tag_set t = sc.tags;
        t.set("scenario", sc.name);
        result.metrics.add_counter(reg.resolve(metrics::builtin::dropped_iterations, t),
                                   static_cast<double>(left));
      }
    }
    result.scenarios.push_back(outcome);
    if (shared[i]->insufficient_warned.load())
      result.warnings.push_back("Insufficient VUs, reached " + std::to_string(shared[i]->max_vus) +
                                " active VUs and cannot initialize more (scenario " + sc.name +
                                ")");
  }
  if (result.script_failure) result.warnings.push_back(result.script_error);
  result.thresholds =
      detail::evaluate_thresholds(bindings, reg, result.metrics, result.test_run_duration);
  return result;
}

}  // namespace pacer

#endif
