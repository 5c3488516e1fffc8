// Iterations written as code against real servers on 127.0.0.1: flows with requests built
// per call, groups, checks, think time, setup() and teardown() data, exceptions, and the
// closed-model executors (per-vu-iterations, shared-iterations, ramping-vus).
#include <pacer/data/shared_array.hpp>
#include <pacer/http/cookies.hpp>
#include <pacer/pacer.hpp>

#include "certctl_target/temporary_server.hpp"
#include "support/fixture_server.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using pacer_test::fixture_server;

namespace {

void require_accounted(const pacer::run_result& r) {
  auto t = r.totals();
  REQUIRE(t.completed + t.interrupted + t.dropped == t.scheduled);
}

const nlohmann::json* child_group(const nlohmann::json& g, const std::string& name) {
  for (const auto& sub : g["groups"])
    if (sub["name"] == name) return &sub;
  return nullptr;
}

// k6's groups.js (../k6-samples/k6-v0.49-groups) as a pacer flow: a `list` group with a
// nested `detail` group, checks in both, think time, setup and teardown.
pacer::test_plan groups_plan(const fixture_server& server, pacer::executor exec) {
  const std::string base = server.url("/");
  pacer::test_plan plan;
  plan.setup([base](pacer::vu& vu) -> pacer::task<int> {
    auto r = co_await vu.http(pacer::http::get(base));
    co_return r.status();
  });
  plan.add(pacer::scenario("journey", std::move(exec), [base](pacer::vu& vu) -> pacer::task<> {
    co_await vu.group("list", [&]() -> pacer::task<> {
      auto r = co_await vu.http(pacer::http::get(base));
      vu.check(r, "list 200", pacer::status_is(200));
      co_await vu.group("detail", [&]() -> pacer::task<> {
        auto d = co_await vu.http(pacer::http::get(base + "?id=" + std::to_string(vu.id())));
        vu.check(d, "detail 200", pacer::status_is(200));
        vu.check(d, "has body", [](const pacer::response& x) { return !x.body().empty(); });
      });
    });
    co_await vu.sleep(20ms);
  }));
  plan.teardown(
      [base](pacer::vu& vu) -> pacer::task<> { co_await vu.http(pacer::http::get(base)); });
  plan.threshold("group_duration{group:::list}", {"p(95)<2000"});
  plan.threshold("checks", {"rate>0.9"});
  plan.options.threads = 2;
  return plan;
}

}  // namespace

TEST_CASE("a flow's groups and checks form k6's group tree, ids and all", "[flow]") {
  fixture_server server;
  auto plan = groups_plan(server, pacer::per_vu_iterations(3, 4));
  auto r = pacer::run(plan);
  REQUIRE(r.code() == pacer::exit_code::ok);
  require_accounted(r);
  CHECK(r.totals().completed == 12);
  // setup, 12 x 2 requests, teardown: counted on both sides of the wire.
  CHECK(server.requests() == 26);
  CHECK(r.count("http_reqs") == 26);

  pacer::summary s(r);
  const auto& root = s.data()["root_group"];
  // The ids are k6's: the MD5 of each path, as in k6's own summary of groups.js.
  auto k6 = pacer_test::load_json(std::filesystem::path(PACER_TEST_DATA_DIR) / "k6-samples" /
                                  "k6-v0.49-groups" / "groups-summary.json");
  const auto& k6_root = k6["root_group"];
  for (const char* name : {"setup", "list", "teardown"}) {
    const auto* ours = child_group(root, name);
    const auto* theirs = child_group(k6_root, name);
    REQUIRE(ours != nullptr);
    REQUIRE(theirs != nullptr);
    CHECK((*ours)["id"] == (*theirs)["id"]);
    CHECK((*ours)["path"] == (*theirs)["path"]);
  }
  // k6 lists setup first and teardown last.
  CHECK(root["groups"].front()["name"] == "setup");
  CHECK(root["groups"].back()["name"] == "teardown");
  const auto* list = child_group(root, "list");
  const auto* detail = child_group(*list, "detail");
  REQUIRE(detail != nullptr);
  CHECK((*detail)["id"] == (*child_group(*child_group(k6_root, "list"), "detail"))["id"]);
  REQUIRE((*list)["checks"].size() == 1);
  CHECK((*list)["checks"][0]["name"] == "list 200");
  CHECK((*list)["checks"][0]["passes"] == 12);
  CHECK((*list)["checks"][0]["id"] == "cf5d9026af75935cdd9f36125301ae6f");
  REQUIRE((*detail)["checks"].size() == 2);
  CHECK((*detail)["checks"][1]["name"] == "has body");
  CHECK((*detail)["checks"][1]["passes"] == 12);
  CHECK(root["checks"].empty());

  // group_duration per group, with the threshold's submetric; iteration_duration also holds
  // setup's and teardown's (k6 does the same), iterations does not.
  const auto* list_duration = r.find("group_duration{group:::list}");
  REQUIRE(list_duration != nullptr);
  CHECK(list_duration->trend.count() == 12);
  CHECK(r.find("group_duration")->trend.count() == 24);
  CHECK(r.find("iteration_duration")->trend.count() == 14);
  CHECK(r.count("iterations") == 12);
  CHECK(s.data()["metrics"]["group_duration{group:::list}"]["thresholds"]["p(95)<2000"]["ok"] ==
        true);
}

TEST_CASE("the text summary lays out groups as jslib k6-summary 0.0.2 does", "[flow][text]") {
  // k6's own rendering of its data, byte for byte.
  const auto dir = std::filesystem::path(PACER_TEST_DATA_DIR) / "k6-samples" / "k6-v0.49-groups";
  auto k6 = pacer::summary::from_data(pacer_test::load_json(dir / "groups-summary.json"));
  CHECK(k6.text({.indent = " ", .enable_colors = false}) ==
        pacer_test::read_text(dir / "groups-summary.txt"));

  // Our run of the same script shows the same group block.
  fixture_server server;
  auto r = pacer::run(groups_plan(server, pacer::shared_iterations(2, 5)));
  const std::string text = pacer::summary(r).text({.indent = " ", .enable_colors = false});
  const std::string groups_block =
      "     █ setup\n\n"
      "     █ list\n\n"
      "       ✓ list 200\n\n"
      "       █ detail\n\n"
      "         ✓ detail 200\n"
      "         ✓ has body\n\n"
      "     █ teardown\n\n";
  CHECK(text.find(groups_block) != std::string::npos);
  CHECK(text.find("group_duration.................:") != std::string::npos);
  CHECK(text.find("✓ { group:::list }.............:") != std::string::npos);
}

TEST_CASE("a flow builds requests from earlier responses and reuses its connection", "[flow]") {
  fixture_server server;
  const std::string base = server.url("/");
  pacer::test_plan plan;
  plan.add(pacer::scenario(
      "login", pacer::per_vu_iterations(1, 3), [&server](pacer::vu& vu) -> pacer::task<> {
        // /echo answers with the body it got: a stand-in for a login that returns a token.
        // (GCC 12 cannot take a braced list with string literals inside a co_await
        // expression: the request is built in a statement of its own.)
        auto login_request = pacer::http::post(server.url("/echo"))
                                 .json({{"token", "t-" + std::to_string(vu.iteration())}});
        auto login = co_await vu.http(login_request);
        const std::string token = login.json("/token").get<std::string>();
        auto renew_request = pacer::http::post(server.url("/api/v1/certificates/bulk-renew"))
                                 .bearer(token == "t-2" ? "load-test-token" : token)
                                 .json({{"team_id", "t-platform"}});
        auto renew = co_await vu.http(renew_request);
        vu.check(renew, "renewed", pacer::status_is(200));
        if (renew.status() == 200) vu.check("100 jobs", renew.json("/enqueued_jobs").size() == 100);
      }));
  plan.options.threads = 1;
  auto r = pacer::run(plan);
  REQUIRE(r.checks.size() == 2);
  CHECK(r.checks[0].name == "renewed");
  CHECK(r.checks[0].passes == 1);  // only the last iteration's token is the right one
  CHECK(r.checks[0].fails == 2);
  CHECK(r.checks[1].passes == 1);
  CHECK(server.last_request_header("Authorization") == "Bearer load-test-token");
  // One keep-alive connection carried all six requests.
  CHECK(server.connections() == 1);
  CHECK(r.connections_opened == 1);
  CHECK(r.count("http_reqs") == 6);
  // The failed renewals are data: 401s with k6's error code, not exceptions.
  CHECK(r.failed_requests_by_error_code.at(1401) == 2);
  CHECK(r.iteration_errors.empty());
}

TEST_CASE("setup's value reaches every VU and teardown; a failing setup stops the run",
          "[flow][setup]") {
  fixture_server server;
  struct fleet {
    std::vector<std::string> teams;
  };
  SECTION("setup data is shared, read-only") {
    std::mutex seen_lock;
    std::set<std::string> seen;
    std::string teardown_saw;
    pacer::test_plan plan;
    plan.setup([&](pacer::vu& vu) -> pacer::task<fleet> {
      auto r = co_await vu.http(pacer::http::get(server.url("/")));
      CHECK(vu.scenario_name().empty());
      co_return fleet{{"t-platform", "t-web", "t-data", "status-" + std::to_string(r.status())}};
    });
    plan.add(
        pacer::scenario("use", pacer::shared_iterations(2, 8), [&](pacer::vu& vu) -> pacer::task<> {
          const auto& f = vu.setup_data<fleet>();
          const auto& team = f.teams[vu.iteration_in_test() % f.teams.size()];
          co_await vu.http(pacer::http::get(server.url("/?team=" + team)));
          std::lock_guard<std::mutex> g(seen_lock);
          seen.insert(team);
        }));
    plan.teardown([&](pacer::vu& vu) -> pacer::task<> {
      teardown_saw = vu.setup_data<fleet>().teams.back();
      co_return;
    });
    plan.options.threads = 2;
    auto r = pacer::run(plan);
    CHECK(r.code() == pacer::exit_code::ok);
    CHECK(seen.size() == 4);
    CHECK(teardown_saw == "status-200");
    CHECK(server.requests() == 9);
    CHECK(r.totals().completed == 8);
  }
  SECTION("a setup that throws: no scenario runs, k6's exit code 107, the summary still comes") {
    pacer::test_plan plan;
    plan.setup([&](pacer::vu& vu) -> pacer::task<fleet> {
      auto r = co_await vu.http(pacer::http::get(server.url("/status/503")));
      if (r.status() != 200)
        throw std::runtime_error("target not ready: status " + std::to_string(r.status()));
      co_return fleet{};
    });
    plan.add(pacer::scenario("use", pacer::constant_vus(2).duration(5s),
                             [&](pacer::vu& vu) -> pacer::task<> {
                               co_await vu.http(pacer::http::get(server.url("/")));
                             }));
    auto r = pacer::run(plan);
    CHECK(r.code() == pacer::exit_code::script_exception);
    CHECK(static_cast<int>(r.code()) == 107);
    CHECK(r.script_error == "setup() failed: target not ready: status 503");
    CHECK(server.requests() == 1);
    CHECK(r.totals().scheduled == 0);
    pacer::summary s(r);
    CHECK(s.data()["metrics"]["http_reqs"]["values"]["count"] == 1);
    CHECK(s.data()["pacer"]["script_error"] == r.script_error);
  }
  SECTION("setup_data of the wrong type is an error of the iteration, named") {
    pacer::test_plan plan;
    plan.setup([](pacer::vu&) -> pacer::task<int> { co_return 7; });
    plan.add(
        pacer::scenario("use", pacer::per_vu_iterations(1, 2), [](pacer::vu& vu) -> pacer::task<> {
          (void)vu.setup_data<std::string>();
          co_return;
        }));
    auto r = pacer::run(plan);
    REQUIRE(r.iteration_errors.size() == 1);
    CHECK(r.iteration_errors[0].count == 2);
    CHECK(r.iteration_errors[0].message.find("setup_data: setup returned") == 0);
  }
}

TEST_CASE("an exception ends its iteration, is counted once per message, and the run goes on",
          "[flow][errors]") {
  fixture_server server;
  pacer::test_plan plan;
  plan.add(pacer::scenario("faulty", pacer::per_vu_iterations(2, 5),
                           [&](pacer::vu& vu) -> pacer::task<> {
                             co_await vu.http(pacer::http::get(server.url("/")));
                             if (vu.iteration() % 2 == 1) throw std::runtime_error("odd iteration");
                             if (vu.iteration() == 4) {
                               // A URL built at run time that is no URL: the culprit is named.
                               co_await vu.http(pacer::http::get("htp://127.0.0.1/x"));
                             }
                             // A group name with k6's separator in it.
                             if (vu.iteration() == 2)
                               co_await vu.group("a::b", []() -> pacer::task<> { co_return; });
                           }));
  plan.options.threads = 1;
  auto r = pacer::run(plan);
  require_accounted(r);
  // k6 counts an iteration that threw as a full iteration (and logs the error).
  CHECK(r.totals().completed == 10);
  CHECK(r.count("iterations") == 10);
  CHECK(server.requests() == 10);
  REQUIRE(r.iteration_errors.size() == 3);
  CHECK(r.iteration_errors[0].message == "odd iteration");
  CHECK(r.iteration_errors[0].count == 4);
  CHECK(r.iteration_errors[1].message.find("invalid group name: \"a::b\"") == 0);
  CHECK(r.iteration_errors[2].message.find("invalid URL: \"htp://127.0.0.1/x\"") == 0);
  CHECK(r.iteration_errors[2].count == 2);
  const bool warned = std::any_of(r.warnings.begin(), r.warnings.end(), [](const std::string& w) {
    return w == "an iteration of scenario faulty threw 4 time(s): odd iteration";
  });
  CHECK(warned);
}

TEST_CASE("a hard stop interrupts a flow in a request or in think time", "[flow][stop]") {
  fixture_server server;
  const bool in_request = GENERATE(true, false);
  pacer::test_plan plan;
  plan.add(pacer::scenario("stuck", pacer::constant_vus(3).duration(1s).graceful_stop(0s),
                           [&, in_request](pacer::vu& vu) -> pacer::task<> {
                             auto g = vu.enter_group("waiting");
                             if (in_request)
                               co_await vu.http(pacer::http::get(server.url("/hang")));
                             else
                               co_await vu.sleep(1h);
                           }));
  auto r = pacer::run(plan);
  require_accounted(r);
  CHECK(r.totals().interrupted == 3);
  CHECK(r.totals().completed == 0);
  // Interrupted groups record no duration (k6 skips it for cancelled iterations).
  const auto* gd = r.find("group_duration");
  CHECK((gd == nullptr || gd->trend.count() == 0));
}

TEST_CASE("per-vu-iterations and shared-iterations run exactly their iterations",
          "[flow][executors]") {
  fixture_server server;
  const unsigned threads = GENERATE(1u, 2u);
  std::mutex lock;
  std::multiset<std::uint64_t> in_test;
  std::set<std::uint64_t> vu_ids;
  auto flow = [&](pacer::vu& vu) -> pacer::task<> {
    co_await vu.http(pacer::http::get(server.url("/")));
    std::lock_guard<std::mutex> g(lock);
    in_test.insert(vu.iteration_in_test());
    vu_ids.insert(vu.id());
  };
  SECTION("per-vu-iterations: each VU its own count") {
    pacer::test_plan plan;
    plan.add(pacer::scenario("each", pacer::per_vu_iterations(4, 5), flow));
    plan.options.threads = threads;
    auto r = pacer::run(plan);
    require_accounted(r);
    CHECK(r.totals().completed == 20);
    CHECK(server.requests() == 20);
    CHECK(r.scenarios[0].description ==
          "5 iterations for each of 4 VUs (maxDuration: 10m0s, gracefulStop: 30s)");
  }
  SECTION("shared-iterations: VUs share one count") {
    pacer::test_plan plan;
    plan.add(pacer::scenario("shared", pacer::shared_iterations(3, 20), flow));
    plan.options.threads = threads;
    auto r = pacer::run(plan);
    require_accounted(r);
    CHECK(r.totals().completed == 20);
    CHECK(server.requests() == 20);
    CHECK(r.scenarios[0].description ==
          "20 iterations shared among 3 VUs (maxDuration: 10m0s, gracefulStop: 30s)");
  }
  // k6's scenario.iterationInTest: 0..N-1, each once; __VU numbers every VU once.
  std::vector<std::uint64_t> expected(in_test.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    expected[i] = i;
  CHECK(std::vector<std::uint64_t>(in_test.begin(), in_test.end()) == expected);
  CHECK(*vu_ids.begin() == 1);
  CHECK(*vu_ids.rbegin() == vu_ids.size());
}

TEST_CASE("iterations that maxDuration leaves unstarted are dropped, as in k6",
          "[flow][executors]") {
  fixture_server server;
  auto slow = [&](pacer::vu& vu) -> pacer::task<> {
    co_await vu.http(pacer::http::get(server.url("/slow?ms=100")));
  };
  pacer::test_plan plan;
  plan.add(pacer::scenario("each", pacer::per_vu_iterations(2, 1000).max_duration(1s), slow));
  plan.add(pacer::scenario("shared", pacer::shared_iterations(2, 1000).max_duration(1s), slow));
  auto r = pacer::run(plan);
  require_accounted(r);
  for (const auto& s : r.scenarios) {
    CHECK(s.scheduled == 1000 + (s.name == "each" ? 1000 : 0));
    CHECK(s.dropped > 0);
    CHECK(s.completed + s.interrupted + s.dropped == s.scheduled);
  }
  CHECK(r.count("dropped_iterations") ==
        static_cast<double>(r.scenarios[0].dropped + r.scenarios[1].dropped));
}

TEST_CASE("ramping-vus follows k6's VU steps", "[executors]") {
  // k6's rule: VU u of a ramp from a to b over d ending at T starts at T - d*(b-u)/(b-a);
  // ramping down, the count drops by one at the end of each slice.
  auto steps =
      pacer::ramping_vus(0).stages({{10s, 10}, {5s, 10}, {10s, 5}, {0s, 8}, {1s, 0}}).steps();
  std::vector<std::pair<std::int64_t, std::int64_t>> got;
  for (auto& s : steps)
    got.emplace_back(std::chrono::duration_cast<std::chrono::milliseconds>(s.at).count(), s.vus);
  std::vector<std::pair<std::int64_t, std::int64_t>> want{
      {0, 0},     {1000, 1},  {2000, 2},  {3000, 3},   {4000, 4},  {5000, 5},  {6000, 6},
      {7000, 7},  {8000, 8},  {9000, 9},  {10000, 10}, {17000, 9}, {19000, 8}, {21000, 7},
      {23000, 6}, {25000, 5}, {25000, 8}, {25125, 7},  {25250, 6}, {25375, 5}, {25500, 4},
      {25625, 3}, {25750, 2}, {25875, 1}, {26000, 0}};
  CHECK(got == want);
  // 0 -> 3 over 2 s (groups.js): at 666.67 ms, 1333.33 ms and 2 s, in k6's integer nanoseconds.
  auto small = pacer::ramping_vus(0).stages({{2s, 3}, {1s, 0}}).steps();
  REQUIRE(small.size() == 7);
  CHECK(small[1].at == std::chrono::nanoseconds(666666667));
  CHECK(small[2].at == std::chrono::nanoseconds(1333333334));
  CHECK(pacer::ramping_vus(0).stages({{2s, 3}, {1s, 0}}).description() ==
        "Up to 3 looping VUs for 3s over 2 stages (gracefulRampDown: 30s, gracefulStop: 30s)");
  CHECK_THROWS_WITH(pacer::ramping_vus(0).stages({{1s, 0}}).validate(),
                    Catch::Contains("invalid stages"));
  CHECK_THROWS_WITH(pacer::shared_iterations(5, 2).validate(),
                    Catch::Contains("invalid iterations: \"2\" (expected an integer >= vus (5)"));
}

TEST_CASE("a ramping-vus flow runs its VUs up and down with every iteration accounted",
          "[flow][executors]") {
  fixture_server server;
  auto plan =
      groups_plan(server, pacer::ramping_vus(0).stages({{2s, 3}, {1s, 0}}).graceful_ramp_down(1s));
  auto r = pacer::run(plan);
  require_accounted(r);
  CHECK(r.code() == pacer::exit_code::ok);
  CHECK(r.totals().completed > 0);
  // Each VU leaves after its iteration within gracefulRampDown: none is cut short.
  CHECK(r.totals().interrupted == 0);
  CHECK(r.find("vus_max")->max == 3);
  CHECK(r.count("http_reqs") == 2 * static_cast<double>(r.totals().completed) + 2);
}

TEST_CASE("flow scenarios refuse what only templates have, and tags pacer sets", "[flow][config]") {
  auto flow = [](pacer::vu&) -> pacer::task<> { co_return; };
  pacer::test_plan plan;
  plan.add(pacer::scenario("f", pacer::per_vu_iterations(), flow)
               .check("status", pacer::status_is(200)));
  CHECK_THROWS_WITH(pacer::run(plan),
                    Catch::Contains("vu.check(res, name, predicate) inside the flow"));
  CHECK_THROWS_WITH(pacer::scenario("s", pacer::per_vu_iterations(), flow).tag("scenario", "x"),
                    Catch::Contains("invalid tag scenario: \"x\""));
  CHECK_THROWS_WITH(pacer::scenario("s", pacer::per_vu_iterations(), flow).tag("group", "g"),
                    Catch::Contains("invalid tag group"));
}

namespace {
std::filesystem::path write_temp(const std::string& name, const std::string& content) {
  auto p = std::filesystem::temp_directory_path() / ("pacer-flow-test-" + name);
  std::ofstream(p, std::ios::binary) << content;
  return p;
}
}  // namespace

TEST_CASE("a shared data set loads once from CSV or JSON and feeds VUs", "[flow][data]") {
  SECTION("CSV with a header: quoted fields, CRLF, picking by VU and by iteration") {
    auto p = write_temp("teams.csv",
                        "team_id,issuer_id,note\r\n"
                        "t-platform,iss-local,\"plain\"\r\n"
                        "t-web,iss-local,\"with, comma\"\r\n"
                        "t-data,iss-acme,\"say \"\"hi\"\"\"\r\n");
    auto teams = pacer::shared_array::from_csv(p);
    REQUIRE(teams.size() == 3);
    CHECK(teams[1]["note"] == "with, comma");
    CHECK(teams[2]["note"] == "say \"hi\"");
    CHECK(teams.for_vu(1)["team_id"] == "t-platform");
    CHECK(teams.for_vu(4)["team_id"] == "t-platform");  // round robin, k6's (__VU - 1) % n
    CHECK(teams.for_iteration(5)["team_id"] == "t-data");
    const auto copy = teams;  // shares the rows, copies no data
    CHECK(&copy[0] == &teams[0]);

    fixture_server server;
    std::mutex lock;
    std::multiset<std::string> asked;
    pacer::test_plan plan;
    plan.add(pacer::scenario("feed", pacer::shared_iterations(2, 6),
                             [&, teams](pacer::vu& vu) -> pacer::task<> {
                               const auto& row = teams.for_iteration(vu.iteration_in_test());
                               const std::string team = row["team_id"].get<std::string>();
                               co_await vu.http(pacer::http::get(server.url("/?team=" + team)));
                               std::lock_guard<std::mutex> g(lock);
                               asked.insert(team);
                             }));
    auto r = pacer::run(plan);
    CHECK(r.totals().completed == 6);
    CHECK(asked.count("t-platform") == 2);
    CHECK(asked.count("t-web") == 2);
    CHECK(asked.count("t-data") == 2);
  }
  SECTION("JSON: an array of objects") {
    auto p = write_temp("users.json", R"([{"user":"a","pass":"1"},{"user":"b","pass":"2"}])");
    auto users = pacer::shared_array::from_json(p);
    REQUIRE(users.size() == 2);
    CHECK(users.for_vu(2)["user"] == "b");
    CHECK_THROWS_WITH(pacer::shared_array::from_json(write_temp("obj.json", R"({"a":1})")),
                      Catch::Contains("(expected a JSON array)"));
  }
  SECTION("bad files are refused, naming the file, the row and the accepted form") {
    auto short_row = write_temp("short.csv", "a,b,c\n1,2,3\n4,5\n");
    CHECK_THROWS_WITH(pacer::shared_array::from_csv(short_row),
                      Catch::Contains("short.csv: \"row 3 has 2 fields, the header 3\"") &&
                          Catch::Contains("(expected RFC 4180 CSV"));
    auto bad_quote = write_temp("quote.csv", "a,b\n1,\"unterminated\n");
    CHECK_THROWS_WITH(pacer::shared_array::from_csv(bad_quote), Catch::Contains("quote.csv"));
    auto latin1 = write_temp("latin1.csv", "name\nJos\xe9\n");
    CHECK_THROWS_WITH(pacer::shared_array::from_csv(latin1),
                      Catch::Contains("row 2 field 1 is not UTF-8"));
    CHECK_THROWS_WITH(pacer::shared_array::from_csv("/nonexistent/teams.csv"),
                      Catch::Contains("invalid data file: \"/nonexistent/teams.csv\""));
    pacer::shared_array empty;
    CHECK_THROWS_WITH(empty.random(), Catch::Contains("the data set is empty"));
  }
}

TEST_CASE("k6's stages shorthand is a ramping-vus scenario named default", "[executors]") {
  pacer::test_plan plan;
  plan.stages({{10s, 5}, {20s, 0}}, pacer::http::get("http://127.0.0.1:1/"));
  REQUIRE(plan.scenarios.size() == 1);
  CHECK(plan.scenarios[0].name == "default");
  const auto& e = std::get<pacer::ramping_vus>(plan.scenarios[0].exec);
  CHECK(e.start_vus() == 1);
  CHECK(e.description() ==
        "Up to 5 looping VUs for 30s over 2 stages (gracefulRampDown: 30s, gracefulStop: 30s)");
}

TEST_CASE("the cookie jar keeps RFC 6265's rules", "[cookies]") {
  using pacer::http::parse_url;
  pacer::http::cookie_jar jar;
  const auto now = std::chrono::system_clock::now();
  const auto site = parse_url("https://app.example.com/account/login?next=/");
  jar.store(site, "session=abc; Path=/; Secure; HttpOnly", now);
  jar.store(site, "pref=dark", now);  // host-only, default path /account
  jar.store(site, "wide=1; Domain=.example.com; Path=/", now);
  jar.store(site, "evil=1; Domain=other.com", now);  // another domain: ignored
  jar.store(site, "gone=1; Max-Age=0", now);
  jar.store(site, "old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT", now);
  jar.store(site, "later=1; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/", now);
  CHECK(jar.size() == 4);

  auto header = [&](const char* u) {
    std::string out;
    jar.header_for(parse_url(u), out, now);
    return out;
  };
  // Longest path first, then oldest.
  CHECK(header("https://app.example.com/account/settings") ==
        "pref=dark; session=abc; wide=1; later=1");
  CHECK(header("https://app.example.com/accounts") == "session=abc; wide=1; later=1");
  CHECK(header("http://app.example.com/") == "wide=1; later=1");  // Secure stays on https
  CHECK(header("https://api.example.com/") == "wide=1");          // only the domain cookie
  CHECK(header("https://example.org/").empty());
  // Max-Age=0 on a stored cookie deletes it; an expiry passes.
  jar.store(site, "pref=x; Max-Age=0; Path=/account", now);
  CHECK(header("https://app.example.com/account/x") == "session=abc; wide=1; later=1");
  std::string out;
  jar.header_for(parse_url("https://app.example.com/"), out,
                 now + std::chrono::hours(24 * 365 * 100));
  CHECK(out == "session=abc; wide=1");
}

TEST_CASE("a VU's cookies follow its requests within an iteration, not across", "[flow][cookies]") {
  fixture_server server;
  std::vector<std::string> sent;
  pacer::test_plan plan;
  plan.add(pacer::scenario(
      "cookies", pacer::per_vu_iterations(1, 2), [&](pacer::vu& vu) -> pacer::task<> {
        auto first = co_await vu.http(pacer::http::get(server.url("/cookies")));
        sent.emplace_back(first.body());
        auto set = pacer::http::get(server.url("/cookies"))
                       .header("X-Set-Cookie", "session=s-" + std::to_string(vu.iteration()));
        co_await vu.http(set);
        auto after = co_await vu.http(pacer::http::get(server.url("/cookies?again")));
        sent.emplace_back(after.body());
      }));
  plan.options.threads = 1;
  auto r = pacer::run(plan);
  CHECK(r.totals().completed == 2);
  // Each iteration starts with an empty jar, as in k6.
  CHECK(sent == std::vector<std::string>{"", "session=s-0", "", "session=s-1"});
}

#ifdef PACER_USER_JOURNEY_BIN
TEST_CASE("the user journey example runs against certctl-target", "[process][flow]") {
  certctl_target::temporary_server target;
  auto dir = pacer_test::scratch_dir("user-journey");
  const std::string out = (dir / "stdout.txt").string();
  const std::string command = "CERTCTL_BASE=" + target.url() + " " + PACER_USER_JOURNEY_BIN +
                              " --duration 6s --quiet --results-dir " + dir.string() + " >" + out +
                              " 2>&1";
  REQUIRE(pacer_test::run_process(command) == 0);
  auto data = pacer_test::load_json(dir / "summary-user-journey.json");
  const auto& metrics = data["metrics"];
  CHECK(metrics["http_reqs"]["values"]["count"].get<double>() > 3);
  CHECK(metrics["http_req_failed"]["values"]["rate"] == 0);
  CHECK(metrics.contains("group_duration"));
  CHECK(metrics["group_duration{group:::list}"]["thresholds"]["p(95)<2000"]["ok"] == true);
  // The nested group tree with each step's checks, all passing.
  const auto& root = data["root_group"];
  for (const char* group : {"setup", "list", "renew", "poll"}) {
    INFO(group);
    CHECK(child_group(root, group) != nullptr);
  }
  const auto* list = child_group(root, "list");
  REQUIRE(list != nullptr);
  REQUIRE((*list)["checks"].size() == 2);
  for (const auto& c : (*list)["checks"]) {
    CHECK(c["fails"] == 0);
    CHECK(c["passes"].get<int>() > 0);
  }
  const auto text = pacer_test::read_text(dir / "summary-user-journey.txt");
  CHECK(text.find("     █ list\n\n       ✓ list 200\n") != std::string::npos);
  CHECK(text.find("load-test-token") == std::string::npos);
  std::filesystem::remove_all(dir);
}
#endif

TEST_CASE("externally-controlled scales while the run goes, within maxVUs", "[flow][executors]") {
  fixture_server server;
  pacer::vu_control control(1, 3);
  std::mutex lock;
  std::set<std::uint64_t> vus_seen;
  std::uint64_t iterations_after_zero = 0;
  bool scaled_down = false;
  std::string refused;
  pacer::test_plan plan;
  plan.add(pacer::scenario("controlled", pacer::externally_controlled(control).duration(2s),
                           [&](pacer::vu& vu) -> pacer::task<> {
                             co_await vu.http(pacer::http::get(server.url("/")));
                             std::lock_guard<std::mutex> g(lock);
                             vus_seen.insert(vu.id());
                             if (scaled_down) ++iterations_after_zero;
                             // The control works from any thread, a flow's included: the first
                             // iteration scales up, the 30th scales to 0 (VUs end after their
                             // iteration).
                             if (vu.iteration_in_test() == 0) {
                               try {
                                 control.scale(4);
                               } catch (const pacer::config_error& e) {
                                 refused = e.what();
                               }
                               control.scale(3);
                             }
                             if (vu.iteration_in_test() == 30) {
                               control.scale(0);
                               scaled_down = true;
                             }
                           }));
  plan.options.threads = 2;
  auto r = pacer::run(plan);
  require_accounted(r);
  CHECK(vus_seen == std::set<std::uint64_t>{1, 2, 3});
  CHECK(r.find("vus_max")->max == 3);
  // Scaling down lets running iterations finish: none is interrupted, and no VU goes on
  // for more than the iteration it was in and one started before the change reached it.
  CHECK(r.totals().interrupted == 0);
  CHECK(iterations_after_zero <= 6);
  CHECK(r.totals().completed >= 31);
  CHECK(refused.find("invalid vus: \"4\" (expected at most maxVUs (3)") == 0);
  CHECK(r.scenarios[0].description ==
        "Externally controlled execution with 1 VUs, 3 max VUs, 2s duration");
  CHECK_THROWS_WITH(pacer::vu_control(0, 2).scale(3),
                    Catch::Contains("invalid vus: \"3\" (expected at most maxVUs (2)"));
  CHECK_THROWS_WITH(pacer::vu_control(0, 2).scale(-1), Catch::Contains("invalid vus: \"-1\""));
  CHECK_THROWS_WITH(pacer::externally_controlled(pacer::vu_control(5, 2)).duration(1s).validate(),
                    Catch::Contains("invalid vus: \"5\" (expected at most maxVUs (2)"));
  CHECK_THROWS_WITH(
      pacer::externally_controlled(control).duration(1s).graceful_stop(1s).validate(),
      Catch::Contains("gracefulStop is not supported by the externally controlled executor"));
}
