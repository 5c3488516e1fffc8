// The engine against real servers on 127.0.0.1: schedules, VU pools, stops,
// keep-alive, TLS and error codes. Counts come from both sides of the wire.
#include <pacer/pacer.hpp>

#include "support/fixture_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>

#include <unistd.h>
#include <csignal>

using namespace std::chrono_literals;
using pacer_test::fixture_server;

namespace {

pacer::run_result run_one(pacer::executor exec, pacer::http::request req, unsigned threads = 1,
                          pacer::http::tls_options tls = {}) {
  pacer::test_plan plan;
  plan.add(pacer::scenario("default", std::move(exec), std::move(req)));
  plan.options.threads = threads;
  plan.options.tls = tls;
  return pacer::run(plan);
}

void require_accounted(const pacer::run_result& r) {
  auto t = r.totals();
  REQUIRE(t.completed + t.interrupted + t.dropped == t.scheduled);
}

std::uint64_t errors(const pacer::run_result& r, int code) {
  auto it = r.failed_requests_by_error_code.find(code);
  return it == r.failed_requests_by_error_code.end() ? 0 : it->second;
}

}  // namespace

TEST_CASE("constant arrival rate starts exactly rate x duration iterations", "[engine]") {
  fixture_server server;
  unsigned threads = GENERATE(1u, 2u);
  auto r = run_one(pacer::constant_arrival_rate(50, 1s).duration(1s).pre_allocated_vus(20),
                   pacer::http::get(server.url("/")), threads);
  auto t = r.totals();
  CHECK(t.scheduled == 50);
  CHECK(t.completed == 50);
  CHECK(t.dropped == 0);
  CHECK(server.requests() == 50);
  CHECK(r.count("http_reqs") == 50);
  CHECK(r.count("iterations") == 50);
  const auto* lag = r.find("iteration_schedule_lag");
  REQUIRE(lag != nullptr);
  CHECK(lag->trend.count() == 50);
  require_accounted(r);
}

TEST_CASE("a pacing slack starts every iteration due within it on one wake-up", "[engine]") {
  fixture_server server;
  // Iteration 1 is due at 20 ms; with 300 ms of slack the timer fires no earlier than
  // 320 ms, so it and everything due by then start together, at least 300 ms late.
  auto r = run_one(
      pacer::constant_arrival_rate(50, 1s).duration(1s).pre_allocated_vus(50).pacing_slack(300ms),
      pacer::http::get(server.url("/")));
  auto t = r.totals();
  CHECK(t.scheduled == 50);
  CHECK(t.completed == 50);
  CHECK(server.requests() == 50);
  const auto* lag = r.find("iteration_schedule_lag");
  REQUIRE(lag != nullptr);
  CHECK(lag->trend.count() == 50);
  CHECK(lag->trend.max() >= 300'000'000u);  // nanoseconds
  require_accounted(r);
}

TEST_CASE("ramping arrival rate follows the area under the rate curve", "[engine]") {
  fixture_server server;
  // 0 -> 20/s over 1s: area 10, so iterations at sqrt(n/10) s, 10 in all.
  auto r = run_one(pacer::ramping_arrival_rate(0, 1s).add_stage(1s, 20).pre_allocated_vus(5),
                   pacer::http::get(server.url("/")));
  CHECK(r.totals().scheduled == 10);
  CHECK(server.requests() == r.totals().completed);
  require_accounted(r);
}

TEST_CASE("a slow server shows as dropped iterations and VU growth up to max_vus", "[engine]") {
  fixture_server server;
  // Every request is held: each drop creates one VU, which takes a later iteration.
  auto r = run_one(pacer::constant_arrival_rate(20, 1s)
                       .duration(1s)
                       .pre_allocated_vus(2)
                       .max_vus(5)
                       .graceful_stop(0s),
                   pacer::http::get(server.url("/gate")));
  auto t = r.totals();
  CHECK(t.scheduled == 20);
  CHECK(t.interrupted == 5);  // the five VUs, each held at the gate until the hard stop
  CHECK(t.dropped == 15);
  CHECK(t.completed == 0);
  CHECK(t.vus_initialized == 5);
  CHECK(r.count("dropped_iterations") == 15);
  CHECK(r.find("vus_max")->max == 5);
  CHECK(r.warnings.size() == 1);
  require_accounted(r);
}

TEST_CASE("in-flight iterations finish within the graceful stop", "[engine]") {
  fixture_server server;
  // One iteration at t=0 that takes 1.5 s: it outlives the 1 s duration.
  auto r = run_one(pacer::constant_arrival_rate(1, 1s).duration(1s).pre_allocated_vus(1),
                   pacer::http::get(server.url("/slow?ms=1500")));
  CHECK(r.totals().completed == 1);
  CHECK(r.totals().interrupted == 0);
  CHECK(r.test_run_duration >= 1500ms);
}

TEST_CASE("iterations past the graceful stop are interrupted, not counted as requests",
          "[engine]") {
  fixture_server server;
  auto r = run_one(pacer::constant_vus(3).duration(1s).graceful_stop(200ms),
                   pacer::http::get(server.url("/hang")));
  auto t = r.totals();
  CHECK(t.scheduled == 3);
  CHECK(t.interrupted == 3);
  CHECK(t.completed == 0);
  CHECK(r.count("http_reqs") == 0);
  CHECK_FALSE(r.find("iterations")->observed(pacer::metrics::metric_type::counter));
  require_accounted(r);
}

TEST_CASE("VUs keep their connections alive and reconnect when the server closes", "[engine]") {
  fixture_server server;
  SECTION("keep-alive: one connection per VU") {
    auto r = run_one(pacer::constant_vus(3).duration(1s), pacer::http::get(server.url("/")));
    CHECK(server.connections() == 3);
    CHECK(server.requests() == r.totals().completed);
    CHECK(r.totals().completed > 3);
    CHECK(errors(r, 0) == 0);
    CHECK(r.failed_requests_by_error_code.empty());
  }
  SECTION("Connection: close: one connection per request") {
    auto r = run_one(pacer::constant_vus(2).duration(1s), pacer::http::get(server.url("/close")));
    CHECK(r.failed_requests_by_error_code.empty());
    CHECK(server.connections() == server.requests());
    CHECK(server.requests() == r.totals().completed);
  }
}

TEST_CASE("TLS verification is on by default and can be skipped or given a CA", "[engine][tls]") {
  fixture_server server({.tls = true});
  auto exec = pacer::constant_arrival_rate(5, 1s).duration(1s).pre_allocated_vus(2);
  SECTION("unknown authority") {
    auto r = run_one(exec, pacer::http::get(server.url("/")));
    CHECK(errors(r, 1310) == 5);
    CHECK(server.requests() == 0);
    const auto* failed = r.find("http_req_failed");
    CHECK(failed->passes == 5);
  }
  SECTION("insecure_skip_tls_verify") {
    auto r = run_one(exec, pacer::http::get(server.url("/")), 1,
                     pacer::http::tls_options{}.skip_verify());
    CHECK(r.failed_requests_by_error_code.empty());
    CHECK(server.requests() == 5);
    CHECK(r.find("http_req_tls_handshaking")->trend.max() > 0);
  }
  SECTION("trusted CA file, address checked against the certificate") {
    auto r = run_one(exec, pacer::http::get(server.url("/")), 1,
                     pacer::http::tls_options{}.add_ca_file(server.ca_pem_path()));
    CHECK(r.failed_requests_by_error_code.empty());
    CHECK(server.requests() == 5);
  }
  SECTION("sessions are resumed on reconnect") {
    auto r = run_one(pacer::constant_vus(1).duration(1s), pacer::http::get(server.url("/close")), 1,
                     pacer::http::tls_options{}.skip_verify());
    CHECK(r.failed_requests_by_error_code.empty());
    CHECK(server.tls_handshakes() > 2);
    CHECK(server.tls_resumed_handshakes() >= server.tls_handshakes() - 1);
    CHECK(r.tls_sessions_resumed == server.tls_resumed_handshakes());
  }
}

TEST_CASE("preconnect opens every initial VU's connection before the test clock starts",
          "[engine][tls][preconnect]") {
  fixture_server server({.tls = true});
  const unsigned threads = GENERATE(1u, 2u);
  auto exec = GENERATE(
      pacer::executor(pacer::constant_arrival_rate(20, 1s).duration(1s).pre_allocated_vus(4)),
      pacer::executor(pacer::constant_vus(4).duration(1s)));
  std::visit([](auto& e) { e.preconnect(); }, exec);
  auto r = run_one(exec, pacer::http::get(server.url("/")), threads,
                   pacer::http::tls_options{}.skip_verify());
  INFO("threads " << threads << ", " << r.scenarios.front().description);
  CHECK(r.failed_requests_by_error_code.empty());
  CHECK(server.requests() == r.totals().completed);
  CHECK(r.totals().completed >= 20);
  // One handshake per VU, all paid before the clock: no request shows one.
  CHECK(server.tls_handshakes() == 4);
  CHECK(server.connections() == 4);
  CHECK(r.find("http_req_tls_handshaking")->trend.max() == 0);
  CHECK(r.find("http_req_connecting")->trend.max() == 0);
  CHECK(r.scenarios.front().description.find("preconnect") != std::string::npos);
  require_accounted(r);
}

TEST_CASE("failures carry k6 error codes and are counted, never thrown", "[engine][errors]") {
  auto exec = pacer::constant_arrival_rate(4, 1s).duration(1s).pre_allocated_vus(4);
  SECTION("connection refused") {
    std::string url;
    {
      fixture_server gone;
      url = gone.url("/");
    }
    auto r = run_one(exec, pacer::http::get(url));
    CHECK(errors(r, 1212) == 4);
    CHECK(r.totals().completed == 4);
  }
  fixture_server server;
  SECTION("reset in the middle of a response") {
    auto r = run_one(exec, pacer::http::get(server.url("/reset")));
    CHECK(errors(r, 1220) == 4);
  }
  SECTION("unexpected EOF in the body") {
    auto r = run_one(exec, pacer::http::get(server.url("/truncate")));
    CHECK(errors(r, 1000) == 4);
  }
  SECTION("request timeout") {
    auto r = run_one(exec, pacer::http::get(server.url("/hang")).timeout(100ms));
    CHECK(errors(r, 1050) == 4);
    CHECK(r.totals().interrupted == 0);
    // The timeout covers the whole request, so no failed iteration is shorter.
    CHECK(r.find("iteration_duration")->trend.min() >= 100'000'000);
  }
  SECTION("HTTP 503 is 1503 and a failed request") {
    auto r = run_one(exec, pacer::http::get(server.url("/status/503")));
    CHECK(errors(r, 1503) == 4);
    CHECK(r.find("http_req_failed")->passes == 4);
    CHECK(r.find("http_req_duration{expected_response:true}") != nullptr);
    CHECK(r.find("http_req_duration{expected_response:true}")->trend.count() == 0);
  }
  SECTION("body over the limit") {
    pacer::test_plan plan;
    plan.add(pacer::scenario("default", exec, pacer::http::get(server.url("/bytes?n=300000"))));
    plan.options.threads = 1;
    plan.options.limits.body_bytes = 100000;
    auto r = pacer::run(plan);
    CHECK(errors(r, 1000) == 4);
  }
  SECTION("headers over the limit") {
    pacer::test_plan plan;
    plan.add(pacer::scenario("default", exec, pacer::http::get(server.url("/headers?n=100"))));
    plan.options.threads = 1;
    plan.options.limits.header_bytes = 4096;
    auto r = pacer::run(plan);
    CHECK(errors(r, 1000) == 4);
  }
}

TEST_CASE("requests carry their method, headers and body", "[engine]") {
  fixture_server server;
  auto req = pacer::http::post(server.url("/echo"))
                 .bearer(pacer::secret("load-test-token"))
                 .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}});
  auto r = run_one(pacer::constant_arrival_rate(1, 1s).duration(1s).pre_allocated_vus(1), req);
  CHECK(r.failed_requests_by_error_code.empty());
  CHECK(server.last_request_header("Authorization") == "Bearer load-test-token");
  CHECK(server.last_request_header("Content-Type") == "application/json");
  CHECK(server.last_request_body() == R"({"issuer_id":"iss-local","team_id":"t-platform"})");
  CHECK(req.describe().find("load-test-token") == std::string::npos);
  // Bytes on the wire are counted from both directions.
  CHECK(r.count("data_sent") >= static_cast<double>(req.wire().size()));
  CHECK(r.count("data_received") > 0);
}

TEST_CASE("several scenarios run side by side with their own tags and start times", "[engine]") {
  fixture_server server;
  pacer::test_plan plan;
  plan.add(pacer::scenario("first",
                           pacer::constant_arrival_rate(10, 1s).duration(1s).pre_allocated_vus(2),
                           pacer::http::get(server.url("/a"))));
  plan.add(pacer::scenario(
      "second",
      pacer::constant_arrival_rate(5, 1s).duration(1s).pre_allocated_vus(2).start_time(500ms),
      pacer::http::get(server.url("/b"))));
  plan.options.threads = 2;
  auto r = pacer::run(plan);
  REQUIRE(r.scenarios.size() == 2);
  CHECK(r.scenarios[0].completed == 10);
  CHECK(r.scenarios[1].completed == 5);
  CHECK(server.requests_at("/a") == 10);
  CHECK(server.requests_at("/b") == 5);
  CHECK(r.test_run_duration >= 1500ms);
}

TEST_CASE("the summary has k6's shape and the legacy export its transformation",
          "[engine][report]") {
  fixture_server server;
  auto r = run_one(pacer::constant_arrival_rate(10, 1s).duration(1s).pre_allocated_vus(2),
                   pacer::http::get(server.url("/status/404")));
  auto data = pacer::summary_data(r);
  CHECK(data["root_group"]["id"] == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(data["metrics"]["http_reqs"]["type"] == "counter");
  CHECK(data["metrics"]["http_reqs"]["values"]["count"] == 10);
  CHECK(data["metrics"]["http_req_duration"]["contains"] == "time");
  auto trend_keys = data["metrics"]["http_req_duration"]["values"];
  for (auto stat : {"avg", "min", "med", "max", "p(90)", "p(95)"})
    CHECK(trend_keys.contains(stat));
  CHECK(data["metrics"]["http_req_failed"]["values"]["rate"] == 1);
  CHECK(data["metrics"]["http_req_failed"]["values"]["passes"] == 10);
  CHECK(data["pacer"]["iterations"]["completed"] == 10);
  CHECK(data["pacer"]["failed_requests_by_error_code"]["1404"] == 10);
  auto exported = pacer::summary_export(data);
  CHECK(exported["metrics"]["http_req_failed"]["value"] == 1);
  CHECK_FALSE(exported["metrics"]["http_req_failed"].contains("rate"));
  CHECK(exported["metrics"]["http_reqs"]["count"] == 10);
  CHECK(exported["root_group"]["checks"].is_object());
  CHECK_FALSE(exported.contains("options"));
  // Histograms in the summary merge back exactly.
  auto h = pacer::metrics::histogram_from_json(data["pacer"]["histograms"]["http_req_duration"]);
  CHECK(h.count() == 10);
  CHECK(h.max() == r.find("http_req_duration")->trend.max());
}

TEST_CASE("redirects are off by default and followed up to max_redirects", "[engine][redirect]") {
  fixture_server server;
  auto once = pacer::constant_arrival_rate(1, 1s).duration(1s).pre_allocated_vus(1);
  SECTION("off: the 3xx is the response") {
    auto r = run_one(once, pacer::http::get(server.url("/redirect?to=/")));
    CHECK(r.count("http_reqs") == 1);
    CHECK(server.requests() == 1);
    CHECK(r.failed_requests_by_error_code.empty());  // 3xx is expected
  }
  SECTION("each hop is a request of its own") {
    auto r = run_one(
        once,
        pacer::http::get(server.url("/redirect?to=/redirect?to=/status/201")).max_redirects(5));
    CHECK(r.count("http_reqs") == 3);
    CHECK(r.count("iterations") == 1);
    CHECK(server.requests_at("/status/201") == 1);
    CHECK(server.connections() == 1);  // same origin: the kept-alive connection
  }
  SECTION("the chain stops at max_redirects with the last 3xx") {
    auto r =
        run_one(once, pacer::http::get(server.url("/redirect?to=/redirect?to=/")).max_redirects(1));
    CHECK(r.count("http_reqs") == 2);
    CHECK(server.requests_at("/") == 0);
  }
  SECTION("303 turns a POST into a GET, 307 keeps method and body") {
    auto r303 = run_one(
        once,
        pacer::http::post(server.url("/redirect?status=303&to=/echo"), "payload").max_redirects(1));
    CHECK(server.requests_at("/echo") == 1);
    CHECK(server.last_request_body().empty());
    auto r307 = run_one(
        once,
        pacer::http::post(server.url("/redirect?status=307&to=/echo"), "payload").max_redirects(1));
    CHECK(server.requests_at("/echo") == 2);
    CHECK(server.last_request_body() == "payload");
  }
  SECTION("to another origin, without the credentials") {
    fixture_server other;
    auto r = run_one(once, pacer::http::get(server.url("/redirect?to=" + other.url("/echo")))
                               .bearer(pacer::secret("token"))
                               .max_redirects(1));
    CHECK(r.failed_requests_by_error_code.empty());
    CHECK(other.requests_at("/echo") == 1);
    CHECK(other.last_request_header("Authorization").empty());
    CHECK(r.connections_opened == 2);
  }
}

TEST_CASE("what a broken or hostile server sends is data, never a crash", "[engine][errors]") {
  fixture_server server;
  auto exec = pacer::constant_arrival_rate(2, 1s).duration(1s).pre_allocated_vus(1);
  SECTION("informational responses are skipped, not taken for the answer") {
    auto r = run_one(exec, pacer::http::get(server.url("/early-hints")));
    CHECK(r.totals().completed == 2);
    CHECK(r.find("http_req_failed")->passes == 0);
    CHECK(server.connections() == 1);
  }
  SECTION("an endless chunk line is cut at the header limit") {
    auto r = run_one(exec, pacer::http::get(server.url("/chunk-ext")));
    CHECK(errors(r, 1000) == 2);
  }
}

TEST_CASE("a request the server may have processed is resent only if idempotent",
          "[engine][errors]") {
  fixture_server server;
  // Two iterations on one VU: the second reuses the connection, which the server drops.
  auto exec = pacer::constant_arrival_rate(2, 1s).duration(1s).pre_allocated_vus(1);
  SECTION("GET: retried once on a new connection") {
    auto r = run_one(exec, pacer::http::get(server.url("/drop-after-first")));
    CHECK(r.failed_requests_by_error_code.empty());
    CHECK(server.requests_at("/drop-after-first") == 3);
    CHECK(server.connections() == 2);
  }
  SECTION("POST: not resent, the failure is reported") {
    auto r = run_one(exec, pacer::http::post(server.url("/drop-after-first"), "x"));
    CHECK(server.requests_at("/drop-after-first") == 2);
    CHECK(errors(r, 1000) == 1);
  }
}

TEST_CASE("TLS checks the host as the resolver reads it", "[engine][tls]") {
  fixture_server server({.tls = true});
  // 127.1 reaches 127.0.0.1 but is a name to verify, which the certificate lacks.
  auto url = "https://127.1:" + std::to_string(server.port()) + "/";
  auto r = run_one(pacer::constant_arrival_rate(1, 1s).duration(1s).pre_allocated_vus(1),
                   pacer::http::get(url), 1,
                   pacer::http::tls_options{}.add_ca_file(server.ca_pem_path()));
  CHECK(errors(r, 1311) == 1);
  CHECK(server.requests() == 0);
}

TEST_CASE("SIGINT stops the run at once and the result says so", "[engine][signal]") {
  fixture_server server;
  pacer::test_plan plan;
  plan.add(pacer::scenario("default", pacer::constant_vus(2).duration(1h),
                           pacer::http::get(server.url("/gate"))));
  plan.options.threads = 1;
  plan.options.handle_signals = true;
  auto running = std::async(std::launch::async, [&] { return pacer::run(plan); });
  // Both VUs are held at the gate: the run is in the middle of its hour.
  REQUIRE(server.wait_for_gate(2, 30s));
  ::kill(::getpid(), SIGINT);
  auto r = running.get();
  CHECK(r.code() == pacer::exit_code::aborted_by_signal);
  CHECK(r.totals().interrupted == 2);
  CHECK(r.totals().completed == 0);
  require_accounted(r);
}
