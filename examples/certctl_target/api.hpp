// certctl's HTTP API as far as the bulk-renewal scenario needs it, independent of the transport:
// a request in, a JSON reply out.
//
//   POST /api/v1/certificates/bulk-renew   bearer token; the contract's statuses and envelope
//   GET  /api/v1/certificates              bearer token; ?team_id, issuer_id, status (AND), page
//                                          (from 1), per_page (1 to 500, default 50); 200
//                                          {"data":[certificate...],"total","page","per_page"}
//                                          ordered by id, 400 for a bad page or per_page
//   GET  /api/v1/certificates/{id}         bearer token; 200 certificate, 404
//   GET  /api/v1/jobs/{id}                 bearer token; 200 {"id","type","certificate_id",
//                                          "status","completed_at" once completed,"created_at"},
//                                          404
//   GET  /health                           200 {"status":"healthy"}, no token (for readiness)
//   anything else                          404
//
// A certificate is {"id","common_name","owner_id","team_id","issuer_id","profile_id","agent_id",
// "status","expires_at","updated_at"}. On the token routes a missing or wrong token is 401 and
// then another method 405 with Allow, as certctl's middleware checks first.
#pragma once

#include "certctl_target/store.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace certctl_target {

struct api_request {
  std::string_view method;
  std::string_view target;  // path and query
  std::string_view authorization;
  std::string_view body;
  std::string_view request_id;
};

struct api_reply {
  unsigned status = 200;
  std::string body;        // JSON
  std::string_view allow;  // the Allow header of a 405, else empty
};

// {"error": "<status text>", "message": ..., "request_id": ...}, as certctl's error bodies.
api_reply error_reply(unsigned status, std::string_view message, std::string_view request_id);

class api {
 public:
  // `on_enqueued` runs after a call committed at least one job.
  api(store& db, std::string token, std::function<void()> on_enqueued);

  // Thread-safe; blocks on the database.
  api_reply handle(const api_request& req) const;

 private:
  api_reply bulk_renew(const api_request& req) const;
  api_reply list_certificates(const api_request& req) const;
  api_reply get_certificate(const api_request& req, std::string_view id) const;
  api_reply get_job(const api_request& req, std::string_view id) const;

  store& db_;
  std::string token_;
  std::function<void()> on_enqueued_;
};

}  // namespace certctl_target
