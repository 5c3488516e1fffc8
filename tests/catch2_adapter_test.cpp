// The Catch2 adapter (pacer/catch2.hpp): its matchers on summaries of real runs against the
// fixture and on real k6 files, what they say when they fail, and the summary as Catch2 prints it.
#include <pacer/pacer.hpp>

#include "support/fixture_server.hpp"

#include <catch2/catch.hpp>
#include <pacer/catch2.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>

using namespace std::chrono_literals;
using pacer_test::fixture_server;
namespace c2 = pacer::catch2;

namespace {

pacer::test_plan one_scenario(const std::string& name, pacer::executor exec,
                              pacer::http::request req) {
  pacer::test_plan plan;
  plan.add(pacer::scenario(name, std::move(exec), std::move(req))
               .check("status is 200", pacer::status_is(200)));
  plan.options.threads = 1;
  return plan;
}

pacer::summary k6_sample(const std::string& name) {
  std::ifstream f(std::filesystem::path(PACER_TEST_DATA_DIR) / "k6-samples" / name);
  REQUIRE(f.good());
  return pacer::summary::from_data(nlohmann::json::parse(f));
}

// A summary in k6's shape, built by hand for the cases no real run gives.
pacer::summary hand_made(nlohmann::json metrics, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json data = {{"root_group",
                          {{"name", ""},
                           {"path", ""},
                           {"id", "d41d8cd98f00b204e9800998ecf8427e"},
                           {"groups", nlohmann::json::array()},
                           {"checks", nlohmann::json::array()}}},
                         {"metrics", std::move(metrics)}};
  data.update(extra);
  return pacer::summary::from_data(std::move(data));
}

// The latency line of a summary, whatever the run's timings were.
constexpr const char* latencies =
    R"(\n  http_req_duration p\(95\)=[0-9]+\.[0-9]{2}(µs|ms|s) p\(99\)=[0-9]+\.[0-9]{2}(µs|ms|s)\n)";

}  // namespace

TEST_CASE("catch2 matchers pass on a healthy run and say what they saw", "[catch2]") {
  fixture_server server;
  auto plan = one_scenario("healthy",
                           pacer::constant_arrival_rate(20, 1s).duration(1s).pre_allocated_vus(4),
                           pacer::http::get(server.url("/")));
  plan.threshold("http_req_failed", {"rate<0.01"});
  plan.threshold("http_reqs", {"count>=20"});
  plan.threshold("checks{scenario:healthy}", {"rate>0.99"});
  const pacer::summary s(pacer::run(plan));
  REQUIRE(server.requests() == 20);

  REQUIRE_THAT(s, c2::passes_thresholds());
  CHECK_THAT(s, c2::check_rate_at_least("status is 200", 1.0));
  CHECK_THAT(s, c2::failed_rate_below(0.01));
  CHECK_THAT(s, c2::passes_thresholds() && c2::failed_rate_below(0.01));

  auto thresholds = c2::passes_thresholds();
  REQUIRE(thresholds.match(s));
  CHECK(thresholds.describe() == "passes all its thresholds (3 passed)");
  auto check = c2::check_rate_at_least("status is 200", 0.99);
  REQUIRE(check.match(s));
  CHECK(check.describe() ==
        R"(has check "status is 200" passing at least 99.00% (it passed 100.00%: 20 of 20))");
  auto failed = c2::failed_rate_below(0.01);
  REQUIRE(failed.match(s));
  CHECK(failed.describe() == "has http_req_failed rate below 1.00% (it was 0.00%: 0 of 20)");

  CHECK_THAT(Catch::Detail::stringify(s),
             Catch::Matches(std::string(R"(\{ 20 requests, [0-9]+\.[0-9]{2}/s, 0\.00% failed)") +
                            latencies +
                            R"(  checks 100\.00% passed \(20 of 20\)\n)"
                            R"(  threshold checks\{scenario:healthy\} rate>0\.99: ok\n)"
                            R"(  threshold http_req_failed rate<0\.01: ok\n)"
                            R"(  threshold http_reqs count>=20: ok\n\})"));
}

TEST_CASE("catch2 matchers fail on a failing run and say why", "[catch2]") {
  fixture_server server;
  auto plan =
      one_scenario("failing", pacer::constant_arrival_rate(4, 1s).duration(1s).pre_allocated_vus(2),
                   pacer::http::get(server.url("/status/503")));
  plan.threshold("http_req_failed", {"rate<0.01"});
  plan.threshold("http_reqs", {"count>=4"});
  const pacer::summary s(pacer::run(plan));
  REQUIRE(server.requests() == 4);

  CHECK_THAT(s, !c2::passes_thresholds());
  auto thresholds = c2::passes_thresholds();
  CHECK_FALSE(thresholds.match(s));
  CHECK(thresholds.describe() == "passes all its thresholds (failed: http_req_failed rate<0.01)");

  auto check = c2::check_rate_at_least("status is 200", 0.5);
  CHECK_FALSE(check.match(s));
  CHECK(check.describe() ==
        R"(has check "status is 200" passing at least 50.00% (it passed 0.00%: 0 of 4))");
  auto unknown = c2::check_rate_at_least("status is 201", 0.5);
  CHECK_FALSE(unknown.match(s));
  CHECK(unknown.describe() == R"(has check "status is 201" passing at least 50.00% )"
                              R"((the summary has no check named "status is 201"; )"
                              R"(its checks: "status is 200"))");

  auto failed = c2::failed_rate_below(0.5);
  CHECK_FALSE(failed.match(s));
  CHECK(failed.describe() == "has http_req_failed rate below 50.00% (it was 100.00%: 4 of 4)");

  // No response was expected, so the expected_response:true submetric has no samples.
  auto expected = c2::percentile_below("http_req_duration{expected_response:true}", 95, 1h);
  CHECK_FALSE(expected.match(s));
  CHECK(expected.describe() ==
        "has p(95) of http_req_duration{expected_response:true} below 3600.00s "
        "(the summary has no metric http_req_duration{expected_response:true})");

  CHECK_THAT(Catch::Detail::stringify(s),
             Catch::Matches(std::string(R"(\{ 4 requests, [0-9]+\.[0-9]{2}/s, 100\.00% failed)") +
                            latencies +
                            R"(  checks 0\.00% passed \(0 of 4\)\n)"
                            R"(  threshold http_req_failed rate<0\.01: FAIL\n)"
                            R"(  threshold http_reqs count>=4: ok\n\})"));
}

TEST_CASE("percentile_below judges the run's own percentile strictly, in milliseconds",
          "[catch2]") {
  fixture_server server;
  // Every response is held 20 ms by the server, so no request takes less.
  const auto r = pacer::run(
      one_scenario("slow", pacer::constant_arrival_rate(10, 1s).duration(1s).pre_allocated_vus(10),
                   pacer::http::get(server.url("/slow?ms=20"))));
  REQUIRE(r.count("http_reqs") == 10);
  const double p95_ms = r.find("http_req_duration")->trend.percentile(95) / 1e6;
  const pacer::summary s(r);
  using ms = std::chrono::duration<double, std::milli>;

  CHECK_THAT(s, c2::percentile_below("http_req_duration", 95, ms(p95_ms * 1.001)));
  CHECK_THAT(s, c2::percentile_below("http_req_duration", "p(95)", ms(p95_ms * 1.001)));
  // A plain number is in the metric's unit, milliseconds here, as in k6's "p(95)<200".
  CHECK_THAT(s, c2::percentile_below("http_req_duration", 95, p95_ms * 1.001));
  CHECK_THAT(s, !c2::percentile_below("http_req_duration", 95, p95_ms / 1.001));
  // Strict, as k6's "<": the percentile itself is not below itself.
  CHECK_THAT(s, !c2::percentile_below("http_req_duration", 95, ms(p95_ms)));
  // Submetrics by their summary key.
  CHECK_THAT(
      s, c2::percentile_below("http_req_duration{expected_response:true}", 95, ms(p95_ms * 1.001)));

  auto floor = c2::percentile_below("http_req_duration", 50, 19ms);
  CHECK_FALSE(floor.match(s));
  CHECK_THAT(
      floor.describe(),
      Catch::Matches(
          R"(has p\(50\) of http_req_duration below 19\.00ms \(it was [0-9]+\.[0-9]{2}ms\))"));

  auto counter = c2::percentile_below("http_reqs", 95, 10.0);
  CHECK_FALSE(counter.match(s));
  CHECK(counter.describe() ==
        "has p(95) of http_reqs below 10 (http_reqs is a counter, not a trend)");
  CHECK_THROWS_AS(c2::percentile_below("http_req_duration", "p95", 1s), pacer::config_error);
  CHECK_THROWS_AS(c2::percentile_below("http_req_duration", 101, 1s), pacer::config_error);
}

TEST_CASE("catch2 matchers read k6's own handleSummary files", "[catch2][report]") {
  const auto s = k6_sample("cloud-portfolio-handlesummary.json");
  CHECK(Catch::Detail::stringify(s) ==
        "{ 34825 requests, 3243.72/s, 95.28% failed\n"
        "  http_req_duration p(95)=91.44ms p(99)=n/a\n"
        "  checks 4.72% passed (1644 of 34825)\n"
        "  threshold http_req_duration p(95)<1000: ok\n"
        "  threshold http_req_duration p(99)<2000: ok\n"
        "  threshold http_req_failed rate<0.05: FAIL\n"
        "}");

  auto thresholds = c2::passes_thresholds();
  CHECK_FALSE(thresholds.match(s));
  CHECK(thresholds.describe() == "passes all its thresholds (failed: http_req_failed rate<0.05)");
  // Checks are found in groups too.
  CHECK_THAT(s, c2::check_rate_at_least("create room (200)", 1.0));
  auto chat = c2::check_rate_at_least("chat request accepted (200)", 0.5);
  CHECK_FALSE(chat.match(s));
  CHECK(chat.describe() == R"x(has check "chat request accepted (200)" passing at least 50.00% )x"
                           R"((it passed 4.71%: 1641 of 34822))");
  // Percentiles come from the file's summaryTrendStats.
  auto p95 = c2::percentile_below("http_req_duration", 95, 100ms);
  CHECK(p95.match(s));
  CHECK(p95.describe() == "has p(95) of http_req_duration below 100.00ms (it was 91.44ms)");
  auto p99 = c2::percentile_below("http_req_duration", 99, 2s);
  CHECK_FALSE(p99.match(s));
  CHECK(p99.describe() ==
        "has p(99) of http_req_duration below 2.00s (the summary has no p(99) "
        "of http_req_duration: not among its summaryTrendStats)");
  CHECK_THAT(s, !c2::failed_rate_below(0.05));
}

TEST_CASE("passes_thresholds needs thresholds, all passed, none stopping the run", "[catch2]") {
  SECTION("none: nothing was asserted, so it does not pass") {
    const auto s = hand_made(nlohmann::json::object());
    auto m = c2::passes_thresholds();
    CHECK_FALSE(m.match(s));
    CHECK(m.describe() == "passes all its thresholds (it has none)");
    CHECK(Catch::Detail::stringify(s) ==
          "{ 0 requests\n  http_req_duration p(95)=n/a p(99)=n/a\n  no checks\n  no thresholds\n}");
  }
  SECTION("an abortOnFail threshold stopped the run") {
    const auto s = hand_made({{"http_req_failed",
                               {{"type", "rate"},
                                {"contains", "default"},
                                {"values", {{"rate", 0.5}, {"passes", 1}, {"fails", 1}}},
                                {"thresholds", {{"rate<0.9", {{"ok", true}}}}}}}},
                             {{"pacer", {{"aborted_by_threshold", true}}}});
    auto m = c2::passes_thresholds();
    CHECK_FALSE(m.match(s));
    CHECK(m.describe() == "passes all its thresholds (an abortOnFail threshold stopped the run)");
    CHECK_THAT(Catch::Detail::stringify(s),
               Catch::EndsWith("\n  stopped early by an abortOnFail threshold\n}"));
  }
}
