// The certctl-compatible target: its contract over real HTTPS, the read endpoints (list, get,
// job polling), the flagship scenario's load against it with the database checked afterwards, a
// restart on the same database, and the binary's command line and signals.
#include <pacer/pacer.hpp>

#include "certctl_target/server.hpp"

#include <sqlite3.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <pacer/catch2.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

namespace {

const pacer::secret token("load-test-token");
constexpr const char* bulk_renew_path = "/api/v1/certificates/bulk-renew";

// A fresh directory for one test's files, removed afterwards. Declared before the servers that
// use it, so it outlives them.
struct scratch_dir {
  fs::path path;
  explicit scratch_dir(const std::string& name)
      : path(fs::temp_directory_path() /
             ("pacer-certctl-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A small fleet and a fast scheduler keep the tests short.
certctl_target::config small_target(const fs::path& dir, std::uint32_t seed = 500) {
  certctl_target::config c;
  c.port = 0;
  c.db = dir / "certctl.db";
  c.seed = seed;
  c.threads = 2;
  c.scheduler_tick = 10ms;
  return c;
}

// Read access to the target's database from outside, as an operator's shell would have.
class db_reader {
 public:
  explicit db_reader(const fs::path& file) {
    REQUIRE(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~db_reader() { sqlite3_close(db_); }
  db_reader(const db_reader&) = delete;
  db_reader& operator=(const db_reader&) = delete;

  // Every row, columns joined by '|'.
  std::vector<std::string> rows(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (i > 0) row += '|';
        const auto* text = sqlite3_column_text(stmt, i);
        if (text != nullptr) row += reinterpret_cast<const char*>(text);
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    REQUIRE(rc == SQLITE_DONE);
    return out;
  }
  long long number(const std::string& sql) const { return std::stoll(rows(sql).at(0)); }
  void exec(const std::string& sql) const {
    REQUIRE(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  }

 private:
  sqlite3* db_ = nullptr;
};

struct exchange {
  int status = 0;
  std::string body;
  std::string request_id;  // the X-Request-ID response header
  std::string allow;       // the Allow response header
};

// Sends every request once, concurrently, through pacer (one single-iteration scenario each),
// trusting the target's own certificate; returns the responses by name.
std::map<std::string, exchange> send_all(
    const std::vector<std::pair<std::string, pacer::http::request>>& requests,
    const fs::path& ca_file) {
  std::mutex mu;
  std::map<std::string, exchange> out;
  pacer::test_plan plan;
  for (const auto& [name, req] : requests) {
    plan.add(pacer::scenario(
                 name, pacer::constant_arrival_rate(1, 1s).duration(1s).pre_allocated_vus(1), req)
                 .on_response([&mu, &out, name = name](const pacer::http::response_view& r,
                                                       pacer::recorder&) {
                   exchange e{r.status(), std::string(r.body()), {}, {}};
                   std::string_view id;
                   if (r.header("X-Request-ID", id)) e.request_id = id;
                   std::string_view allow;
                   if (r.header("Allow", allow)) e.allow = allow;
                   std::lock_guard lock(mu);
                   out[name] = std::move(e);
                 }));
  }
  plan.options.threads = 1;
  plan.options.tls.ca_file = ca_file.string();
  const auto result = pacer::run(plan);
  REQUIRE(result.totals().completed == requests.size());
  return out;
}

pacer::http::request renew(const certctl_target::server& s, std::string body) {
  return pacer::http::post(s.url() + bulk_renew_path, std::move(body))
      .header("Content-Type", "application/json")
      .bearer(token);
}

std::vector<std::string> keys_of(const ordered_json& j) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items())
    keys.push_back(k);
  return keys;
}

void check_error_body(const exchange& e, int status, const std::string& text) {
  INFO(e.body);
  CHECK(e.status == status);
  const auto body = ordered_json::parse(e.body);
  CHECK(keys_of(body) == std::vector<std::string>{"error", "message", "request_id"});
  CHECK(body["error"] == text);
  CHECK(body["request_id"] == e.request_id);
  CHECK_FALSE(e.request_id.empty());
}

}  // namespace

TEST_CASE("the target answers every status of the bulk-renew contract over HTTPS",
          "[certctl][engine]") {
  const scratch_dir scratch("contract");
  const fs::path& dir = scratch.path;
  certctl_target::server target(small_target(dir));
  REQUIRE(target.seeded().seeded);
  REQUIRE(target.created_certificate());
  const std::string url = target.url() + bulk_renew_path;
  REQUIRE(url.rfind("https://127.0.0.1:", 0) == 0);

  // The calls that enqueue touch disjoint sets of certificates, so they may run concurrently.
  auto responses = send_all(
      {
          {"envelope", renew(target, R"({"team_id":"t-platform","issuer_id":"iss-local"})")},
          {"and", renew(target, R"({"team_id":"t-payments","issuer_id":"iss-local"})")},
          {"nothing", renew(target, R"({"team_id":"t-nobody"})")},
          {"ids", renew(target, R"({"certificate_ids":["mc-other-001","mc-other-999"]})")},
          {"bad_json", renew(target, R"({"team_id":)")},
          {"not_object", renew(target, R"(["t-platform"])")},
          {"wrong_type", renew(target, R"({"team_id":7})")},
          {"no_criteria", renew(target, "{}")},
          {"empty_criteria", renew(target, R"({"team_id":"","certificate_ids":[]})")},
          {"no_token", pacer::http::post(url, R"({"team_id":"t-platform"})")},
          {"wrong_token", pacer::http::post(url, R"({"team_id":"t-platform"})").bearer("guess")},
          {"get", pacer::http::get(url).bearer(token)},
          {"delete", pacer::http::del(url).bearer(token)},
      },
      target.cert_file());

  {
    INFO("200: the envelope in certctl's field order, empty lists omitted");
    const auto& e = responses["envelope"];
    REQUIRE(e.status == 200);
    const auto body = ordered_json::parse(e.body);
    CHECK(keys_of(body) == std::vector<std::string>{"total_matched", "total_enqueued",
                                                    "total_skipped", "total_failed",
                                                    "enqueued_jobs"});
    // 500 seeded; mc-bulk-00400 is revoked, so skipped silently.
    CHECK(body["total_matched"] == 500);
    CHECK(body["total_enqueued"] == 499);
    CHECK(body["total_skipped"] == 1);
    CHECK(body["total_failed"] == 0);
    REQUIRE(body["enqueued_jobs"].size() == 499);
    CHECK(body["enqueued_jobs"][0]["certificate_id"] == "mc-bulk-00001");
    CHECK(body["enqueued_jobs"][0]["job_id"].get<std::string>().rfind("job-", 0) == 0);

    const auto none = ordered_json::parse(responses["nothing"].body);
    CHECK(responses["nothing"].status == 200);
    CHECK(keys_of(none) == std::vector<std::string>{"total_matched", "total_enqueued",
                                                    "total_skipped", "total_failed"});
    CHECK(none["total_matched"] == 0);
  }
  {
    INFO("200: criteria combine with AND");
    const auto body = ordered_json::parse(responses["and"].body);
    CHECK(body["total_matched"] == 100);
    CHECK(body["total_enqueued"] == 100);
    for (const auto& job : body["enqueued_jobs"]) {
      const auto id = job["certificate_id"].get<std::string>();
      CHECK(id >= "mc-other-101");
      CHECK(id <= "mc-other-200");
    }
  }
  {
    INFO("200: an unknown certificate ID is an error entry, the others still renew");
    const auto body = ordered_json::parse(responses["ids"].body);
    CHECK(body["total_matched"] == 1);
    CHECK(body["total_enqueued"] == 1);
    CHECK(body["total_failed"] == 1);
    CHECK(body["errors"] ==
          ordered_json::parse(
              R"([{"certificate_id":"mc-other-999","error":"certificate not found"}])"));
  }
  {
    INFO("400: Invalid request body for bad JSON or a wrong shape");
    for (auto name : {"bad_json", "not_object", "wrong_type"}) {
      INFO(name);
      check_error_body(responses[name], 400, "Bad Request");
      CHECK(nlohmann::json::parse(responses[name].body)["message"] == "Invalid request body");
    }
  }
  {
    INFO("400: no criterion, with the accepted fields listed");
    for (auto name : {"no_criteria", "empty_criteria"}) {
      INFO(name);
      check_error_body(responses[name], 400, "Bad Request");
      const auto message =
          nlohmann::json::parse(responses[name].body)["message"].get<std::string>();
      for (auto field :
           {"profile_id", "owner_id", "agent_id", "issuer_id", "team_id", "certificate_ids"})
        CHECK_THAT(message, Catch::Contains(field));
    }
  }
  {
    INFO("401: a missing or wrong bearer token");
    check_error_body(responses["no_token"], 401, "Unauthorized");
    check_error_body(responses["wrong_token"], 401, "Unauthorized");
  }
  {
    INFO("405: any method but POST");
    check_error_body(responses["get"], 405, "Method Not Allowed");
    check_error_body(responses["delete"], 405, "Method Not Allowed");
  }
}

TEST_CASE("the target answers 500 when the store fails, and changes nothing", "[certctl][engine]") {
  const scratch_dir scratch("store-failure");
  const fs::path& dir = scratch.path;
  certctl_target::server target(small_target(dir, 50));
  db_reader db(dir / "certctl.db");
  const auto before =
      db.rows("SELECT id, status, updated_at FROM managed_certificates ORDER BY id");
  // A store the server can no longer write its jobs to.
  db.exec("DROP TABLE jobs");

  auto responses =
      send_all({{"renew", renew(target, R"({"team_id":"t-platform"})")}}, target.cert_file());
  check_error_body(responses["renew"], 500, "Internal Server Error");
  CHECK_THAT(nlohmann::json::parse(responses["renew"].body)["message"].get<std::string>(),
             Catch::StartsWith("Bulk renewal failed: "));
  // The transaction was rolled back whole: no certificate was left marked as renewing.
  CHECK(db.rows("SELECT id, status, updated_at FROM managed_certificates ORDER BY id") == before);
}

TEST_CASE("the flagship scenario against the target: jobs match the envelopes, others untouched",
          "[certctl][engine]") {
  const scratch_dir scratch("flagship");
  const fs::path& dir = scratch.path;
  certctl_target::server target(small_target(dir));
  db_reader db(dir / "certctl.db");
  const std::string others_sql =
      "SELECT id, status, updated_at, expires_at FROM managed_certificates "
      "WHERE team_id != 't-platform' OR issuer_id != 'iss-local' ORDER BY id";
  const auto others_before = db.rows(others_sql);
  REQUIRE(others_before.size() == 300);

  // examples/bulk_renewal.cpp, shortened to 2 s, plus the envelope's counts as custom metrics.
  pacer::test_plan plan;
  auto enqueued = plan.counter("certs_enqueued");
  auto matched = plan.counter("certs_matched");
  plan.add(pacer::scenario(
               "bulk_renewal",
               pacer::constant_arrival_rate(5, 1s).duration(2s).pre_allocated_vus(10).max_vus(30),
               pacer::http::post(target.url() + bulk_renew_path)
                   .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
                   .bearer(token))
               .tag("scenario", "bulk_renewal")
               .check("bulk-renew 2xx", pacer::status_in(200, 299))
               .on_response([=](const pacer::http::response_view& r, pacer::recorder& rec) {
                 const auto body = nlohmann::json::parse(r.body(), nullptr, false);
                 if (r.status() != 200 || !body.is_object()) return;
                 rec.add(enqueued, body.value("total_enqueued", 0));
                 rec.add(matched, body.value("total_matched", 0));
               }));
  plan.threshold("http_req_duration{scenario:bulk_renewal}", {"p(99)<5000", "p(95)<2000"});
  plan.threshold("http_req_failed{scenario:bulk_renewal}", {"rate<0.01"});
  plan.options.tls.insecure_skip_verify = true;
  const auto result = pacer::run(plan);

  CHECK_THAT(pacer::summary(result), pacer::catch2::passes_thresholds());
  CHECK(result.count("http_reqs") == 10);
  REQUIRE(result.checks.size() == 1);
  CHECK(result.checks[0].passes == 10);
  CHECK(result.count("certs_matched") == 10 * 500);
  // The first call alone enqueues every renewable certificate.
  CHECK(result.count("certs_enqueued") >= 499);

  // Every job the envelopes reported is in the database, and no other.
  CHECK(db.number("SELECT COUNT(*) FROM jobs") == result.count("certs_enqueued"));
  CHECK(db.number("SELECT COUNT(*) FROM jobs WHERE type != 'renewal'") == 0);
  CHECK(db.number("SELECT COUNT(*) FROM jobs j JOIN managed_certificates c "
                  "ON c.id = j.certificate_id "
                  "WHERE c.team_id != 't-platform' OR c.issuer_id != 'iss-local'") == 0);
  CHECK(db.rows(others_sql) == others_before);

  // The scheduler completes every job and returns the certificates to active.
  REQUIRE(target.wait_until_drained(10s));
  CHECK(db.number("SELECT COUNT(*) FROM jobs WHERE status != 'completed'") == 0);
  CHECK(db.rows("SELECT status, COUNT(*) FROM managed_certificates WHERE id LIKE 'mc-bulk-%' "
                "GROUP BY status ORDER BY status") ==
        std::vector<std::string>{"active|499", "revoked|1"});
  CHECK(db.rows(others_sql) == others_before);
}

TEST_CASE("committed jobs survive a stop and a restart on the same database", "[certctl][engine]") {
  const scratch_dir scratch("restart");
  const fs::path& dir = scratch.path;
  auto cfg = small_target(dir, 200);
  // A scheduler that does not get to run again, so the jobs are still pending at the stop.
  cfg.scheduler_tick = 1h;
  std::set<std::string> reported;
  std::string cert_pem;
  {
    certctl_target::server first(cfg);
    cert_pem = read_text(first.cert_file());
    auto responses = send_all(
        {
            {"team", renew(first, R"({"team_id":"t-platform","issuer_id":"iss-local"})")},
            {"ids", renew(first, R"({"certificate_ids":["mc-other-001","mc-other-002"]})")},
            {"owner", renew(first, R"({"owner_id":"o-other-03","team_id":"t-payments"})")},
        },
        first.cert_file());
    for (const auto& [name, e] : responses) {
      INFO(name << ": " << e.body);
      REQUIRE(e.status == 200);
      const auto body = nlohmann::json::parse(e.body);
      for (const auto& job : body["enqueued_jobs"])
        reported.insert(job["job_id"].get<std::string>());
    }
    first.stop();  // what SIGINT does in the binary
  }
  REQUIRE(reported.size() == 200 + 2 + 30);

  {
    db_reader db(cfg.db);
    const auto rows = db.rows("SELECT id FROM jobs WHERE status = 'pending'");
    CHECK(std::set<std::string>(rows.begin(), rows.end()) == reported);
  }

  cfg.scheduler_tick = 10ms;
  cfg.seed = 999;  // ignored: the database is not empty
  certctl_target::server second(cfg);
  CHECK_FALSE(second.seeded().seeded);
  CHECK_FALSE(second.created_certificate());
  CHECK(read_text(second.cert_file()) == cert_pem);
  // The jobs left pending are completed by the new scheduler.
  REQUIRE(second.wait_until_drained(10s));
  db_reader db(cfg.db);
  CHECK(db.number("SELECT COUNT(*) FROM jobs WHERE status = 'completed'") == 232);
  CHECK(db.number("SELECT COUNT(*) FROM managed_certificates") == 200 + 300);
  CHECK(db.number("SELECT COUNT(*) FROM managed_certificates "
                  "WHERE status = 'renewal_in_progress'") == 0);
}

namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;

// One keep-alive HTTPS connection to the target, trusting its certificate, sending the default
// token. For polling: a pacer run per request (send_all) lasts its scenario's whole second.
class blocking_client {
 public:
  explicit blocking_client(const certctl_target::server& target)
      : tls_(trusting(target.cert_file())), stream_(ioc_, tls_) {
    stream_.next_layer().connect({net::ip::make_address_v4("127.0.0.1"), target.port()});
    stream_.handshake(ssl::stream_base::client);
  }

  exchange request(beast::http::verb method, const std::string& target, std::string body = {}) {
    beast::http::request<beast::http::string_body> req{method, target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    req.set(beast::http::field::authorization, "Bearer " + certctl_target::config{}.token);
    if (!body.empty()) req.set(beast::http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    beast::http::write(stream_, req);
    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(64u << 20);
    beast::http::read(stream_, buffer_, parser);
    auto& res = parser.get();
    return {static_cast<int>(res.result_int()), std::move(res.body()),
            std::string(res["X-Request-ID"]), std::string(res["Allow"])};
  }
  ordered_json get_json(const std::string& target) {
    const auto e = request(beast::http::verb::get, target);
    INFO(target << ": " << e.body);
    REQUIRE(e.status == 200);
    return ordered_json::parse(e.body);
  }

 private:
  static ssl::context trusting(const fs::path& cert_file) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(cert_file.string());
    ctx.set_verify_mode(ssl::verify_peer);
    return ctx;
  }

  net::io_context ioc_;
  ssl::context tls_;
  ssl::stream<net::ip::tcp::socket> stream_;
  beast::flat_buffer buffer_;
};

const std::vector<std::string> certificate_fields{
    "id",         "common_name", "owner_id", "team_id",    "issuer_id",
    "profile_id", "agent_id",    "status",   "expires_at", "updated_at"};

std::vector<std::string> ids_of(const ordered_json& page) {
  std::vector<std::string> ids;
  for (const auto& c : page["data"])
    ids.push_back(c["id"].get<std::string>());
  return ids;
}

}  // namespace

TEST_CASE("the target lists certificates by page and filter, and reads one", "[certctl][engine]") {
  const scratch_dir scratch("read");
  const fs::path& dir = scratch.path;
  certctl_target::server target(small_target(dir));
  db_reader db(dir / "certctl.db");
  const auto platform_ids =
      db.rows("SELECT id FROM managed_certificates WHERE team_id = 't-platform' ORDER BY id");
  // 500 of the bulk-renewal fleet and 100 others (issuer iss-digicert).
  REQUIRE(platform_ids.size() == 600);

  const std::string list = target.url() + "/api/v1/certificates";
  const auto get = [&](const std::string& query) {
    return pacer::http::get(list + query).bearer(token);
  };
  auto responses = send_all(
      {
          {"page1", get("?team_id=t-platform&per_page=250")},
          {"page2", get("?team_id=t-platform&page=2&per_page=250")},
          {"page3", get("?team_id=t-platform&page=3&per_page=250")},
          {"past_end", get("?team_id=t-platform&page=4&per_page=250")},
          {"defaults", get("?team_id=t-platform")},
          {"empty_values", get("?team_id=t-platform&page=&per_page=")},
          {"largest", get("?per_page=500")},
          {"and", get("?team_id=t-platform&issuer_id=iss-digicert&per_page=1")},
          {"status", get("?team_id=t-platform&status=revoked")},
          {"escaped", get("?team_id=t%2Dplatform&issuer_id=iss%2dlocal&per_page=1")},
          {"huge_page", get("?page=18446744073709551615")},
          {"page_overflow", get("?page=18446744073709551616")},
          {"page_zero", get("?page=0")},
          {"page_negative", get("?page=-1")},
          {"page_text", get("?page=two")},
          {"per_page_zero", get("?per_page=0")},
          {"per_page_over", get("?per_page=501")},
          {"one", pacer::http::get(list + "/mc-bulk-00001").bearer(token)},
          {"missing", pacer::http::get(list + "/mc-bulk-99999").bearer(token)},
          {"missing_job",
           pacer::http::get(target.url() + "/api/v1/jobs/job-9999999999").bearer(token)},
          {"list_no_token", pacer::http::get(list)},
          {"one_wrong_token", pacer::http::get(list + "/mc-bulk-00001").bearer("guess")},
          {"job_no_token", pacer::http::get(target.url() + "/api/v1/jobs/job-0000000001")},
          {"post_no_token", pacer::http::post(list, "{}")},
          {"post_list", pacer::http::post(list, "{}").bearer(token)},
          {"delete_one", pacer::http::del(list + "/mc-bulk-00001").bearer(token)},
          {"post_job",
           pacer::http::post(target.url() + "/api/v1/jobs/job-0000000001", "{}").bearer(token)},
      },
      target.cert_file());
  const auto json_of = [&](const std::string& name) {
    INFO(name << ": " << responses[name].body);
    REQUIRE(responses[name].status == 200);
    return ordered_json::parse(responses[name].body);
  };

  {
    INFO("200: certctl's paged envelope; pages of one filter do not overlap and cover it");
    std::vector<std::string> seen;
    for (auto name : {"page1", "page2", "page3"}) {
      const auto page = json_of(name);
      CHECK(keys_of(page) == std::vector<std::string>{"data", "total", "page", "per_page"});
      CHECK(page["total"] == 600);
      CHECK(page["per_page"] == 250);
      for (const auto& id : ids_of(page))
        seen.push_back(id);
    }
    CHECK(json_of("page1")["page"] == 1);
    CHECK(json_of("page3")["page"] == 3);
    CHECK(json_of("page3")["data"].size() == 100);
    // In id order across the pages, each certificate once: the pages are disjoint and complete.
    CHECK(seen == platform_ids);

    const auto past_end = json_of("past_end");
    CHECK(past_end["total"] == 600);
    CHECK(past_end["data"] == ordered_json::array());
    CHECK(json_of("huge_page")["data"] == ordered_json::array());
  }
  {
    INFO("200: per_page defaults to 50 and goes up to 500; an empty value is the default");
    for (auto name : {"defaults", "empty_values"}) {
      const auto page = json_of(name);
      CHECK(page["page"] == 1);
      CHECK(page["per_page"] == 50);
      CHECK(ids_of(page) ==
            std::vector<std::string>(platform_ids.begin(), platform_ids.begin() + 50));
    }
    const auto largest = json_of("largest");
    CHECK(largest["total"] == 800);
    CHECK(largest["per_page"] == 500);
    CHECK(largest["data"].size() == 500);
  }
  {
    INFO("200: filters combine with AND and are URL-decoded");
    CHECK(json_of("and")["total"] == 100);
    CHECK(ids_of(json_of("and")) == std::vector<std::string>{"mc-other-001"});
    // Of the 500 seeded, mc-bulk-00400 is revoked.
    CHECK(json_of("status")["total"] == 1);
    CHECK(ids_of(json_of("status")) == std::vector<std::string>{"mc-bulk-00400"});
    CHECK(json_of("escaped")["total"] == 500);
  }
  {
    INFO("400: a page or per_page that is not a whole number in range");
    for (auto name : {"page_zero", "page_negative", "page_text", "page_overflow", "per_page_zero",
                      "per_page_over"}) {
      INFO(name);
      check_error_body(responses[name], 400, "Bad Request");
    }
    CHECK(nlohmann::json::parse(responses["page_text"].body)["message"] ==
          "page must be a positive integer");
    CHECK(nlohmann::json::parse(responses["per_page_over"].body)["message"] ==
          "per_page must be an integer from 1 to 500");
  }
  {
    INFO("200: one certificate, the same object as in the list");
    const auto one = json_of("one");
    CHECK(keys_of(one) == certificate_fields);
    CHECK(one == json_of("page1")["data"][0]);
    CHECK(one["id"] == "mc-bulk-00001");
    CHECK(one["common_name"] == "bulk-00001.loadtest.internal");
    CHECK(one["owner_id"] == "o-platform-01");
    CHECK(one["team_id"] == "t-platform");
    CHECK(one["issuer_id"] == "iss-local");
    CHECK(one["profile_id"] == "prof-standard-tls");
    CHECK(one["agent_id"] == "agent-01");
    CHECK(one["status"] == "active");
    CHECK_THAT(
        one["expires_at"].get<std::string>(),
        Catch::Matches("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z"));
  }
  {
    INFO("404: an unknown certificate or job");
    check_error_body(responses["missing"], 404, "Not Found");
    CHECK(nlohmann::json::parse(responses["missing"].body)["message"] == "certificate not found");
    check_error_body(responses["missing_job"], 404, "Not Found");
    CHECK(nlohmann::json::parse(responses["missing_job"].body)["message"] == "job not found");
  }
  {
    INFO("401 before anything else, then 405 with Allow: GET for another method");
    for (auto name : {"list_no_token", "one_wrong_token", "job_no_token", "post_no_token"}) {
      INFO(name);
      check_error_body(responses[name], 401, "Unauthorized");
    }
    for (auto name : {"post_list", "delete_one", "post_job"}) {
      INFO(name);
      check_error_body(responses[name], 405, "Method Not Allowed");
      CHECK(responses[name].allow == "GET");
    }
  }
}

TEST_CASE("a client polling a bulk-renew job sees it pending, then completed",
          "[certctl][engine]") {
  const scratch_dir scratch("poll");
  const fs::path& dir = scratch.path;
  auto cfg = small_target(dir);
  // Two jobs of the issuer per 10 ms tick: the last of 499 stays pending for at least 2.4 s
  // after the enqueue, far longer than the next request takes.
  cfg.scheduler_concurrency = 2;
  certctl_target::server target(cfg);
  blocking_client client(target);

  const auto before = client.get_json("/api/v1/certificates/mc-bulk-00500");
  const auto renewed = client.request(beast::http::verb::post, bulk_renew_path,
                                      R"({"team_id":"t-platform","issuer_id":"iss-local"})");
  REQUIRE(renewed.status == 200);
  const auto jobs = ordered_json::parse(renewed.body)["enqueued_jobs"];
  REQUIRE(jobs.size() == 499);
  const auto last = jobs.back();
  REQUIRE(last["certificate_id"] == "mc-bulk-00500");
  const std::string job_path = "/api/v1/jobs/" + last["job_id"].get<std::string>();

  const auto pending = client.get_json(job_path);
  CHECK(keys_of(pending) ==
        std::vector<std::string>{"id", "type", "certificate_id", "status", "created_at"});
  CHECK(pending["id"] == last["job_id"]);
  CHECK(pending["type"] == "renewal");
  CHECK(pending["certificate_id"] == "mc-bulk-00500");
  REQUIRE(pending["status"] == "pending");
  CHECK(client.get_json("/api/v1/certificates/mc-bulk-00500")["status"] == "renewal_in_progress");
  // Every job the envelope reported is readable, the first one included.
  CHECK(client.get_json("/api/v1/jobs/" + jobs[0]["job_id"].get<std::string>())["certificate_id"] ==
        "mc-bulk-00001");

  // Poll as a load-test client would, with a pause between requests and a deadline.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  ordered_json job = pending;
  int polls = 0;
  while (job["status"] == "pending" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    job = client.get_json(job_path);
    ++polls;
  }
  INFO(polls << " polls; last: " << job.dump());
  REQUIRE(job["status"] == "completed");
  CHECK(keys_of(job) == std::vector<std::string>{"id", "type", "certificate_id", "status",
                                                 "completed_at", "created_at"});
  CHECK(job["created_at"] == pending["created_at"]);
  CHECK(job["completed_at"].get<std::string>() >= job["created_at"].get<std::string>());
  // Completed stays completed, and the certificate is active again, renewed for longer.
  CHECK(client.get_json(job_path) == job);
  const auto after = client.get_json("/api/v1/certificates/mc-bulk-00500");
  CHECK(after["status"] == "active");
  CHECK(after["expires_at"].get<std::string>() > before["expires_at"].get<std::string>());
}

namespace {

// A running certctl-target process whose stdout is read through a pipe.
struct target_process {
  pid_t pid = -1;
  int out = -1;

  explicit target_process(const std::vector<std::string>& args, const fs::path& err_file) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], 1);
      const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(err, 2);
      ::close(fds[0]);
      std::vector<char*> argv{const_cast<char*>(CERTCTL_TARGET_BIN)};
      for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(CERTCTL_TARGET_BIN, argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out = fds[0];
  }
  ~target_process() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::close(out);
  }

  // Everything up to the first newline, or to end of file.
  std::string read_line() const {
    std::string line;
    char c;
    while (::read(out, &c, 1) == 1 && c != '\n')
      line += c;
    return line;
  }
  int stop(int signal) {
    ::kill(pid, signal);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  int wait_exit() { return stop(0); }
};

}  // namespace

TEST_CASE("certctl-target announces its URL, and stops cleanly on SIGINT and SIGTERM",
          "[certctl][process]") {
  const scratch_dir scratch("process");
  const fs::path& dir = scratch.path;
  const auto db = dir / "p.db";
  for (int signal : {SIGINT, SIGTERM}) {
    for (bool tls : {true, false}) {
      INFO("signal " << signal << (tls ? " https" : " http"));
      std::vector<std::string> args{"--port", "0", "--db", db.string(), "--seed", "50"};
      if (!tls) args.push_back("--plain-http");
      target_process p(args, dir / "err.txt");
      const std::string line = p.read_line();
      CHECK_THAT(line, Catch::Matches(std::string("listening on ") + (tls ? "https" : "http") +
                                      "://127\\.0\\.0\\.1:[0-9]+"));
      CHECK(p.stop(signal) == 0);
      // The last connection closed: the write-ahead log was checkpointed into the file.
      CHECK_FALSE(fs::exists(db.string() + "-wal"));
    }
  }
  CHECK(fs::exists(db.string() + ".cert.pem"));
  CHECK(fs::exists(db.string() + ".key.pem"));
  CHECK((fs::status(db.string() + ".key.pem").permissions() & fs::perms::others_read) ==
        fs::perms::none);
}

TEST_CASE("certctl-target refuses bad flags, a busy port and an unusable database",
          "[certctl][process]") {
  const scratch_dir scratch("refusals");
  const fs::path& dir = scratch.path;
  const auto err = dir / "err.txt";
  const auto exit_of = [&](const std::vector<std::string>& args) {
    target_process p(args, err);
    CHECK(p.read_line().empty());  // nothing announced
    return p.wait_exit();
  };

  CHECK(exit_of({"--port", "http"}) == 2);
  CHECK_THAT(read_text(err), Catch::Contains("invalid --port: \"http\" (expected a port number"));
  CHECK(exit_of({"--seed"}) == 2);
  CHECK_THAT(read_text(err), Catch::Contains("missing value after --seed"));
  CHECK(exit_of({"--verbose"}) == 2);
  CHECK_THAT(read_text(err), Catch::Contains("unknown option \"--verbose\""));

  certctl_target::server busy(small_target(dir, 10));
  CHECK(exit_of({"--port", std::to_string(busy.port()), "--db", (dir / "other.db").string()}) == 1);
  CHECK_THAT(read_text(err),
             Catch::Contains("--port " + std::to_string(busy.port()) + ": address already in use"));
  CHECK_FALSE(fs::exists(dir / "other.db"));

  CHECK(exit_of({"--port", "0", "--db", (dir / "missing" / "x.db").string()}) == 1);
  CHECK_THAT(read_text(err), Catch::Contains("--db " + (dir / "missing" / "x.db").string()));
  std::ofstream(dir / "text.db") << "not a database\n";
  CHECK(exit_of({"--port", "0", "--db", (dir / "text.db").string()}) == 1);
  CHECK_THAT(read_text(err), Catch::Contains("file is not a database"));
}
