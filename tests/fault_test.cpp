// The fault-injection matrix: a server that misbehaves in each way we know of, and what pacer
// makes of it. Every fault must end as failed requests with the k6 error code for it, every
// scheduled iteration must be accounted for, and the run must return on its own.
#include <pacer/pacer.hpp>

#include "support/fault_server.hpp"

#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

using namespace std::chrono_literals;
using pacer_test::fault;
using pacer_test::fault_server;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::steady_clock;

namespace {

// The hang detector: a run must return within duration + graceful stop + request timeout, plus
// this margin for setup and teardown. It is not a performance threshold.
constexpr nanoseconds hang_margin = 2s;

struct timed_result {
  pacer::run_result result;
  nanoseconds took{};
};

// Runs `plan` with one scenario named "fault", tagging its http_reqs and http_req_failed by
// `code` (thresholds that always pass make those submetrics exist).
timed_result run_timed(pacer::test_plan& plan, int code) {
  const std::string tag = "{error_code:" + std::to_string(code) + "}";
  plan.threshold("http_reqs" + tag, {"count>=0"});
  plan.threshold("http_req_failed" + tag, {"rate>=0"});
  plan.options.threads = 1;
  const auto start = steady_clock::now();
  auto result = pacer::run(plan);
  return {std::move(result), steady_clock::now() - start};
}

std::uint64_t errors(const pacer::run_result& r, int code) {
  auto it = r.failed_requests_by_error_code.find(code);
  return it == r.failed_requests_by_error_code.end() ? 0 : it->second;
}

// Every scheduled iteration ends as exactly one of completed, interrupted or dropped.
void require_accounted(const pacer::run_result& r) {
  REQUIRE_FALSE(r.scenarios.empty());
  for (const auto& s : r.scenarios) {
    INFO("scenario " << s.name);
    REQUIRE(s.completed + s.interrupted + s.dropped == s.scheduled);
  }
}

// Exactly `n` failed requests, all with `code`: in the run's count by code, in the error_code
// tag of http_reqs and http_req_failed, and in http_req_failed itself.
void require_failures(const pacer::run_result& r, int code, std::uint64_t n) {
  const std::string tag = "{error_code:" + std::to_string(code) + "}";
  CHECK(r.failed_requests_by_error_code == std::map<int, std::uint64_t>{{code, n}});
  CHECK(r.count("http_reqs" + tag) == static_cast<double>(n));
  const auto* failed = r.find("http_req_failed");
  REQUIRE(failed != nullptr);
  CHECK(failed->passes == n);
  const auto* failed_tagged = r.find("http_req_failed" + tag);
  REQUIRE(failed_tagged != nullptr);
  CHECK(failed_tagged->passes == n);
  CHECK(failed_tagged->total == n);
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

struct fault_case {
  const char* name;
  fault mode;
  int code;
  milliseconds timeout = 1000ms;
  pacer::http::response_limits limits{};
};

// 1300 for an expired certificate is pacer's documented choice; k6 reports it as 1000.
const fault_case fault_cases[] = {
    {"connection refused", fault::refuse, 1212},
    {"accepted, then closed at once", fault::close_at_once, 1000},
    {"reset in the middle of the headers", fault::reset_in_headers, 1220},
    {"reset in the middle of the body", fault::reset_in_body, 1220},
    {"malformed status line", fault::malformed_status, 1000},
    {"invalid chunked encoding", fault::bad_chunked, 1000},
    {"Content-Length longer than the body, then close", fault::short_body, 1000},
    {"headers over the header limit", fault::huge_headers, 1000, 1000ms, {.header_bytes = 4096}},
    {"body over the body limit", fault::huge_body, 1000, 1000ms, {.body_bytes = 64 * 1024}},
    {"answer after the request timeout", fault::late_answer, 1050},
    // Bytes at 0 s and 1 s: an idle timeout of 1.5 s would never fire, a request timeout does.
    {"one byte a second", fault::trickle, 1050, 1500ms},
    {"TLS certificate for another name", fault::tls_wrong_name, 1311},
    {"TLS certificate expired", fault::tls_expired, 1300},
    {"plain HTTP on the TLS port", fault::plain_on_tls_port, 1301},
};

}  // namespace

TEST_CASE("every server fault ends as a classified, counted failure", "[fault]") {
  for (const auto& fc : fault_cases) {
    DYNAMIC_SECTION(fc.name) {
      fault_server server(fc.mode);
      // Four iterations, each on a VU of its own, even when every request waits for its timeout.
      const auto duration = 1s, graceful = 2s;
      pacer::test_plan plan;
      plan.add(pacer::scenario(
          "fault",
          pacer::constant_arrival_rate(4, 1s).duration(duration).pre_allocated_vus(4).graceful_stop(
              graceful),
          pacer::http::get(server.url()).timeout(fc.timeout)));
      plan.options.limits = fc.limits;
      if (!server.ca_pem_path().empty()) plan.options.tls.add_ca_file(server.ca_pem_path());
      auto [r, took] = run_timed(plan, fc.code);
      INFO("took " << std::chrono::duration_cast<milliseconds>(took).count() << " ms");

      CHECK(took <= duration + graceful + fc.timeout + hang_margin);
      require_accounted(r);
      REQUIRE(r.scenarios.size() == 1);
      const auto& s = r.scenarios.front();
      CHECK(s.scheduled == 4);
      CHECK(s.completed == 4);  // a failed request still completes its iteration
      require_failures(r, fc.code, 4);
      // Each failure is one connection: a broken one is never reused, nor a request resent.
      CHECK(server.connections() == (fc.mode == fault::refuse ? 0u : 4u));
      if (fc.mode == fault::trickle) {
        // The answer had started when the timeout struck.
        CHECK(r.find("http_req_receiving")->trend.max() > 0);
        CHECK(r.find("iteration_duration")->trend.min() >= 1'500'000'000u);
      }
    }
  }
}

// A connection that cannot be opened before the clock starts is opened again by the first
// request, whose failure is the one counted: the warm-up neither hangs nor adds failures.
TEST_CASE("a failed preconnect leaves the failure to the first request", "[fault][preconnect]") {
  struct warm_case {
    const char* name;
    fault mode;
    int code;
    bool https = false;  // ask for TLS from a server that never answers a ClientHello
  };
  const warm_case warm_cases[] = {
      {"connection refused", fault::refuse, 1212},
      {"accepted, then closed at once", fault::close_at_once, 1000},
      {"TLS certificate for another name", fault::tls_wrong_name, 1311},
      {"plain HTTP on the TLS port", fault::plain_on_tls_port, 1301},
      {"TLS handshake never answered", fault::late_answer, 1050, true},
  };
  for (const auto& wc : warm_cases) {
    DYNAMIC_SECTION(wc.name) {
      fault_server server(wc.mode);
      const auto duration = 1s, graceful = 2s, timeout = 1s;
      const std::string url =
          wc.https ? "https://127.0.0.1:" + std::to_string(server.port()) + "/" : server.url();
      pacer::test_plan plan;
      plan.add(pacer::scenario("fault",
                               pacer::constant_arrival_rate(4, 1s)
                                   .duration(duration)
                                   .pre_allocated_vus(4)
                                   .graceful_stop(graceful)
                                   .preconnect(),
                               pacer::http::get(url).timeout(timeout)));
      if (!server.ca_pem_path().empty()) plan.options.tls.add_ca_file(server.ca_pem_path());
      plan.options.tls.insecure_skip_verify = wc.https;
      auto [r, took] = run_timed(plan, wc.code);
      INFO("took " << std::chrono::duration_cast<milliseconds>(took).count() << " ms");

      // The warm-up waits at most one request timeout.
      CHECK(took <= timeout + duration + graceful + timeout + hang_margin);
      require_accounted(r);
      const auto& s = r.scenarios.front();
      CHECK(s.scheduled == 4);
      CHECK(s.completed == 4);
      require_failures(r, wc.code, 4);
      // The warm-up's connection, then the request's own (a closed kept-alive one is resent once).
      CHECK(server.connections() == (wc.mode == fault::refuse ? 0u : 8u));
    }
  }
}

// k6 has no such backoff: a constant-vus VU whose target refuses connections starts its next
// iteration at once, burning a core on refusals. pacer waits 5 ms after a failed connect, doubling
// up to 1 s: at most 10 attempts in a VU's first 1.3 s, then one a second.
TEST_CASE("closed-model VUs back off from a target that refuses connections", "[fault][backoff]") {
  fault_server dead(fault::refuse);
  const auto duration = 3s, graceful = 1s, timeout = 1s;
  constexpr std::int64_t vus = 4;
  pacer::test_plan plan;
  plan.add(pacer::scenario("fault",
                           pacer::constant_vus(vus).duration(duration).graceful_stop(graceful),
                           pacer::http::get(dead.url()).timeout(timeout)));
  const double cpu_before = cpu_seconds();
  auto [r, took] = run_timed(plan, 1212);
  const double cpu = cpu_seconds() - cpu_before;
  const auto& s = r.scenarios.front();
  INFO("attempts " << s.scheduled << ", CPU " << cpu << " s over "
                   << std::chrono::duration_cast<milliseconds>(took).count() << " ms");

  CHECK(took <= duration + graceful + timeout + hang_margin);
  require_accounted(r);
  CHECK(s.interrupted == 0);  // a VU waiting out its backoff at the end has no iteration to lose
  CHECK(s.completed == s.scheduled);
  require_failures(r, 1212, s.completed);
  CHECK(s.scheduled >= static_cast<std::uint64_t>(vus));
  const std::uint64_t per_vu_bound = 10 + 3 + 1;  // first 1.3 s, then one a second, one spare
  CHECK(s.scheduled <= static_cast<std::uint64_t>(vus) * per_vu_bound);
}

TEST_CASE("a server that stops mid-run and comes back on the same port", "[fault][backoff]") {
  fault_server server(fault::flap, {.flap_after = 20, .down_for = 1000ms});
  const auto duration = 4s, graceful = 1s, timeout = 1s;
  pacer::test_plan plan;
  plan.add(pacer::scenario("fault",
                           pacer::constant_vus(2).duration(duration).graceful_stop(graceful),
                           pacer::http::get(server.url()).timeout(timeout)));
  auto [r, took] = run_timed(plan, 1212);
  INFO("took " << std::chrono::duration_cast<milliseconds>(took).count() << " ms, "
               << server.requests() << " requests, " << server.requests_after_restart()
               << " after the restart");

  CHECK(took <= duration + graceful + timeout + hang_margin);
  require_accounted(r);
  const auto& s = r.scenarios.front();
  CHECK(s.interrupted == 0);
  CHECK(s.completed == s.scheduled);
  REQUIRE(server.restarted());
  // While it was down, every request was refused: kept-alive connections the server dropped are
  // retried on a new connection, which is refused.
  const auto refused = errors(r, 1212);
  CHECK(refused > 0);
  require_failures(r, 1212, refused);
  CHECK(r.count("http_reqs") == static_cast<double>(s.completed));
  // Once a connection succeeds the backoff starts over: the VUs run at full speed again rather
  // than once a second (which would give about 6 requests in the 3 s left).
  CHECK(server.requests_after_restart() >= 50);
}
