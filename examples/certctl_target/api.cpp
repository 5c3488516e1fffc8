#include "certctl_target/api.hpp"

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <exception>
#include <limits>
#include <optional>

namespace certctl_target {

namespace {

using json = nlohmann::ordered_json;  // keeps the contract's field order

// Go's http.StatusText, which certctl puts in "error".
std::string_view status_text(unsigned status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Request Entity Too Large";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

constexpr std::string_view bulk_renew_path = "/api/v1/certificates/bulk-renew";
constexpr std::string_view certificates_path = "/api/v1/certificates";
constexpr std::string_view jobs_path = "/api/v1/jobs";
constexpr std::uint32_t max_per_page = 500;

bool token_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if ((authorization[i] | 0x20) != scheme[i]) return false;
  const std::string_view given = authorization.substr(scheme.size());
  // Constant time, so response timing does not reveal how much of a guess was right.
  return given.size() == token.size() &&
         CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

// Authentication wraps every API route in certctl, so it answers before the method check.
// `method` must outlive the reply (a literal): it becomes the Allow header of a 405.
std::optional<api_reply> refusal(const api_request& req, std::string_view token,
                                 std::string_view method) {
  if (!token_matches(req.authorization, token))
    return error_reply(401, "missing or invalid bearer token", req.request_id);
  if (req.method != method) {
    auto r = error_reply(405, "use " + std::string(method), req.request_id);
    r.allow = method;
    return r;
  }
  return std::nullopt;
}

// The {id} of "<collection>/{id}", still escaped; nullopt for any other path.
std::optional<std::string_view> member_id(std::string_view path, std::string_view collection) {
  if (path.size() <= collection.size() + 1 || !path.starts_with(collection) ||
      path[collection.size()] != '/')
    return std::nullopt;
  const std::string_view id = path.substr(collection.size() + 1);
  if (id.find('/') != std::string_view::npos) return std::nullopt;
  return id;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's url.PathUnescape, or url.QueryUnescape with `plus_is_space`; nullopt for a bad escape.
std::optional<std::string> unescape(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int high = hex_digit(s[i + 1]), low = hex_digit(s[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The first value of `name` in a query string, decoded, as Go's url.Values.Get gives it: a pair
// that does not decode (or has a semicolon) is dropped, and a missing parameter is empty.
std::string query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty() || pair.find(';') != std::string_view::npos) continue;
    const auto eq = pair.find('=');
    const auto key = unescape(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    auto value = unescape(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (value) return std::move(*value);
  }
  return {};
}

// A decimal integer from 1 to `max`, digits only.
std::optional<std::uint64_t> counting_number(std::string_view text, std::uint64_t max) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > max)
    return std::nullopt;
  return n;
}

// Decodes a criteria object the way Go's encoding/json would into certctl's struct: unknown
// fields are ignored, null leaves a field unset, a wrong type is an error.
std::optional<criteria> parse_criteria(std::string_view body) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  criteria c;
  std::string* const text_fields[] = {&c.profile_id, &c.owner_id, &c.agent_id, &c.issuer_id,
                                      &c.team_id};
  constexpr const char* names[] = {"profile_id", "owner_id", "agent_id", "issuer_id", "team_id"};
  for (std::size_t i = 0; i < 5; ++i) {
    const auto it = doc.find(names[i]);
    if (it == doc.end() || it->is_null()) continue;
    if (!it->is_string()) return std::nullopt;
    *text_fields[i] = it->get<std::string>();
  }
  if (const auto it = doc.find("certificate_ids"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return std::nullopt;
    for (const auto& id : *it) {
      if (!id.is_string()) return std::nullopt;
      c.certificate_ids.push_back(id.get<std::string>());
    }
  }
  return c;
}

std::string envelope(const bulk_renewal_result& r) {
  json out = {{"total_matched", r.total_matched},
              {"total_enqueued", r.total_enqueued},
              {"total_skipped", r.total_skipped},
              {"total_failed", r.total_failed}};
  if (!r.enqueued_jobs.empty()) {
    auto& jobs = out["enqueued_jobs"] = json::array();
    for (const auto& j : r.enqueued_jobs)
      jobs.push_back({{"certificate_id", j.certificate_id}, {"job_id", j.job_id}});
  }
  if (!r.errors.empty()) {
    auto& errors = out["errors"] = json::array();
    for (const auto& e : r.errors)
      errors.push_back({{"certificate_id", e.certificate_id}, {"error", e.error}});
  }
  return out.dump();
}

json certificate_json(const certificate& c) {
  return {{"id", c.id},
          {"common_name", c.common_name},
          {"owner_id", c.owner_id},
          {"team_id", c.team_id},
          {"issuer_id", c.issuer_id},
          {"profile_id", c.profile_id},
          {"agent_id", c.agent_id},
          {"status", c.status},
          {"expires_at", c.expires_at},
          {"updated_at", c.updated_at}};
}

// certctl's Job field order, completed_at omitted while empty as its omitempty does.
json job_json(const job& j) {
  json out = {
      {"id", j.id}, {"type", j.type}, {"certificate_id", j.certificate_id}, {"status", j.status}};
  if (!j.completed_at.empty()) out["completed_at"] = j.completed_at;
  out["created_at"] = j.created_at;
  return out;
}

}  // namespace

api_reply error_reply(unsigned status, std::string_view message, std::string_view request_id) {
  json body = {{"error", status_text(status)}, {"message", message}, {"request_id", request_id}};
  return {status, body.dump(), {}};
}

api::api(store& db, std::string token, std::function<void()> on_enqueued)
    : db_(db), token_(std::move(token)), on_enqueued_(std::move(on_enqueued)) {}

api_reply api::handle(const api_request& req) const {
  const std::string_view path = req.target.substr(0, req.target.find('?'));
  if (path == bulk_renew_path) return bulk_renew(req);
  if (path == certificates_path) return list_certificates(req);
  if (const auto id = member_id(path, certificates_path)) return get_certificate(req, *id);
  if (const auto id = member_id(path, jobs_path)) return get_job(req, *id);
  if (path == "/health") {
    if (req.method == "GET") return {200, R"({"status":"healthy"})", {}};
    auto r = error_reply(405, "use GET", req.request_id);
    r.allow = "GET";
    return r;
  }
  return error_reply(404, "no such endpoint", req.request_id);
}

api_reply api::bulk_renew(const api_request& req) const {
  if (auto refused = refusal(req, token_, "POST")) return *refused;
  const auto c = parse_criteria(req.body);
  if (!c) return error_reply(400, "Invalid request body", req.request_id);
  if (c->empty())
    return error_reply(400,
                       "at least one criterion is required: profile_id, owner_id, agent_id, "
                       "issuer_id, team_id or certificate_ids",
                       req.request_id);
  bulk_renewal_result result;
  try {
    result = db_.bulk_renew(*c);
  } catch (const std::exception& e) {
    return error_reply(500, std::string("Bulk renewal failed: ") + e.what(), req.request_id);
  }
  if (result.total_enqueued > 0 && on_enqueued_) on_enqueued_();
  return {200, envelope(result), {}};
}

api_reply api::list_certificates(const api_request& req) const {
  if (auto refused = refusal(req, token_, "GET")) return *refused;
  const auto mark = req.target.find('?');
  const std::string_view query =
      mark == std::string_view::npos ? std::string_view() : req.target.substr(mark + 1);
  // Empty means absent, as in certctl; anything else must be valid.
  std::uint64_t page = 1;
  if (const auto text = query_value(query, "page"); !text.empty()) {
    const auto n = counting_number(text, std::numeric_limits<std::uint64_t>::max());
    if (!n) return error_reply(400, "page must be a positive integer", req.request_id);
    page = *n;
  }
  std::uint32_t per_page = 50;
  if (const auto text = query_value(query, "per_page"); !text.empty()) {
    const auto n = counting_number(text, max_per_page);
    if (!n) return error_reply(400, "per_page must be an integer from 1 to 500", req.request_id);
    per_page = static_cast<std::uint32_t>(*n);
  }
  const certificate_filter filter{query_value(query, "team_id"), query_value(query, "issuer_id"),
                                  query_value(query, "status")};
  // Saturated: a page that far out is past the end of any table anyway.
  constexpr auto max_offset = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t offset =
      page - 1 > max_offset / per_page ? max_offset : (page - 1) * per_page;

  certificate_page result;
  try {
    result = db_.list_certificates(filter, offset, per_page);
  } catch (const std::exception& e) {
    return error_reply(500, std::string("Failed to list certificates: ") + e.what(),
                       req.request_id);
  }
  json out = {
      {"data", json::array()}, {"total", result.total}, {"page", page}, {"per_page", per_page}};
  auto& data = out["data"];
  for (const auto& c : result.certificates)
    data.push_back(certificate_json(c));
  return {200, out.dump(), {}};
}

api_reply api::get_certificate(const api_request& req, std::string_view id) const {
  if (auto refused = refusal(req, token_, "GET")) return *refused;
  std::optional<certificate> found;
  try {
    // An ID that does not unescape names no certificate.
    if (const auto decoded = unescape(id, false)) found = db_.find_certificate(*decoded);
  } catch (const std::exception& e) {
    return error_reply(500, std::string("Failed to get certificate: ") + e.what(), req.request_id);
  }
  if (!found) return error_reply(404, "certificate not found", req.request_id);
  return {200, certificate_json(*found).dump(), {}};
}

api_reply api::get_job(const api_request& req, std::string_view id) const {
  if (auto refused = refusal(req, token_, "GET")) return *refused;
  std::optional<job> found;
  try {
    if (const auto decoded = unescape(id, false)) found = db_.find_job(*decoded);
  } catch (const std::exception& e) {
    return error_reply(500, std::string("Failed to get job: ") + e.what(), req.request_id);
  }
  if (!found) return error_reply(404, "job not found", req.request_id);
  return {200, job_json(*found).dump(), {}};
}

}  // namespace certctl_target
