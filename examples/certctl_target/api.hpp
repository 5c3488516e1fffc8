// certctl's HTTP API as far as the bulk-renewal scenario needs it, independent of the transport:
// a request in, a JSON reply out.
//
//   POST /api/v1/certificates/bulk-renew   bearer token; the contract's statuses and envelope
//   GET  /health                           200 {"status":"healthy"}, no token (for readiness)
//   anything else                          404
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

  store& db_;
  std::string token_;
  std::function<void()> on_enqueued_;
};

}  // namespace certctl_target
