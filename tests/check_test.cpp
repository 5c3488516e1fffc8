// Checks: predicates against real responses, their counts and their samples.
#include <pacer/pacer.hpp>

#include "support/fixture_server.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using pacer_test::fixture_server;

namespace {
pacer::run_result run_checked(pacer::scenario sc) {
  pacer::test_plan plan;
  plan.add(std::move(sc));
  plan.options.threads = 1;
  return pacer::run(plan);
}
auto two_iterations() {
  return pacer::constant_arrival_rate(2, 1s).duration(1s).pre_allocated_vus(1);
}
}  // namespace

TEST_CASE("predicates describe themselves and compose by value", "[unit][check]") {
  auto ok =
      pacer::status_in(200, 299) && pacer::header("Content-Type") && !pacer::body_contains("error");
  CHECK(ok.describe() ==
        "((status in [200, 299] and header Content-Type present) and not body contains \"error\")");
  CHECK(decltype(ok)::needs_body);
  auto status_only = pacer::status_is(201) || pacer::status_is(204);
  CHECK_FALSE(decltype(status_only)::needs_body);
  CHECK((pacer::json_at("/total_matched") == 10000).describe() == "json /total_matched == 10000");
  CHECK_THROWS_AS(pacer::check("a::b", pacer::status_is(200)), pacer::config_error);
}

TEST_CASE("checks count passes and fails per evaluation, as k6's root_group does",
          "[engine][check]") {
  fixture_server server;
  auto sc =
      pacer::scenario("default", two_iterations(), pacer::http::get(server.url("/status/503")))
          .check("is 2xx", pacer::status_in(200, 299))
          .check("is 503", pacer::status_is(503));
  auto r = run_checked(std::move(sc));
  REQUIRE(r.checks.size() == 2);
  CHECK(r.checks[0].name == "is 2xx");
  CHECK(r.checks[0].passes == 0);
  CHECK(r.checks[0].fails == 2);
  CHECK(r.checks[1].passes == 2);
  const auto* checks = r.find("checks");
  CHECK(checks->total == 4);
  CHECK(checks->passes == 2);
  auto data = pacer::summary_data(r);
  auto& first = data["root_group"]["checks"][0];
  CHECK(first["path"] == "::is 2xx");
  CHECK(first["fails"] == 2);
  CHECK(data["metrics"]["checks"]["values"]["rate"] == 0.5);
}

TEST_CASE("body and JSON checks see the body; status-only checks do not keep it",
          "[engine][check]") {
  fixture_server server;
  auto req = pacer::http::post(server.url("/echo"))
                 .json({{"total_matched", 10000}, {"team", "t-platform"}});
  auto sc =
      pacer::scenario("default", two_iterations(), req)
          .check("matched", pacer::json_at("/total_matched") == 10000)
          .check("team", pacer::body_contains("t-platform"))
          .check("custom", pacer::predicate("short body", [](const pacer::http::response_view& r) {
                   return r.body().size() < 100;
                 }));
  CHECK(sc.keep_response_body);
  auto r = run_checked(std::move(sc));
  for (const auto& c : r.checks) {
    INFO(c.name);
    CHECK(c.passes == 2);
    CHECK(c.fails == 0);
  }
  auto status_only = pacer::scenario("s", two_iterations(), pacer::http::get(server.url("/")))
                         .check("ok", pacer::status_is(200));
  CHECK_FALSE(status_only.keep_response_body);
}

TEST_CASE("checks see a failed request as status 0", "[engine][check]") {
  std::string url;
  {
    fixture_server gone;
    url = gone.url("/");
  }
  auto r = run_checked(pacer::scenario("default", two_iterations(), pacer::http::get(url))
                           .check("2xx", pacer::status_in(200, 299)));
  CHECK(r.checks[0].fails == 2);
}

TEST_CASE("the k6 check id is the MD5 of its path", "[unit][check]") {
  CHECK(pacer::detail::md5_hex("::bulk-renew 2xx") == "c7cac084da3fa9b510e77cf60b5ad153");
  CHECK(pacer::detail::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_CASE("custom metrics take samples from a response hook and carry thresholds",
          "[engine][custom]") {
  fixture_server server;
  pacer::test_plan plan;
  auto enqueued = plan.counter("certs_enqueued");
  auto size = plan.trend("body_size");
  auto latency = plan.trend("renew_latency", true);
  auto ok_rate = plan.rate("renew_ok");
  auto last = plan.gauge("last_status");
  auto req = pacer::http::post(server.url("/api/v1/certificates/bulk-renew"))
                 .bearer(pacer::secret("load-test-token"))
                 .json({{"team_id", "t-platform"}});
  plan.add(pacer::scenario("renew", two_iterations(), req)
               .on_response([=](const pacer::http::response_view& r, pacer::recorder& rec) {
                 auto body = nlohmann::json::parse(r.body());
                 rec.add(enqueued, body.value("total_enqueued", 0));
                 rec.add(size, static_cast<double>(r.body().size()) + 0.5);
                 rec.add(latency, 12.5);  // milliseconds, as in k6
                 rec.add(ok_rate, r.status() == 200);
                 rec.add(last, r.status(), {{"kind", "final"}});
               }));
  plan.threshold("certs_enqueued", {"count==200"});
  plan.threshold("renew_latency", {"p(95)<13", "avg>12"});
  plan.threshold("renew_ok", {"rate==1"});
  plan.options.threads = 1;
  auto r = pacer::run(plan);
  CHECK(r.thresholds_passed());
  CHECK(r.count("certs_enqueued") == 200);
  auto data = pacer::summary_data(r);
  CHECK(data["metrics"]["renew_latency"]["contains"] == "time");
  CHECK(data["metrics"]["renew_latency"]["values"]["avg"] == 12.5);
  CHECK(data["metrics"]["body_size"]["contains"] == "default");
  CHECK(data["metrics"]["body_size"]["values"]["min"].get<double>() ==
        Approx(data["metrics"]["body_size"]["values"]["max"].get<double>()));
  CHECK(data["metrics"]["last_status"]["values"]["value"] == 200);
  CHECK(data["metrics"]["renew_ok"]["values"]["rate"] == 1);
}

TEST_CASE("custom metric names follow k6's rules", "[unit][custom]") {
  pacer::test_plan plan;
  CHECK_THROWS_AS(plan.counter("1bad"), pacer::config_error);
  CHECK_THROWS_AS(plan.counter("has space"), pacer::config_error);
  plan.counter("ok_name");
  CHECK_THROWS_AS(plan.trend("ok_name"), pacer::config_error);
  plan.counter("http_reqs");
  plan.add(pacer::scenario("s", two_iterations(), pacer::http::get("http://127.0.0.1:1/")));
  CHECK_THROWS_WITH(pacer::run(plan), Catch::Contains("not a built-in metric"));
}
