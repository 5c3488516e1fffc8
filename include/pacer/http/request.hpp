#ifndef PACER_HTTP_REQUEST_HPP
#define PACER_HTTP_REQUEST_HPP

// Request templates: method, URL, headers, body and tags, serialised once and reused by
// every iteration.

#include <pacer/core/duration.hpp>
#include <pacer/core/env.hpp>
#include <pacer/core/error.hpp>
#include <pacer/http/response.hpp>
#include <pacer/http/url.hpp>
#include <pacer/metrics/metric.hpp>
#include <pacer/version.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacer::http {

inline constexpr std::chrono::seconds default_timeout{60};
inline constexpr std::string_view default_user_agent = "pacer/" PACER_VERSION_STRING;

// A request template: everything about one request that does not change between
// iterations. Its bytes on the wire are serialised once, by prepare().
class request {
 public:
  request(std::string_view method, std::string_view target_url)
      : method_(method), url_(parse_url(target_url)) {
    check_token(method_, "HTTP method", "a method token such as GET or POST");
  }

  request& header(std::string_view name, std::string_view value) {
    check_token(name, "header name", "a header name made of letters, digits and !#$%&'*+-.^_`|~");
    for (char c : value)
      if (c == '\r' || c == '\n' || c == '\0')
        throw config_error("header " + std::string(name), "(value withheld)",
                           "a header value without CR, LF or NUL");
    for (auto& h : headers_)
      if (iequals(h.first, name)) {
        h.second = std::string(value);
        return invalidate();
      }
    headers_.emplace_back(std::string(name), std::string(value));
    return invalidate();
  }
  request& body(std::string bytes) {
    body_ = std::move(bytes);
    return invalidate();
  }
  // The body as JSON; sets Content-Type unless one was given.
  request& json(const nlohmann::json& value) {
    body_ = value.dump();
    if (!has_header("Content-Type")) header("Content-Type", "application/json");
    return invalidate();
  }
  request& bearer(const secret& token) {
    header("Authorization", "Bearer " + token.reveal());
    return invalidate();
  }
  request& bearer(std::string_view token) { return bearer(secret(std::string(token))); }
  request& tag(std::string_view key, std::string_view value) {
    tags_.set(key, value);
    return *this;
  }
  request& timeout(nanoseconds t) {
    if (t <= nanoseconds::zero())
      throw config_error("timeout", format_go_duration(t), "a positive duration");
    timeout_ = t;
    return *this;
  }
  // Statuses counted as expected by http_req_failed (k6 default: 200-399).
  request& expected_statuses(int lowest, int highest) {
    if (lowest < 100 || highest > 599 || lowest > highest)
      throw config_error("expected statuses",
                         std::to_string(lowest) + "-" + std::to_string(highest),
                         "a status range within 100-599, lowest first");
    expected_low_ = lowest;
    expected_high_ = highest;
    return *this;
  }

  // Redirects to follow (k6 follows 10; off unless asked). Each hop is a request
  // of its own in the metrics, as in k6.
  request& max_redirects(int n) {
    if (n < 0 || n > 100) throw config_error("max redirects", std::to_string(n), "0-100");
    max_redirects_ = n;
    return *this;
  }
  int max_redirects() const noexcept { return max_redirects_; }

  // The bytes of a redirect hop to `to`: 307/308 keep method and body; the others
  // become GET without a body (as browsers and Go's client do). Credentials do not
  // follow to another origin. Reuses `out`.
  void redirect_wire(const url& to, int status, std::string& out) const {
    bool keep = status == 307 || status == 308 || method_ == "GET" || method_ == "HEAD";
    bool same_origin = to.tls == url_.tls && to.host_header == url_.host_header;
    serialize(keep ? method_ : get_method(), to, keep, !same_origin, out);
  }

  const std::string& method() const noexcept { return method_; }
  const http::url& target() const noexcept { return url_; }
  const std::string& body() const noexcept { return body_; }
  nanoseconds timeout() const noexcept { return timeout_; }
  const metrics::tag_set& user_tags() const noexcept { return tags_; }
  bool expected(int status) const noexcept {
    return status >= expected_low_ && status <= expected_high_;
  }
  bool has_header(std::string_view name) const {
    for (auto& h : headers_)
      if (iequals(h.first, name)) return true;
    return false;
  }

  // The tags of every sample this request produces, before per-response tags.
  metrics::tag_set tags() const {
    metrics::tag_set t;
    t.set("method", method_);
    const std::string* name = tags_.find("name");
    std::string url_text = url_.to_string();
    // k6: a user `name` tag also replaces `url`, to keep cardinality low.
    t.set("url", name != nullptr ? *name : url_text);
    t.set("name", name != nullptr ? *name : url_text);
    t.merge(tags_);
    return t;
  }

  // The serialised request. Built once; later calls return the same bytes.
  const std::string& wire() const {
    if (wire_.empty()) serialize(method_, url_, true, false, wire_);
    return wire_;
  }

  // The serialised request written into `out` (reusing its storage): what a VU sends for
  // a request built per call, without touching this object.
  void write_wire(std::string& out) const { serialize(method_, url_, true, false, out); }

  // A printable description with credentials withheld.
  std::string describe() const {
    std::string d = method_ + " " + url_.to_string();
    for (auto& [k, v] : headers_) {
      d += "\n  ";
      d += k;
      d += ": ";
      d +=
          (iequals(k, "Authorization") || iequals(k, "Cookie") || iequals(k, "Proxy-Authorization"))
              ? "[redacted]"
              : v;
    }
    return d;
  }

 private:
  // Request line, Host, User-Agent, the template's headers and (with_body) the body.
  void serialize(const std::string& method, const url& to, bool with_body, bool strip_credentials,
                 std::string& out) const {
    out.clear();
    out.reserve(128 + body_.size());
    out += method;
    out += ' ';
    out += to.target;
    out += " HTTP/1.1\r\nHost: ";
    out += to.host_header;
    out += "\r\n";
    if (!has_header("User-Agent")) {
      out += "User-Agent: ";
      out += default_user_agent;
      out += "\r\n";
    }
    for (auto& [k, v] : headers_) {
      if (strip_credentials && (iequals(k, "Authorization") || iequals(k, "Cookie"))) continue;
      // A method change drops the body, and with it the headers that describe it.
      if (!with_body && (iequals(k, "Content-Type") || iequals(k, "Content-Length"))) continue;
      out += k;
      out += ": ";
      out += v;
      out += "\r\n";
    }
    if (with_body && (!body_.empty() || method == "POST" || method == "PUT" || method == "PATCH")) {
      out += "Content-Length: ";
      out += std::to_string(body_.size());
      out += "\r\n\r\n";
      out += body_;
    } else {
      out += "\r\n";
    }
  }

  request& invalidate() {
    wire_.clear();
    return *this;
  }
  static bool iequals(std::string_view a, std::string_view b) { return detail::iequals(a, b); }
  static void check_token(std::string_view t, const char* what, const char* accepted) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    bool ok = !t.empty();
    for (char c : t)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            extra.find(c) != std::string_view::npos))
        ok = false;
    if (!ok) throw config_error(what, std::string(t), accepted);
  }

  std::string method_;
  http::url url_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  metrics::tag_set tags_;
  nanoseconds timeout_ = default_timeout;
  static const std::string& get_method() {
    static const std::string get = "GET";
    return get;
  }
  int max_redirects_ = 0;
  int expected_low_ = 200;
  int expected_high_ = 399;
  mutable std::string wire_;
};

inline request get(std::string_view u) {
  return request("GET", u);
}
inline request head(std::string_view u) {
  return request("HEAD", u);
}
inline request del(std::string_view u) {
  return request("DELETE", u);
}
inline request options(std::string_view u) {
  return request("OPTIONS", u);
}
inline request post(std::string_view u, std::string body = {}) {
  return std::move(request("POST", u).body(std::move(body)));
}
inline request put(std::string_view u, std::string body = {}) {
  return std::move(request("PUT", u).body(std::move(body)));
}
inline request patch(std::string_view u, std::string body = {}) {
  return std::move(request("PATCH", u).body(std::move(body)));
}

}  // namespace pacer::http

#endif
