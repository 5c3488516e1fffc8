#ifndef PACER_HTTP_COOKIES_HPP
#define PACER_HTTP_COOKIES_HPP

// A VU's cookie jar, as k6 keeps one per VU and iteration: Set-Cookie stored by RFC 6265's
// rules (domain and host-only, default path, Max-Age over Expires, Secure), and the Cookie
// header a later request to a matching URL carries.

#include <pacer/http/url.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pacer::http {

class cookie_jar {
 public:
  using wall_clock = std::chrono::system_clock;

  // One Set-Cookie header of a response to `from`. A cookie for another domain, or one
  // without a name, is ignored (RFC 6265 5.3); an expired one removes its namesake.
  void store(const url& from, std::string_view set_cookie,
             wall_clock::time_point now = wall_clock::now()) {
    cookie c;
    std::string_view pair = set_cookie.substr(0, set_cookie.find(';'));
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos) return;
    c.name = trim(pair.substr(0, eq));
    c.value = trim(pair.substr(eq + 1));
    if (c.name.empty()) return;
    std::optional<wall_clock::time_point> expires, max_age_expiry;
    std::string domain;
    bool has_path = false;
    for (std::size_t at = set_cookie.find(';'); at != std::string_view::npos;) {
      const std::size_t next = set_cookie.find(';', at + 1);
      std::string_view attr = set_cookie.substr(
          at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
      at = next;
      const auto aeq = attr.find('=');
      const std::string key = lower(trim(attr.substr(0, aeq)));
      const std::string_view value =
          aeq == std::string_view::npos ? std::string_view() : trim_view(attr.substr(aeq + 1));
      if (key == "domain" && !value.empty()) {
        domain = lower(value.front() == '.' ? value.substr(1) : value);
      } else if (key == "path" && !value.empty() && value.front() == '/') {
        c.path = std::string(value);
        has_path = true;
      } else if (key == "max-age") {
        if (auto seconds = parse_integer(value))
          max_age_expiry =
              *seconds <= 0 ? wall_clock::time_point::min() : now + std::chrono::seconds(*seconds);
      } else if (key == "expires") {
        expires = parse_http_date(value);
      } else if (key == "secure") {
        c.secure = true;
      }
    }
    const std::string host = lower(from.host);
    if (domain.empty()) {
      c.host_only = true;
      c.domain = host;
    } else {
      if (!domain_match(host, domain) || (from.host_is_ip_literal() && host != domain)) return;
      c.domain = domain;
    }
    if (!has_path) c.path = default_path(from.target);
    c.expires = max_age_expiry ? max_age_expiry : expires;
    c.created = ++creations_;
    std::erase_if(cookies_, [&](const cookie& o) {
      return o.name == c.name && o.domain == c.domain && o.path == c.path;
    });
    if (c.expires && *c.expires <= now) return;  // an expiry in the past deletes
    cookies_.push_back(std::move(c));
  }

  // Appends to `out` the Cookie header value for a request to `to` ("a=1; b=2"), longest
  // paths first, then oldest first (RFC 6265 5.4). Returns whether any cookie matched.
  bool header_for(const url& to, std::string& out, wall_clock::time_point now = wall_clock::now()) {
    std::erase_if(cookies_, [&](const cookie& c) { return c.expires && *c.expires <= now; });
    matches_.clear();
    const std::string host = lower(to.host);
    const std::string_view path = request_path(to.target);
    for (const auto& c : cookies_) {
      if (c.secure && !to.tls) continue;
      if (c.host_only ? host != c.domain : !domain_match(host, c.domain)) continue;
      if (!path_match(path, c.path)) continue;
      matches_.push_back(&c);
    }
    std::stable_sort(matches_.begin(), matches_.end(), [](const cookie* a, const cookie* b) {
      return a->path.size() != b->path.size() ? a->path.size() > b->path.size()
                                              : a->created < b->created;
    });
    for (std::size_t i = 0; i < matches_.size(); ++i) {
      if (i > 0) out += "; ";
      out += matches_[i]->name;
      out += '=';
      out += matches_[i]->value;
    }
    return !matches_.empty();
  }

  void clear() noexcept { cookies_.clear(); }
  bool empty() const noexcept { return cookies_.empty(); }
  std::size_t size() const noexcept { return cookies_.size(); }

 private:
  struct cookie {
    std::string name, value, domain, path;
    bool host_only = false, secure = false;
    std::optional<wall_clock::time_point> expires;
    std::uint64_t created = 0;
  };

  static std::string_view trim_view(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  }
  static std::string trim(std::string_view s) { return std::string(trim_view(s)); }
  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& ch : out)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
    return out;
  }
  static std::optional<long long> parse_integer(std::string_view s) {
    if (s.empty()) return std::nullopt;
    bool negative = s.front() == '-';
    if (negative) s.remove_prefix(1);
    if (s.empty() || s.size() > 12) return std::nullopt;
    long long v = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      v = v * 10 + (ch - '0');
    }
    return negative ? -v : v;
  }
  // RFC 6265 5.1.1's lenient date: a time hh:mm:ss, a day, a month name and a year, in
  // any order among other tokens (IMF-fixdate, RFC 850 and asctime all read).
  static std::optional<wall_clock::time_point> parse_http_date(std::string_view s) {
    static constexpr std::string_view months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                  "jul", "aug", "sep", "oct", "nov", "dec"};
    int day = -1, month = -1, year = -1, hh = -1, mm = -1, ss = -1;
    auto is_delim = [](char ch) {
      return !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               ch == ':');
    };
    for (std::size_t i = 0; i < s.size();) {
      while (i < s.size() && is_delim(s[i]))
        ++i;
      std::size_t j = i;
      while (j < s.size() && !is_delim(s[j]))
        ++j;
      std::string_view token = s.substr(i, j - i);
      i = j;
      if (token.empty()) continue;
      int a, b, c;
      if (hh < 0 && std::sscanf(std::string(token).c_str(), "%2d:%2d:%2d", &a, &b, &c) == 3) {
        hh = a, mm = b, ss = c;
      } else if (month < 0 && token.size() >= 3 &&
                 std::find(std::begin(months), std::end(months), lower(token.substr(0, 3))) !=
                     std::end(months)) {
        month = static_cast<int>(
            std::find(std::begin(months), std::end(months), lower(token.substr(0, 3))) -
            std::begin(months));
      } else if (token.find_first_not_of("0123456789") == std::string_view::npos) {
        const int v = std::stoi(std::string(token.substr(0, 4)));
        if (day < 0 && token.size() <= 2)
          day = v;
        else if (year < 0 && token.size() >= 2)
          year = token.size() == 2 ? (v >= 70 ? 1900 + v : 2000 + v) : v;
      }
    }
    if (day < 1 || day > 31 || month < 0 || year < 1601 || hh < 0 || hh > 23 || mm > 59 || ss > 59)
      return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return wall_clock::from_time_t(timegm(&tm));
  }
  static bool domain_match(std::string_view host, std::string_view domain) noexcept {
    if (host == domain) return true;
    return host.size() > domain.size() && host.ends_with(domain) &&
           host[host.size() - domain.size() - 1] == '.';
  }
  static std::string_view request_path(std::string_view target) noexcept {
    return target.substr(0, target.find_first_of("?#"));
  }
  static std::string default_path(std::string_view target) {
    const std::string_view path = request_path(target);
    if (path.empty() || path.front() != '/') return "/";
    const auto last = path.rfind('/');
    return last == 0 ? "/" : std::string(path.substr(0, last));
  }
  static bool path_match(std::string_view request, std::string_view cookie) noexcept {
    if (request == cookie) return true;
    if (!request.starts_with(cookie)) return false;
    return cookie.back() == '/' || request[cookie.size()] == '/';
  }

  std::vector<cookie> cookies_;
  std::vector<const cookie*> matches_;
  std::uint64_t creations_ = 0;
};

}  // namespace pacer::http

#endif
