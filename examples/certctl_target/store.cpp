#include "certctl_target/store.hpp"

#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <string_view>

namespace certctl_target {

namespace {

constexpr int schema_version = 1;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS managed_certificates (
  id          TEXT PRIMARY KEY,
  common_name TEXT NOT NULL,
  profile_id  TEXT NOT NULL,
  owner_id    TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  issuer_id   TEXT NOT NULL,
  team_id     TEXT NOT NULL,
  status      TEXT NOT NULL,
  tags        TEXT NOT NULL DEFAULT '{}',
  expires_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS managed_certificates_team_issuer
  ON managed_certificates(team_id, issuer_id);
CREATE TABLE IF NOT EXISTS jobs (
  seq            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  type           TEXT NOT NULL,
  certificate_id TEXT NOT NULL REFERENCES managed_certificates(id),
  issuer_id      TEXT NOT NULL,
  status         TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  completed_at   TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, issuer_id, seq);
)sql";

// The statuses from which certctl starts a renewal; any other (renewal_in_progress, revoked,
// archived) is skipped.
bool renewable(std::string_view status) {
  return status == "active" || status == "expiring" || status == "expired" || status == "failed";
}

// UTC, ISO 8601 with milliseconds, `days` from now.
std::string utc_timestamp(int days = 0) {
  const auto now = std::chrono::system_clock::now() + std::chrono::hours(24 * days);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return buf;
}

std::string numbered(const char* format, std::uint64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, static_cast<unsigned long long>(n));
  return buf;
}

// The criteria fields in SQL parameter order; bit i of a mask means field i is given.
constexpr const char* criteria_columns[] = {"profile_id", "owner_id", "agent_id",
                                            "issuer_id",  "team_id",  "certificate_ids"};

unsigned mask_of(const criteria& c) {
  const bool given[] = {!c.profile_id.empty(), !c.owner_id.empty(), !c.agent_id.empty(),
                        !c.issuer_id.empty(),  !c.team_id.empty(),  !c.certificate_ids.empty()};
  unsigned mask = 0;
  for (unsigned i = 0; i < 6; ++i)
    if (given[i]) mask |= 1u << i;
  return mask;
}

// The columns read_certificate() expects, in its order.
constexpr const char* certificate_columns =
    "id, common_name, profile_id, owner_id, agent_id, issuer_id, team_id, status, expires_at, "
    "updated_at";

certificate read_certificate(const sql::statement& s) {
  return {std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)),
          std::string(s.text(3)), std::string(s.text(4)), std::string(s.text(5)),
          std::string(s.text(6)), std::string(s.text(7)), std::string(s.text(8)),
          std::string(s.text(9))};
}

// The list filters in SQL parameter order, as for criteria_columns.
constexpr const char* filter_columns[] = {"team_id", "issuer_id", "status"};

}  // namespace

bool criteria::empty() const noexcept {
  return mask_of(*this) == 0;
}

store::store(const std::filesystem::path& path) : db_(path.string()) {
  if (db_.read_only()) throw sql::sqlite_error(SQLITE_READONLY, "the file is read-only");
  sql::statement version(db_, "PRAGMA user_version");
  version.step();  // also the first read: fails here if the file is not a database
  if (version.integer(0) > schema_version)
    throw sql::sqlite_error(SQLITE_ERROR, "made by a newer version of this server (schema " +
                                              std::to_string(version.integer(0)) + ")");
  version.reset();
  // WAL lets readers (an operator's sqlite3 shell, a test) look while the server writes; FULL
  // makes every commit durable once the call has returned.
  db_.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  db_.exec(schema);
  db_.exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());

  sql::statement last(db_, "SELECT COALESCE(MAX(seq), 0) FROM jobs");
  last.step();
  last_job_seq_ = last.integer(0);

  const auto prepare = [&](std::string_view text) {
    return std::make_unique<sql::statement>(db_, text);
  };
  mark_renewing_ = prepare(
      "UPDATE managed_certificates SET status = 'renewal_in_progress', updated_at = ?2 "
      "WHERE id = ?1");
  restore_status_ = prepare("UPDATE managed_certificates SET status = ?2 WHERE id = ?1");
  insert_job_ = prepare(
      "INSERT INTO jobs (seq, id, type, certificate_id, issuer_id, status, created_at) "
      "VALUES (?1, ?2, 'renewal', ?3, ?4, 'pending', ?5)");
  pending_issuers_ = prepare("SELECT DISTINCT issuer_id FROM jobs WHERE status = 'pending'");
  pending_of_issuer_ = prepare(
      "SELECT id, certificate_id FROM jobs WHERE status = 'pending' AND issuer_id = ?1 "
      "ORDER BY seq LIMIT ?2");
  complete_job_ = prepare("UPDATE jobs SET status = 'completed', completed_at = ?2 WHERE id = ?1");
  reactivate_ = prepare(
      "UPDATE managed_certificates SET status = 'active', expires_at = ?2, updated_at = ?3 "
      "WHERE id = ?1 AND status = 'renewal_in_progress'");
  count_pending_ = prepare("SELECT COUNT(*) FROM jobs WHERE status = 'pending'");
  missing_ids_ = prepare(
      "SELECT DISTINCT value FROM json_each(?1) "
      "WHERE value NOT IN (SELECT id FROM managed_certificates) ORDER BY value");
  find_certificate_ = prepare(std::string("SELECT ") + certificate_columns +
                              " FROM managed_certificates WHERE id = ?1");
  find_job_ = prepare(
      "SELECT id, type, certificate_id, status, created_at, completed_at FROM jobs WHERE id = ?1");
}

store::~store() = default;

seed_report store::seed_if_empty(std::uint32_t bulk) {
  std::lock_guard lock(mu_);
  sql::transaction tx(db_);
  {
    sql::statement any(db_, "SELECT EXISTS (SELECT 1 FROM managed_certificates)");
    any.step();
    if (any.integer(0) != 0) return {};
  }
  sql::statement insert(db_,
                        "INSERT INTO managed_certificates (id, common_name, profile_id, owner_id, "
                        "agent_id, issuer_id, team_id, status, tags, expires_at, updated_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  const std::string now = utc_timestamp();
  const std::string expiring = utc_timestamp(20);
  const auto add = [&](const std::string& id, const std::string& cn, std::string_view profile,
                       const std::string& owner, const std::string& agent, std::string_view issuer,
                       std::string_view team, std::string_view status, std::string_view tags) {
    insert.bind(1, id).bind(2, cn).bind(3, profile).bind(4, owner).bind(5, agent);
    insert.bind(6, issuer).bind(7, team).bind(8, status).bind(9, tags);
    insert.bind(10, expiring).bind(11, now).run();
  };

  for (std::uint64_t i = 1; i <= bulk; ++i) {
    // A few certificates in statuses that do not allow renewal, as a real fleet has.
    const std::string_view status = i % 400 != 0    ? "active"
                                    : (i / 400) % 2 ? "revoked"
                                                    : "archived";
    add(numbered("mc-bulk-%05llu", i), numbered("bulk-%05llu.loadtest.internal", i),
        "prof-standard-tls", numbered("o-platform-%02llu", i % 10),
        numbered("agent-%02llu", i % 20), "iss-local", "t-platform", status,
        R"({"batch":"bulk-renewal"})");
  }
  // Others the scenario must never touch: same team other issuer, same issuer other team, neither.
  constexpr std::uint64_t others = 300;
  for (std::uint64_t i = 1; i <= others; ++i) {
    const std::string_view team = i <= 100 ? "t-platform" : i <= 250 ? "t-payments" : "t-identity";
    const std::string_view issuer = i <= 100 ? "iss-digicert" : i <= 200 ? "iss-local" : "iss-acme";
    add(numbered("mc-other-%03llu", i), numbered("other-%03llu.example.internal", i),
        i % 2 ? "prof-standard-tls" : "prof-internal", numbered("o-other-%02llu", i % 5),
        numbered("agent-%02llu", i % 20), issuer, team, "active", R"({"batch":"other"})");
  }
  tx.commit();
  return {true, bulk, others};
}

sql::statement& store::matching_statement(unsigned mask) {
  auto& slot = matching_[mask];
  if (!slot) {
    std::string text = "SELECT id, status, issuer_id FROM managed_certificates WHERE 1";
    for (unsigned i = 0; i < 5; ++i)
      if (mask & (1u << i)) text += std::string(" AND ") + criteria_columns[i] + " = ?";
    if (mask & (1u << 5)) text += " AND id IN (SELECT value FROM json_each(?))";
    text += " ORDER BY id";
    slot = std::make_unique<sql::statement>(db_, text);
  }
  return *slot;
}

bulk_renewal_result store::bulk_renew(const criteria& c) {
  const unsigned mask = mask_of(c);
  const std::string* const fields[] = {&c.profile_id, &c.owner_id, &c.agent_id, &c.issuer_id,
                                       &c.team_id};
  const std::string ids_json = mask & (1u << 5) ? nlohmann::json(c.certificate_ids).dump() : "";
  std::lock_guard lock(mu_);
  sql::transaction tx(db_);

  struct match {
    std::string id, status, issuer_id;
  };
  std::vector<match> matches;
  {
    auto& select = matching_statement(mask);
    int index = 1;
    for (unsigned i = 0; i < 5; ++i)
      if (mask & (1u << i)) select.bind(index++, *fields[i]);
    if (mask & (1u << 5)) select.bind(index, ids_json);
    // Read everything before writing: updating rows under a running SELECT may revisit them.
    while (select.step())
      matches.push_back(
          {std::string(select.text(0)), std::string(select.text(1)), std::string(select.text(2))});
    select.reset();
  }

  bulk_renewal_result out;
  out.total_matched = matches.size();
  if (mask & (1u << 5)) {
    // An ID that names no certificate at all is an error; one that exists but fails another
    // criterion simply does not match.
    missing_ids_->bind(1, ids_json);
    while (missing_ids_->step()) {
      ++out.total_failed;
      out.errors.push_back({std::string(missing_ids_->text(0)), "certificate not found"});
    }
    missing_ids_->reset();
  }
  const std::string now = utc_timestamp();
  for (const auto& m : matches) {
    if (!renewable(m.status)) {
      ++out.total_skipped;
      continue;
    }
    const std::int64_t seq = last_job_seq_ + 1;
    std::string job_id = numbered("job-%010llu", static_cast<std::uint64_t>(seq));
    mark_renewing_->bind(1, m.id).bind(2, now).run();
    try {
      insert_job_->bind(1, seq).bind(2, job_id).bind(3, m.id).bind(4, m.issuer_id).bind(5, now);
      insert_job_->run();
    } catch (const sql::sqlite_error& e) {
      // A row the database refuses fails that certificate only; anything else fails the call.
      insert_job_->reset();
      if (e.code() != SQLITE_CONSTRAINT) throw;
      restore_status_->bind(1, m.id).bind(2, m.status).run();
      ++out.total_failed;
      out.errors.push_back({m.id, e.what()});
      continue;
    }
    last_job_seq_ = seq;
    ++out.total_enqueued;
    out.enqueued_jobs.push_back({m.id, std::move(job_id)});
  }
  tx.commit();
  return out;
}

store::drain_result store::complete_pending(std::uint32_t per_issuer) {
  std::lock_guard lock(mu_);
  sql::transaction tx(db_);
  std::vector<std::string> issuers;
  while (pending_issuers_->step())
    issuers.emplace_back(pending_issuers_->text(0));
  pending_issuers_->reset();

  drain_result out;
  const std::string now = utc_timestamp();
  const std::string renewed_until = utc_timestamp(90);
  std::vector<std::pair<std::string, std::string>> batch;  // job id, certificate id
  for (const auto& issuer : issuers) {
    batch.clear();
    pending_of_issuer_->bind(1, issuer).bind(2, static_cast<std::int64_t>(per_issuer));
    while (pending_of_issuer_->step())
      batch.emplace_back(pending_of_issuer_->text(0), pending_of_issuer_->text(1));
    pending_of_issuer_->reset();
    for (const auto& [job, certificate] : batch) {
      complete_job_->bind(1, job).bind(2, now).run();
      reactivate_->bind(1, certificate).bind(2, renewed_until).bind(3, now).run();
    }
    out.completed += batch.size();
  }
  count_pending_->step();
  out.still_pending = static_cast<std::uint64_t>(count_pending_->integer(0));
  count_pending_->reset();
  tx.commit();
  return out;
}

std::uint64_t store::pending_jobs() {
  std::lock_guard lock(mu_);
  count_pending_->step();
  const auto n = static_cast<std::uint64_t>(count_pending_->integer(0));
  count_pending_->reset();
  return n;
}

sql::statement& store::listing_statement(unsigned mask, bool count) {
  auto& slot = (count ? counting_ : listing_)[mask];
  if (!slot) {
    std::string text = count ? "SELECT COUNT(*)" : std::string("SELECT ") + certificate_columns;
    text += " FROM managed_certificates WHERE 1";
    for (unsigned i = 0; i < 3; ++i)
      if (mask & (1u << i)) text += std::string(" AND ") + filter_columns[i] + " = ?";
    if (!count) text += " ORDER BY id LIMIT ? OFFSET ?";
    slot = std::make_unique<sql::statement>(db_, text);
  }
  return *slot;
}

certificate_page store::list_certificates(const certificate_filter& f, std::uint64_t offset,
                                          std::uint32_t limit) {
  const std::string* const fields[] = {&f.team_id, &f.issuer_id, &f.status};
  unsigned mask = 0;
  for (unsigned i = 0; i < 3; ++i)
    if (!fields[i]->empty()) mask |= 1u << i;
  const auto bind_filters = [&](sql::statement& s) {
    int index = 1;
    for (unsigned i = 0; i < 3; ++i)
      if (mask & (1u << i)) s.bind(index++, *fields[i]);
    return index;
  };
  // Both reads under one hold of the mutex, so no write of this server comes between the count
  // and the page.
  std::lock_guard lock(mu_);
  certificate_page out;
  auto& count = listing_statement(mask, true);
  bind_filters(count);
  count.step();
  out.total = static_cast<std::uint64_t>(count.integer(0));
  count.reset();
  if (offset >= out.total) return out;  // past the end, so the offset also fits in an int64
  auto& page = listing_statement(mask, false);
  const int index = bind_filters(page);
  page.bind(index, std::int64_t{limit}).bind(index + 1, static_cast<std::int64_t>(offset));
  while (page.step())
    out.certificates.push_back(read_certificate(page));
  page.reset();
  return out;
}

std::optional<certificate> store::find_certificate(std::string_view id) {
  std::lock_guard lock(mu_);
  std::optional<certificate> out;
  find_certificate_->bind(1, id);
  if (find_certificate_->step()) out = read_certificate(*find_certificate_);
  find_certificate_->reset();
  return out;
}

std::optional<job> store::find_job(std::string_view id) {
  std::lock_guard lock(mu_);
  std::optional<job> out;
  find_job_->bind(1, id);
  if (find_job_->step())
    out = job{std::string(find_job_->text(0)), std::string(find_job_->text(1)),
              std::string(find_job_->text(2)), std::string(find_job_->text(3)),
              std::string(find_job_->text(4)), std::string(find_job_->text(5))};
  find_job_->reset();
  return out;
}

}  // namespace certctl_target
