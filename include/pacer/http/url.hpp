#ifndef PACER_HTTP_URL_HPP
#define PACER_HTTP_URL_HPP

// URLs as requests need them: parsing, validation, and resolving a redirect's Location.

#include <pacer/core/error.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace pacer::http {

// An absolute http(s) URL split into what a connection and a request line need.
struct url {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  std::uint16_t port = 0;
  std::string target = "/";  // path and query
  std::string host_header;   // host[:port] as sent in the Host header

  std::string scheme() const { return tls ? "https" : "http"; }
  // Exactly what the resolver takes as an address (so "127.1" is a name, as for TLS).
  bool host_is_ip_literal() const {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
  }
  std::string to_string() const { return scheme() + "://" + host_header + target; }
};

inline constexpr std::string_view url_form =
    "an absolute URL such as http://127.0.0.1:8080/path or https://[::1]:8443/api";

inline url parse_url(std::string_view text, std::string_view option = "URL") {
  auto fail = [&](std::string why) -> url {
    throw config_error(std::string(option), std::string(text),
                       std::string(url_form) + (why.empty() ? "" : "; " + why));
  };
  url u;
  std::string_view s = text;
  if (s.substr(0, 7) == "http://") {
    s.remove_prefix(7);
  } else if (s.substr(0, 8) == "https://") {
    u.tls = true;
    s.remove_prefix(8);
  } else {
    return fail("the scheme must be http or https");
  }
  for (char c : text)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail("it contains spaces or control characters");
  std::size_t auth_end = s.find_first_of("/?#");
  std::string_view authority = s.substr(0, auth_end);
  std::string_view rest = auth_end == std::string_view::npos ? "" : s.substr(auth_end);
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials in the URL are not supported; use a header");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated IPv6 literal");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      u.host = std::string(authority.substr(0, colon));
      port_text = authority.substr(colon + 1);
    } else {
      u.host = std::string(authority);
    }
  }
  if (u.host.empty()) return fail("the host is missing");
  unsigned port = u.tls ? 443 : 80;
  if (!port_text.empty()) {
    if (port_text.size() > 5) return fail("the port must be 1-65535");
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return fail("the port must be a number");
      port = port * 10 + static_cast<unsigned>(c - '0');
    }
    if (port == 0 || port > 65535) return fail("the port must be 1-65535");
  }
  u.port = static_cast<std::uint16_t>(port);
  // The fragment never goes on the wire.
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  if (rest.empty())
    u.target = "/";
  else if (rest.front() == '?')
    u.target = "/" + std::string(rest);
  else
    u.target = std::string(rest);
  bool v6 = u.host.find(':') != std::string::npos;
  std::string host_part = v6 ? "[" + u.host + "]" : u.host;
  bool default_port = (u.tls && u.port == 443) || (!u.tls && u.port == 80);
  u.host_header = default_port ? host_part : host_part + ":" + std::to_string(u.port);
  return u;
}

// The absolute URL a Location header value refers to, relative to `base`
// (RFC 3986 reference resolution for the forms servers send).
inline url resolve_reference(const url& base, std::string_view location) {
  if (location.substr(0, 7) == "http://" || location.substr(0, 8) == "https://")
    return parse_url(location, "redirect Location");
  if (location.substr(0, 2) == "//")
    return parse_url(base.scheme() + ":" + std::string(location), "redirect Location");
  std::string path;
  if (!location.empty() && location.front() == '/') {
    path = std::string(location);
  } else {
    std::string_view dir = base.target;
    dir = dir.substr(0, dir.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    path = std::string(dir) + std::string(location);
  }
  return parse_url(base.scheme() + "://" + base.host_header + path, "redirect Location");
}

}  // namespace pacer::http

#endif
