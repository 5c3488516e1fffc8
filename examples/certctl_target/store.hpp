// The certificate inventory and job queue, kept in one SQLite database file.
//
// One connection does all the work, serialised by a mutex: SQLite has a single writer anyway,
// and most operations here write. Each public call that writes is one transaction.
#pragma once

#include "certctl_target/sqlite.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certctl_target {

// certctl's BulkRenewalCriteria: empty fields are not criteria; the given ones combine with AND.
struct criteria {
  std::string profile_id;
  std::string owner_id;
  std::string agent_id;
  std::string issuer_id;
  std::string team_id;
  std::vector<std::string> certificate_ids;

  bool empty() const noexcept;
};

struct enqueued_job {
  std::string certificate_id;
  std::string job_id;
};

struct renewal_error {
  std::string certificate_id;
  std::string error;
};

struct bulk_renewal_result {
  std::uint64_t total_matched = 0;
  std::uint64_t total_enqueued = 0;
  std::uint64_t total_skipped = 0;
  std::uint64_t total_failed = 0;
  std::vector<enqueued_job> enqueued_jobs;
  std::vector<renewal_error> errors;
};

// A managed_certificates row as the API shows it. Timestamps are RFC 3339 in UTC.
struct certificate {
  std::string id;
  std::string common_name;
  std::string profile_id;
  std::string owner_id;
  std::string agent_id;
  std::string issuer_id;
  std::string team_id;
  std::string status;
  std::string expires_at;
  std::string updated_at;
};

// The list filters; empty fields are not filters, the given ones combine with AND.
struct certificate_filter {
  std::string team_id;
  std::string issuer_id;
  std::string status;
};

struct certificate_page {
  std::uint64_t total = 0;  // every match, not only this page's
  std::vector<certificate> certificates;
};

struct job {
  std::string id;
  std::string type;
  std::string certificate_id;
  std::string status;  // pending or completed
  std::string created_at;
  std::string completed_at;  // empty while pending
};

// What the start-up seed put in an empty database.
struct seed_report {
  bool seeded = false;  // false: the database already held certificates
  std::uint64_t bulk_certificates = 0;
  std::uint64_t other_certificates = 0;
};

class store {
 public:
  // Opens or creates the database (WAL mode) and its schema. Throws sql::sqlite_error.
  explicit store(const std::filesystem::path& path);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // Fills an empty database with the contract's fixture: `bulk` certificates mc-bulk-NNNNN
  // (team t-platform, issuer iss-local, tag batch=bulk-renewal; one in 400 revoked or archived)
  // and 300 certificates of other teams or issuers.
  seed_report seed_if_empty(std::uint32_t bulk);

  // Enqueues a renewal job for every renewable certificate matching `c`, in one transaction.
  // Others matched are skipped; a requested ID naming no certificate is an error entry.
  // Throws sql::sqlite_error (nothing committed) when the store fails.
  bulk_renewal_result bulk_renew(const criteria& c);

  struct drain_result {
    std::uint64_t completed = 0;
    std::uint64_t still_pending = 0;
  };
  // Completes up to `per_issuer` of the oldest pending jobs of each issuer and returns their
  // certificates to active (renewed for 90 days), in one transaction.
  drain_result complete_pending(std::uint32_t per_issuer);

  std::uint64_t pending_jobs();

  // The matches of `f` ordered by id, `limit` of them from `offset` on, and their count.
  certificate_page list_certificates(const certificate_filter& f, std::uint64_t offset,
                                     std::uint32_t limit);
  std::optional<certificate> find_certificate(std::string_view id);
  std::optional<job> find_job(std::string_view id);

 private:
  sql::statement& matching_statement(unsigned mask);
  sql::statement& listing_statement(unsigned mask, bool count);

  std::mutex mu_;
  sql::database db_;
  std::int64_t last_job_seq_ = 0;
  // One prepared SELECT per combination of the six criteria, prepared on first use.
  std::array<std::unique_ptr<sql::statement>, 64> matching_;
  std::unique_ptr<sql::statement> mark_renewing_, restore_status_, insert_job_;
  std::unique_ptr<sql::statement> pending_issuers_, pending_of_issuer_, complete_job_, reactivate_,
      count_pending_, missing_ids_;
  // The list's page and count statements per combination of its three filters.
  std::array<std::unique_ptr<sql::statement>, 8> listing_, counting_;
  std::unique_ptr<sql::statement> find_certificate_, find_job_;
};

}  // namespace certctl_target
