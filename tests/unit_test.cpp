// Parts that need no network: durations, URLs, request bytes, schedules,
// validation and the harness's command line.
#include <pacer/cli/http_harness.hpp>

#include <catch2/catch.hpp>

#include <cmath>

using namespace std::chrono_literals;
using pacer::config_error;

namespace {
// The message of the config_error `f` throws ("" if none).
template <class F>
std::string config_message(F f) {
  try {
    f();
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("k6 durations parse like k6 and print like Go", "[unit][duration]") {
  using pacer::format_go_duration;
  using pacer::parse_duration;
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("1m30s") == 90s);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("1d12h") == 36h);
  CHECK(parse_duration("300ms") == 300ms);
  CHECK(parse_duration("3000") == 3s);  // a bare number is milliseconds
  CHECK(parse_duration("250us") == 250us);
  CHECK(format_go_duration(5min) == "5m0s");
  CHECK(format_go_duration(90s) == "1m30s");
  CHECK(format_go_duration(500ms) == "500ms");
  CHECK(format_go_duration(1500ms) == "1.5s");
  CHECK(format_go_duration(2h) == "2h0m0s");
  CHECK(format_go_duration(0s) == "0s");
  for (auto bad : {"", "5x", "m", "1..5s", "s5", "--1s"}) {
    auto msg = config_message([&] { parse_duration(bad, "--duration"); });
    INFO(bad);
    CHECK(msg.find("invalid --duration") != std::string::npos);
    CHECK(msg.find("such as 300ms") != std::string::npos);
  }
}

TEST_CASE("URLs are split for the wire and bad ones are named", "[unit][url]") {
  auto u = pacer::http::parse_url("https://127.0.0.1:8443/api/v1/certificates/bulk-renew?x=1#frag");
  CHECK(u.tls);
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 8443);
  CHECK(u.target == "/api/v1/certificates/bulk-renew?x=1");
  CHECK(u.host_header == "127.0.0.1:8443");
  auto v6 = pacer::http::parse_url("http://[::1]:8080");
  CHECK(v6.host == "::1");
  CHECK(v6.target == "/");
  CHECK(v6.host_header == "[::1]:8080");
  CHECK(pacer::http::parse_url("http://localhost/").host_header == "localhost");
  for (auto bad : {"ftp://x/", "127.0.0.1:80", "http://", "http://h:0/", "http://h:99999/",
                   "http://h:8o/", "http://user:pw@h/", "http://h/a b"}) {
    INFO(bad);
    auto msg = config_message([&] { pacer::http::parse_url(bad); });
    CHECK(msg.find("invalid URL") != std::string::npos);
    CHECK(msg.find("absolute URL") != std::string::npos);
  }
}

TEST_CASE("a request template serialises once, with credentials withheld from its description",
          "[unit][request]") {
  auto req = pacer::http::post("http://127.0.0.1:8080/api/v1/certificates/bulk-renew")
                 .bearer(pacer::secret("s3cr3t"))
                 .json({{"team_id", "t-platform"}});
  const std::string& wire = req.wire();
  CHECK(wire.rfind("POST /api/v1/certificates/bulk-renew HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n",
                   0) == 0);
  CHECK(wire.find("Authorization: Bearer s3cr3t\r\n") != std::string::npos);
  CHECK(wire.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(wire.find("Content-Length: 24\r\n\r\n{\"team_id\":\"t-platform\"}") != std::string::npos);
  CHECK(&req.wire() == &wire);
  CHECK(req.describe().find("s3cr3t") == std::string::npos);
  CHECK(req.describe().find("[redacted]") != std::string::npos);
  auto tags = req.tags();
  CHECK(*tags.find("method") == "POST");
  CHECK(*tags.find("name") == "http://127.0.0.1:8080/api/v1/certificates/bulk-renew");
  auto named = pacer::http::get("http://h/items/17").tag("name", "item");
  CHECK(*named.tags().find("url") == "item");  // k6: a name tag replaces url

  CHECK_THROWS_AS(pacer::http::get("http://h/").header("Bad Name", "x"), config_error);
  auto msg = config_message([] { pacer::http::get("http://h/").header("X-Token", "a\r\nb: c"); });
  CHECK(msg.find("without CR") != std::string::npos);
  CHECK(msg.find("a\r\nb") == std::string::npos);  // the value may be a secret
}

TEST_CASE("constant arrival rate: k6's absolute schedule", "[unit][executor]") {
  auto e = pacer::constant_arrival_rate(5, 1s).duration(5min).pre_allocated_vus(10).max_vus(30);
  CHECK(e.interval() == 200ms);
  CHECK(e.due(0) == 0ns);
  CHECK(e.due(1) == 200ms);
  CHECK(e.due(1499) == 299800ms);
  CHECK_FALSE(e.due(1500).has_value());
  CHECK(e.total_iterations() == 1500);
  CHECK(e.description() == "5.00 iterations/s for 5m0s (maxVUs: 10-30, gracefulStop: 30s)");
  CHECK(pacer::constant_arrival_rate(5, 1s)
            .duration(1s)
            .pre_allocated_vus(1)
            .pacing_slack(2ms)
            .description() ==
        "5.00 iterations/s for 1s (maxVUs: 1, pacingSlack: 2ms, gracefulStop: 30s)");
  auto slack_msg = config_message([] {
    pacer::constant_arrival_rate(5, 1s)
        .duration(1s)
        .pre_allocated_vus(1)
        .pacing_slack(2s)
        .validate();
  });
  CHECK(slack_msg.find("pacingSlack") != std::string::npos);
  CHECK(slack_msg.find("from 0 to 1s") != std::string::npos);
  // rate 3 per second: the spacing is truncated to whole nanoseconds once.
  CHECK(pacer::constant_arrival_rate(3, 1s).interval() == 333333333ns);
}

TEST_CASE("ramping arrival rate: the n-th iteration where the area reaches n", "[unit][executor]") {
  auto e = pacer::ramping_arrival_rate(0, 1s).add_stage(10s, 10).pre_allocated_vus(1);
  // k6-compat example: n-th at sqrt(2n) seconds, 50 in all.
  for (std::uint64_t n = 1; n <= 50; ++n) {
    double expected = std::sqrt(2.0 * static_cast<double>(n)) * 1e9;
    auto due = e.due(n - 1);
    REQUIRE(due.has_value());
    CHECK(std::fabs(static_cast<double>(due->count()) - expected) < 1e3);
  }
  CHECK_FALSE(e.due(50).has_value());
  // A flat stage does not start at 0: the first iteration waits for one unit of area.
  auto flat = pacer::ramping_arrival_rate(5, 1s).add_stage(2s, 5).pre_allocated_vus(1);
  CHECK(flat.due(0) == 200ms);
  CHECK(flat.due(9) == 2s);
  CHECK_FALSE(flat.due(10).has_value());
  // Fractional area carries into the next stage.
  auto two =
      pacer::ramping_arrival_rate(0, 1s).add_stage(1s, 3).add_stage(1s, 3).pre_allocated_vus(1);
  // 1.5 iterations of area in the first stage; the 2nd needs 0.5 more at 3/s.
  auto second = two.due(1);
  REQUIRE(second.has_value());
  CHECK(std::llabs(second->count() - (1'000'000'000LL + 166'666'667LL)) < 1000);
}

TEST_CASE("executor options are validated with k6's rules", "[unit][executor]") {
  auto msg = [](auto e) { return config_message([&] { e.validate(); }); };
  CHECK(msg(pacer::constant_arrival_rate(0, 1s).duration(1s).pre_allocated_vus(1))
            .find("invalid rate") == 0);
  CHECK(
      msg(pacer::constant_arrival_rate(1, 1s).duration(500ms).pre_allocated_vus(1)).find(">= 1s") !=
      std::string::npos);
  CHECK(msg(pacer::constant_arrival_rate(1, 1s).duration(1s).pre_allocated_vus(5).max_vus(2))
            .find("maxVUs") != std::string::npos);
  CHECK(msg(pacer::constant_vus(0).duration(1s)).find("invalid vus") == 0);
  CHECK(msg(pacer::ramping_arrival_rate(0, 1s).pre_allocated_vus(1)).find("stages") !=
        std::string::npos);
  CHECK(msg(pacer::constant_vus(1).duration(1s).graceful_stop(-1s)).find("gracefulStop") !=
        std::string::npos);
  CHECK(msg(pacer::constant_vus(2).duration(1s)).empty());
}

TEST_CASE("plans are validated before any traffic", "[unit][plan]") {
  pacer::test_plan plan;
  CHECK_THROWS_AS(pacer::run(plan), config_error);
  plan.add(pacer::scenario("bad name!", pacer::constant_vus(1).duration(1s),
                           pacer::http::get("http://127.0.0.1:1/")));
  CHECK(config_message([&] { pacer::run(plan); }).find("scenario name") != std::string::npos);
  plan.scenarios[0].name = "ok";
  plan.options.summary_trend_stats = {"avg", "p(101)"};
  CHECK(config_message([&] { pacer::run(plan); }).find("p(101)") != std::string::npos);
}

TEST_CASE("pacer-http flags build the plan, and bad ones name the flag", "[unit][cli]") {
  using pacer::cli::parse_http_harness_args;
  auto cfg = parse_http_harness_args({"https://127.0.0.1:8443/api",
                                      "--method",
                                      "POST",
                                      "--header",
                                      "Content-Type: application/json",
                                      "--body",
                                      "{}",
                                      "--rate=1000",
                                      "--time-unit",
                                      "1s",
                                      "--duration",
                                      "10s",
                                      "--pre-allocated-vus",
                                      "50",
                                      "--max-vus",
                                      "200",
                                      "--pacing-slack",
                                      "1ms",
                                      "--preconnect",
                                      "--insecure-skip-tls-verify",
                                      "--summary-json",
                                      "out.json",
                                      "--threads",
                                      "2"});
  REQUIRE(cfg.plan.scenarios.size() == 1);
  const auto& sc = cfg.plan.scenarios[0];
  CHECK(sc.name == "default");
  const auto& car = std::get<pacer::constant_arrival_rate>(sc.exec);
  CHECK(car.rate() == 1000);
  CHECK(car.max_vus() == 200);
  CHECK(car.pre_allocated_vus() == 50);
  CHECK(car.pacing_slack() == 1ms);
  CHECK(car.preconnects());
  CHECK(sc.request->method() == "POST");
  CHECK(cfg.plan.options.tls.insecure_skip_verify);
  CHECK(cfg.plan.options.threads == 2);
  CHECK(cfg.summary_json == "out.json");

  auto closed = parse_http_harness_args({"http://127.0.0.1/", "--vus", "64", "--duration", "5s"});
  CHECK(std::get<pacer::constant_vus>(closed.plan.scenarios[0].exec).vus() == 64);
  CHECK_FALSE(std::get<pacer::constant_vus>(closed.plan.scenarios[0].exec).preconnects());

  struct bad_case {
    std::vector<std::string> args;
    std::string expected;
  };
  std::vector<bad_case> cases = {
      {{"http://h/", "--rate", "-5"}, "invalid --rate"},
      {{"http://h/", "--rate", "5", "--vus", "3"}, "invalid --vus"},
      {{"http://h/", "--vus", "3", "--max-vus", "3"}, "invalid --max-vus"},
      {{"http://h/", "--vus", "3", "--pacing-slack", "1ms"}, "invalid --pacing-slack"},
      {{"http://h/", "--rate", "5", "--pacing-slack", "soon"}, "invalid --pacing-slack"},
      {{"http://h/", "--duration", "ten"}, "invalid --duration"},
      {{"http://h/", "--header", "NoColon"}, "invalid --header"},
      {{"http://h/", "--threads", "0"}, "invalid --threads"},
      {{"http://h/", "--preconnect=yes"}, "invalid --preconnect"},
      {{"http://h/", "--frobnicate"}, "--frobnicate"},
      {{"http://h/", "--timeout"}, "a value after --timeout"},
      {{"--vus", "1"}, "invalid URL"},
      {{"ftp://h/"}, "invalid URL"},
      {{"http://h/", "--body-file", "/nonexistent/body.json"}, "invalid --body-file"},
      {{"http://h/", "--summary-trend-stats", "avg,,max"}, "invalid --summary-trend-stats"},
  };
  for (auto& c : cases) {
    INFO(c.expected);
    auto msg = config_message([&] { parse_http_harness_args(c.args); });
    CHECK(msg.find(c.expected) != std::string::npos);
    CHECK(msg.find("expected") != std::string::npos);
  }
}
