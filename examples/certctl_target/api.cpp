#include "certctl_target/api.hpp"

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include <exception>
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
  if (path == "/health") {
    if (req.method == "GET") return {200, R"({"status":"healthy"})", {}};
    auto r = error_reply(405, "use GET", req.request_id);
    r.allow = "GET";
    return r;
  }
  return error_reply(404, "no such endpoint", req.request_id);
}

api_reply api::bulk_renew(const api_request& req) const {
  // Authentication wraps every API route in certctl, so it answers before the method check.
  if (!token_matches(req.authorization, token_))
    return error_reply(401, "missing or invalid bearer token", req.request_id);
  if (req.method != "POST") {
    auto r = error_reply(405, "use POST", req.request_id);
    r.allow = "POST";
    return r;
  }
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

}  // namespace certctl_target
