#ifndef PACER_HTTP_CLIENT_HPP
#define PACER_HTTP_CLIENT_HPP

// The per-VU HTTP client: a kept-alive connection per origin, the redirect chain of each
// request, and the names it resolves through its shard's origin cache.

#include <pacer/http/connection.hpp>
#include <pacer/http/cookies.hpp>
#include <pacer/http/error_codes.hpp>
#include <pacer/http/request.hpp>
#include <pacer/http/url.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pacer::http::detail {

// An origin's addresses, resolved once for a run or a shard.
struct resolved_origin {
  url where;
  std::vector<asio::ip::tcp::endpoint> endpoints;
  failure resolve_error;
  bool resolved = false;
};

inline bool same_origin(const url& a, const url& b) noexcept {
  return a.tls == b.tls && a.port == b.port && a.host == b.host;
}

// The origins a shard's VUs have met, resolved once each without blocking the shard: a
// literal address at once, a name by the asynchronous resolver (first asker waits for
// it, later askers for the same result).
class origin_cache {
 public:
  explicit origin_cache(asio::io_context& ioc) : resolver_(ioc) {}
  // An origin resolved before the run (a template's): shared, never resolved again.
  void preset(const resolved_origin& o) { presets_.push_back(&o); }

  // Calls `ready(origin)` once `u`'s origin is resolved (perhaps before returning).
  template <class F>
  void get(const url& u, F&& ready) {
    for (const auto* p : presets_)
      if (same_origin(p->where, u)) return ready(*p);
    for (auto& e : entries_)
      if (same_origin(e->origin.where, u)) {
        if (e->origin.resolved) return ready(e->origin);
        e->waiting.emplace_back(std::forward<F>(ready));
        return;
      }
    auto& e = *entries_.emplace_back(std::make_unique<entry>());
    e.origin.where = u;
    if (u.host_is_ip_literal()) {
      boost::system::error_code ec;
      auto results = resolver_.resolve(
          u.host, std::to_string(u.port),
          asio::ip::resolver_base::numeric_host | asio::ip::resolver_base::numeric_service, ec);
      finish(e, ec, results);
      return ready(e.origin);
    }
    e.waiting.emplace_back(std::forward<F>(ready));
    resolver_.async_resolve(
        u.host, std::to_string(u.port),
        [this, &e](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
          if (ec == asio::error::operation_aborted) return;
          finish(e, ec, results);
          auto waiting = std::move(e.waiting);
          for (auto& w : waiting)
            w(e.origin);
        });
  }
  void cancel() { resolver_.cancel(); }

 private:
  struct entry {
    resolved_origin origin;
    std::vector<std::function<void(const resolved_origin&)>> waiting;
  };
  static void finish(entry& e, boost::system::error_code ec,
                     const asio::ip::tcp::resolver::results_type& results) {
    e.origin.resolved = true;
    if (ec)
      e.origin.resolve_error =
          ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again
              ? failure{http::error_code::dns_no_such_host, "lookup: no such host"}
              : failure{http::error_code::dns, "lookup failed"};
    for (const auto& r : results)
      e.origin.endpoints.push_back(r.endpoint());
  }
  asio::ip::tcp::resolver resolver_;
  std::vector<const resolved_origin*> presets_;
  std::vector<std::unique_ptr<entry>> entries_;
};

// One VU's HTTP client. It runs one request at a time: the request's own exchange, then
// each redirect hop the request allows, every one reported to the listener for its metrics.
class client final : public connection::listener {
 public:
  struct listener {
    // One response of the chain: `hop` is the hop's URL, nullptr for the request's own.
    virtual void on_response(const exchange_result& r, const url* hop) = 0;
    // Whether a redirect may still be followed (not while the run stops hard).
    virtual bool may_follow() const noexcept = 0;
    // The request is over: its last response is response(), result() its outcome.
    virtual void on_request_done() = 0;

   protected:
    ~listener() = default;
  };

  // At most this many origins keep a connection each; a further one replaces the
  // least recently used idle one.
  static constexpr std::size_t max_connections = 4;

  client(asio::io_context& ioc, asio::ssl::context* tls, origin_cache& origins,
         response_limits limits, listener& owner)
      : ioc_(ioc), tls_(tls), origins_(origins), limits_(limits), owner_(owner) {
    slots_.reserve(max_connections);  // active_ points into it
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Sends `req` as the bytes in `wire` (kept alive by the caller until the request is over).
  // With `cookies`, Set-Cookie of every response goes into the VU's jar and requests carry
  // the jar's matching cookies (a request with a Cookie header of its own keeps just that).
  void start(const request& req, const std::string& wire, bool keep_body, bool cookies) {
    req_ = &req;
    keep_body_ = keep_body;
    cookies_ = cookies;
    hops_ = 0;
    cancelled_ = false;
    deadline_ = clock::now() + req.timeout();
    begin(req.target(), with_cookies(req.target(), wire), req.method() == "HEAD",
          connection::replayable(req.method()));
  }

  // k6 gives each iteration an empty jar.
  void clear_cookies() noexcept { jar_.clear(); }
  const cookie_jar& cookies() const noexcept { return jar_; }

  // Opens the connection to `u`'s origin (a preset one) before the test clock starts;
  // on_request_done follows once.
  void warm_up(const url& u, clock::time_point deadline) {
    warming_ = true;
    origins_.get(u, [this, deadline](const resolved_origin& o) {
      slot& s = slot_for(o);
      active_ = &s;
      s.conn->warm_up(deadline);
    });
  }

  bool interrupted() const noexcept {
    return cancelled_ || (active_ != nullptr && active_->conn->result().cancelled);
  }
  const exchange_result& result() const noexcept {
    return active_ != nullptr ? active_->conn->result() : failed_;
  }
  response_view response() const noexcept {
    return active_ != nullptr ? active_->conn->response()
                              : response_view(0, empty_, no_fields_, empty_);
  }
  // The URL of the current hop, or nullptr for the request's own.
  const url* hop_url() const noexcept { return hops_ > 0 ? &hop_target_ : nullptr; }

  // Hard stop: the running request ends as cancelled.
  void cancel() {
    if (waiting_for_origin_) {
      cancelled_ = true;
      waiting_for_origin_ = false;
      asio::post(ioc_, [this] { owner_.on_request_done(); });
      return;
    }
    if (active_ != nullptr && active_->conn->busy()) active_->conn->cancel();
  }
  // The shard's timeout sweep: a request past its deadline fails with a timeout.
  void expire_if_due(clock::time_point now) {
    if (active_ != nullptr && active_->conn->deadline() <= now) active_->conn->expire();
  }
  void expire() {
    if (active_ != nullptr) active_->conn->expire();
  }
  void release_idle_buffers(clock::time_point now, std::chrono::nanoseconds idle_for) {
    for (auto& s : slots_)
      s.conn->release_idle_buffers(now, idle_for);
  }
  void close_all() noexcept {
    for (auto& s : slots_)
      s.conn->close();
  }

  std::uint64_t bytes_sent() const noexcept { return sum(&connection::bytes_sent) + retired_sent_; }
  std::uint64_t bytes_received() const noexcept {
    return sum(&connection::bytes_received) + retired_received_;
  }
  std::uint64_t connects() const noexcept { return sum(&connection::connects) + retired_connects_; }
  std::uint64_t resumed_sessions() const noexcept {
    return sum(&connection::resumed_sessions) + retired_resumed_;
  }

 private:
  struct slot {
    const resolved_origin* origin = nullptr;
    std::unique_ptr<connection> conn;
    std::uint64_t last_used = 0;
  };

  void begin(const url& target, const std::string& wire, bool head, bool idempotent) {
    wire_ = &wire;
    head_ = head;
    idempotent_ = idempotent;
    waiting_for_origin_ = true;
    origins_.get(target, [this](const resolved_origin& o) {
      if (!waiting_for_origin_) return;  // cancelled meanwhile
      waiting_for_origin_ = false;
      slot& s = slot_for(o);
      active_ = &s;
      s.last_used = ++uses_;
      s.conn->start_until(*wire_, head_, deadline_, keep_body_, idempotent_);
    });
  }

  slot& slot_for(const resolved_origin& o) {
    for (auto& s : slots_)
      if (s.origin == &o) return s;
    if (slots_.size() < max_connections) {
      slots_.push_back({&o, nullptr, 0});
      slots_.back().conn = std::make_unique<connection>(ioc_, tls_, &o.endpoints, o.resolve_error,
                                                        o.where, limits_, *this);
      return slots_.back();
    }
    slot* oldest = nullptr;
    for (auto& s : slots_)
      if (!s.conn->busy() && (oldest == nullptr || s.last_used < oldest->last_used)) oldest = &s;
    retired_sent_ += oldest->conn->bytes_sent();
    retired_received_ += oldest->conn->bytes_received();
    retired_connects_ += oldest->conn->connects();
    retired_resumed_ += oldest->conn->resumed_sessions();
    oldest->origin = &o;
    oldest->conn = std::make_unique<connection>(ioc_, tls_, &o.endpoints, o.resolve_error, o.where,
                                                limits_, *this);
    return *oldest;
  }

  void on_exchange_done() override {
    if (warming_) {
      warming_ = false;
      return owner_.on_request_done();
    }
    if (!interrupted()) {
      if (cookies_) keep_cookies();
      owner_.on_response(active_->conn->result(), hop_url());
      if (owner_.may_follow() && follow_redirect()) return;
    }
    owner_.on_request_done();
  }

  bool follow_redirect() {
    const auto& r = active_->conn->result();
    if (hops_ >= req_->max_redirects() || r.error.code != 0) return false;
    if (r.status != 301 && r.status != 302 && r.status != 303 && r.status != 307 && r.status != 308)
      return false;
    std::string_view location;
    if (!active_->conn->response().header("Location", location)) return false;
    const url& from = hops_ > 0 ? hop_target_ : req_->target();
    url to;
    try {
      to = resolve_reference(from, location);
    } catch (const config_error&) {
      return false;  // a Location that is no URL ends the chain with the 3xx response
    }
    req_->redirect_wire(to, r.status, hop_wire_);
    hop_target_ = std::move(to);
    ++hops_;
    const bool head = req_->method() == "HEAD" && hop_wire_.rfind("HEAD ", 0) == 0;
    const bool same_method = hop_wire_.compare(0, req_->method().size(), req_->method()) == 0;
    begin(hop_target_, with_cookies(hop_target_, hop_wire_), head,
          same_method ? idempotent_ : true);
    return true;
  }

  void keep_cookies() {
    const url& from = hops_ > 0 ? hop_target_ : req_->target();
    const response_view r = active_->conn->response();
    for (std::size_t i = 0; i < r.header_count(); ++i)
      if (iequals(r.header_name(i), "Set-Cookie")) jar_.store(from, r.header_value(i));
  }

  // The bytes to send: `wire`, or a copy with the jar's Cookie header after the request line.
  const std::string& with_cookies(const url& to, const std::string& wire) {
    if (!cookies_ || jar_.empty() || req_->has_header("Cookie")) return wire;
    cookie_value_.clear();
    if (!jar_.header_for(to, cookie_value_)) return wire;
    const auto line_end = wire.find("\r\n") + 2;
    send_wire_.assign(wire, 0, line_end);
    send_wire_ += "Cookie: ";
    send_wire_ += cookie_value_;
    send_wire_ += "\r\n";
    send_wire_.append(wire, line_end);
    return send_wire_;
  }

  template <class M>
  std::uint64_t sum(M member) const noexcept {
    std::uint64_t n = 0;
    for (const auto& s : slots_)
      n += ((*s.conn).*member)();
    return n;
  }

  asio::io_context& ioc_;
  asio::ssl::context* tls_;
  origin_cache& origins_;
  response_limits limits_;
  listener& owner_;

  std::vector<slot> slots_;
  slot* active_ = nullptr;
  std::uint64_t uses_ = 0;
  std::uint64_t retired_sent_ = 0, retired_received_ = 0, retired_connects_ = 0,
                retired_resumed_ = 0;

  const request* req_ = nullptr;
  const std::string* wire_ = nullptr;
  bool keep_body_ = false, head_ = false, idempotent_ = false;
  bool warming_ = false, cancelled_ = false, waiting_for_origin_ = false;
  clock::time_point deadline_{};  // one timeout covers a whole redirect chain
  int hops_ = 0;
  url hop_target_;
  std::string hop_wire_;
  bool cookies_ = false;
  cookie_jar jar_;
  std::string cookie_value_, send_wire_;
  exchange_result failed_;
  std::string empty_;
  std::vector<header_field> no_fields_;
};

}  // namespace pacer::http::detail

#endif
