#ifndef PACER_EXEC_SAMPLE_ROUTER_HPP
#define PACER_EXEC_SAMPLE_ROUTER_HPP

// Where a runner's samples go: k6's built-in metrics with the scenario's tags, the group
// and the request's tags, resolved once per combination into series of the shard's store;
// checks and groups counted for the summary's group tree; iteration errors counted.

#include <pacer/http/connection.hpp>
#include <pacer/http/request.hpp>
#include <pacer/metrics/custom.hpp>
#include <pacer/metrics/registry.hpp>
#include <pacer/plan/outcome.hpp>
#include <pacer/plan/scenario.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pacer::detail {

using series_ids = std::vector<metrics::registry::series_id>;

// Series of the built-in metrics, resolved once per tag set.
struct http_series {
  series_ids reqs, duration, blocked, connecting, tls_handshaking, sending, waiting, receiving,
      failed;
};
struct iteration_series {
  series_ids iterations, duration, dropped, data_sent, data_received, schedule_lag;
};

// Heterogeneous lookup by string_view: finding a cached entry builds no string.
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

class sample_router {
 public:
  // `base_group` is the group every iteration starts in ("" or "::setup"); `tag_scenario`
  // adds the scenario tag (not for setup and teardown, as in k6).
  sample_router(metrics::store& store, std::array<std::uint64_t, 1000>& error_counts,
                const metrics::registry& reg, const scenario& sc, std::string base_group,
                bool tag_scenario)
      : store_(store),
        error_counts_(error_counts),
        reg_(reg),
        sc_(sc),
        base_group_(std::move(base_group)),
        count_iterations_(tag_scenario) {
    base_tags_ = sc.tags;
    if (tag_scenario) base_tags_.set("scenario", sc.name);
    base_with_group_ = with_group(base_group_);
    metrics::tag_set t = base_tags_;
    t.set("group", base_group_);
    using namespace metrics::builtin;
    iter_.iterations = reg.resolve(iterations, t);
    iter_.duration = reg.resolve(iteration_duration, t);
    iter_.dropped = reg.resolve(dropped_iterations, base_tags_);
    iter_.data_sent = reg.resolve(data_sent, t);
    iter_.data_received = reg.resolve(data_received, t);
    iter_.schedule_lag = reg.resolve(iteration_schedule_lag, t);
    // A template's checks are known up front, in the root group, in declaration order.
    for (const auto& c : sc.checks)
      check_entry(base_group_, c.name);
    if (!base_group_.empty()) note_group(base_group_);
  }

  void set_custom_metrics(const std::vector<custom_metric>& defs) noexcept { custom_ = &defs; }
  const std::string& base_group() const noexcept { return base_group_; }

  // One response of a request: k6's http_req_* samples.
  void http(const http::exchange_result& r, const http::url* hop, const http::request& req,
            std::string_view group, bool template_request) {
    int code = r.error.code;
    if (code == 0 && r.status >= 400) code = 1000 + r.status;
    if (code != 0 && code >= 1000 && code < 2000)
      ++error_counts_[static_cast<std::size_t>(code - 1000)];
    const http_series& s = template_request && group == base_group_
                               ? template_route(r.status, code, r.tls_version, r.error.message, hop)
                               : flow_route(r, code, hop, req, group);
    auto ns = [](nanoseconds d) {
      return static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count());
    };
    store_.add_counter(s.reqs, 1);
    store_.add_trend(s.duration, ns(r.duration()));
    store_.add_trend(s.blocked, ns(r.blocked));
    store_.add_trend(s.connecting, ns(r.connecting));
    store_.add_trend(s.tls_handshaking, ns(r.tls_handshaking));
    store_.add_trend(s.sending, ns(r.sending));
    store_.add_trend(s.waiting, ns(r.waiting));
    store_.add_trend(s.receiving, ns(r.receiving));
    store_.add_rate(s.failed, r.error.code != 0 || !req.expected(r.status));
  }

  // A template's checks and response hook, on its final response.
  void template_response(const http::response_view& response, const http::request&) {
    for (std::size_t i = 0; i < sc_.checks.size(); ++i) {
      const bool ok = sc_.checks[i].test(response);
      auto& c = checks_[i];
      store_.add_rate(c.series, ok);
      ++(ok ? c.outcome.passes : c.outcome.fails);
    }
    if (sc_.response_hook && custom_ != nullptr) {
      recorder rec(store_, reg_, base_with_group_, *custom_, custom_series_);
      // As in k6, an exception in user code is reported and the iteration still counts.
      try {
        sc_.response_hook(response, rec);
      } catch (const std::exception& e) {
        if (hook_errors_++ == 0) first_hook_error_ = e.what();
      } catch (...) {
        if (hook_errors_++ == 0) first_hook_error_ = "unknown exception";
      }
    }
  }

  // A flow's check: one `checks` sample tagged with the group and the check's name.
  void check(std::string_view group, std::string_view name, bool ok) {
    key_.assign(group);
    key_ += '\x1f';
    key_ += name;
    auto it = check_index_.find(std::string_view(key_));
    auto& c = it != check_index_.end() ? checks_[it->second] : check_entry(group, name);
    store_.add_rate(c.series, ok);
    ++(ok ? c.outcome.passes : c.outcome.fails);
  }

  // A group met for the first time joins the summary's tree, even without checks.
  void note_group(std::string_view path) {
    if (group_index_.find(path) != group_index_.end()) return;
    group_index_.emplace(std::string(path), groups_.size());
    groups_.emplace_back(path);
    group_series_.emplace_back();
  }
  void group_duration(std::string_view path, nanoseconds d) {
    auto it = group_index_.find(path);
    if (it == group_index_.end()) return;
    auto& ids = group_series_[it->second];
    if (ids.empty()) ids = reg_.resolve(metrics::builtin::group_duration, with_group(path));
    store_.add_trend(ids, static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count()));
  }

  // A custom metric's sample from a flow, with the scenario's tags and the group.
  void custom(metric_handle m, double value, std::string_view group) {
    if (custom_ == nullptr || m.index >= custom_->size()) return;
    if (group == base_group_) {
      recorder rec(store_, reg_, base_with_group_, *custom_, custom_series_);
      rec.add(m, value);
      return;
    }
    recorder rec(store_, reg_, base_tags_, *custom_, custom_series_);
    rec.add(m, value, metrics::tag_set{{"group", std::string(group)}});
  }

  void iteration_error(const std::exception_ptr& e) {
    std::string message;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      message = x.what();
    } catch (...) {
      message = "unknown exception";
    }
    for (auto& [m, n] : errors_)
      if (m == message) {
        ++n;
        return;
      }
    // Messages that carry ever-new values must not grow this without bound.
    if (errors_.size() >= max_distinct_errors) message = "(other errors)";
    for (auto& [m, n] : errors_)
      if (m == message) {
        ++n;
        return;
      }
    errors_.emplace_back(std::move(message), 1);
  }

  // The end of an iteration: bytes moved (always, as k6), and for a completed one its
  // duration and (not for setup and teardown) the `iterations` count.
  void iteration_end(std::uint64_t sent, std::uint64_t received, nanoseconds duration,
                     bool interrupted) {
    store_.add_counter(iter_.data_sent, static_cast<double>(sent));
    store_.add_counter(iter_.data_received, static_cast<double>(received));
    if (interrupted) return;
    if (count_iterations_) store_.add_counter(iter_.iterations, 1);
    store_.add_trend(iter_.duration,
                     static_cast<std::uint64_t>(duration.count() < 0 ? 0 : duration.count()));
  }
  void schedule_lag(nanoseconds lag) {
    store_.add_trend(iter_.schedule_lag,
                     static_cast<std::uint64_t>(lag.count() < 0 ? 0 : lag.count()));
  }
  void dropped(double n) { store_.add_counter(iter_.dropped, n); }

  std::vector<check_outcome> check_outcomes() const {
    std::vector<check_outcome> out;
    for (const auto& c : checks_)
      out.push_back(c.outcome);
    return out;
  }
  const std::vector<std::string>& groups() const noexcept { return groups_; }
  const std::vector<std::pair<std::string, std::uint64_t>>& errors() const noexcept {
    return errors_;
  }
  std::uint64_t hook_errors() const noexcept { return hook_errors_; }
  const std::string& first_hook_error() const noexcept { return first_hook_error_; }

 private:
  static constexpr std::size_t max_distinct_errors = 100;
  static constexpr std::size_t max_flow_routes = 10000;

  struct check_state {
    check_outcome outcome;
    series_ids series;
  };

  metrics::tag_set with_group(std::string_view group) const {
    metrics::tag_set t = base_tags_;
    t.set("group", group);
    return t;
  }

  check_state& check_entry(std::string_view group, std::string_view name) {
    metrics::tag_set t = with_group(group);
    t.set("check", name);
    check_state c;
    c.outcome.name = std::string(name);
    c.outcome.group = std::string(group);
    c.series = reg_.resolve(metrics::builtin::checks, t);
    std::string key(group);
    key += '\x1f';
    key += name;
    check_index_.emplace(std::move(key), checks_.size());
    checks_.push_back(std::move(c));
    return checks_.back();
  }

  // The series of one response: the request's tags, the group, and what the response
  // adds (status, error code, TLS version, a redirect hop's URL).
  http_series resolve(const http::request& req, std::string_view group, int status, int code,
                      std::string_view tls_version, std::string_view error,
                      std::string_view hop_key) const {
    metrics::tag_set t = with_group(group);
    t.merge(req.tags());
    // A redirect hop is tagged with its own URL unless the user named the request.
    if (!hop_key.empty() && req.user_tags().find("name") == nullptr) {
      t.set("url", hop_key);
      t.set("name", hop_key);
    }
    t.set("status", std::to_string(status));
    // Status 0 means no response: never expected (k6).
    const bool expected = status != 0 && req.expected(status);
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
    return s;
  }

  void hop_text(const http::url* hop, std::string& out) const {
    out.clear();
    if (hop == nullptr) return;
    out += hop->scheme();
    out += "://";
    out += hop->host_header;
    out += hop->target;
  }

  // A template's responses vary in few tags (status, error code, TLS version), so each
  // combination is resolved once and found by a short scan: recording builds no string.
  const http_series& template_route(int status, int code, std::string_view tls_version,
                                    std::string_view error, const http::url* hop) {
    std::string_view hop_key;
    if (hop != nullptr) {
      hop_text(hop, hop_key_);
      hop_key = hop_key_;
    }
    for (auto& c : routes_)
      if (c.status == status && c.code == code && c.tls_version == tls_version &&
          c.error.data() == error.data() && c.url == hop_key)
        return c.series;
    http_series s = resolve(*sc_.request, base_group_, status, code, tls_version, error, hop_key);
    // Redirects to ever-new URLs must not grow the cache without bound.
    if (hop != nullptr && routes_.size() >= 256)
      std::erase_if(routes_, [](const cached_route& c) { return !c.url.empty(); });
    routes_.push_back({status, code, tls_version, error, std::string(hop_key), std::move(s)});
    return routes_.back().series;
  }

  // A flow's requests differ in method, URL, tags and group: the key holds all of them.
  const http_series& flow_route(const http::exchange_result& r, int code, const http::url* hop,
                                const http::request& req, std::string_view group) {
    key_.assign(group);
    key_ += '\x1f';
    key_ += req.method();
    key_ += '\x1f';
    if (const std::string* name = req.user_tags().find("name")) {
      key_ += *name;
    } else {
      const auto& u = req.target();
      key_ += u.tls ? "https://" : "http://";
      key_ += u.host_header;
      key_ += u.target;
    }
    for (const auto& [k, v] : req.user_tags()) {
      key_ += '\x1f';
      key_ += k;
      key_ += '=';
      key_ += v;
    }
    key_ += '\x1f';
    key_ += std::to_string(r.status);
    key_ += '\x1f';
    key_ += std::to_string(code);
    key_ += '\x1f';
    key_ += r.tls_version;
    key_ += '\x1f';
    key_ += r.error.message;
    hop_text(hop, hop_key_);
    key_ += '\x1f';
    key_ += hop_key_;
    auto it = flow_routes_.find(std::string_view(key_));
    if (it != flow_routes_.end()) return it->second;
    // URLs with ids in them make ever-new keys (k6 advises a `name` tag for those): the
    // cache starts over rather than grow without bound.
    if (flow_routes_.size() >= max_flow_routes) flow_routes_.clear();
    return flow_routes_
        .emplace(key_,
                 resolve(req, group, r.status, code, r.tls_version, r.error.message, hop_key_))
        .first->second;
  }

  metrics::store& store_;
  std::array<std::uint64_t, 1000>& error_counts_;
  const metrics::registry& reg_;
  const scenario& sc_;
  std::string base_group_;
  bool count_iterations_;
  metrics::tag_set base_tags_;
  metrics::tag_set base_with_group_;
  const std::vector<custom_metric>* custom_ = nullptr;
  std::vector<series_ids> custom_series_;
  iteration_series iter_;

  struct cached_route {
    int status;
    int code;
    std::string_view tls_version;
    std::string_view error;  // static message: compared by address
    std::string url;         // redirect hops only
    http_series series;
  };
  std::vector<cached_route> routes_;
  std::unordered_map<std::string, http_series, string_hash, std::equal_to<>> flow_routes_;
  std::string key_, hop_key_;

  std::vector<check_state> checks_;
  std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>> check_index_;
  std::vector<std::string> groups_;
  std::vector<series_ids> group_series_;
  std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>> group_index_;
  std::vector<std::pair<std::string, std::uint64_t>> errors_;
  std::uint64_t hook_errors_ = 0;
  std::string first_hook_error_;
};

}  // namespace pacer::detail

#endif
