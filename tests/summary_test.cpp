// Summaries and exit codes: real k6 files load and write back, thresholds gate
// the exit code, and the flagship harness runs end to end as a process.
#include <pacer/cli/run_main.hpp>

#include "support/fixture_server.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace std::chrono_literals;
using pacer_test::fixture_server;
namespace fs = std::filesystem;

using pacer_test::load_json;
using pacer_test::read_text;
using pacer_test::run_process;
using pacer_test::scratch_dir;

TEST_CASE("real k6 handleSummary files load and write back with the same keys", "[report]") {
  for (auto name : {"cloud-portfolio-handlesummary.json", "mostlyucid-nmt-handlesummary.json"}) {
    INFO(name);
    auto original = load_json(fs::path(PACER_TEST_DATA_DIR) / "k6-samples" / name);
    auto s = pacer::summary::from_data(original);
    CHECK(nlohmann::json::parse(s.json(2)) == original);
    // Both samples have a failed threshold: a k6 run would have exited 99.
    CHECK(s.code() == pacer::exit_code::thresholds_failed);
    auto exported = nlohmann::json::parse(s.export_json());
    CHECK(exported["root_group"]["checks"].is_object());
    CHECK_FALSE(exported.contains("state"));
    for (auto& [key, m] : original["metrics"].items()) {
      INFO(key);
      if (m["type"] == "rate") CHECK(exported["metrics"][key].contains("value"));
      if (m.contains("thresholds"))
        for (auto& [expr, t] : m["thresholds"].items())
          CHECK(exported["metrics"][key]["thresholds"][expr] == !t["ok"].get<bool>());
    }
    CHECK_FALSE(s.text({.indent = " ", .enable_colors = false}).empty());
  }
}

TEST_CASE("data that is not k6 summary data is refused with the reason", "[report]") {
  CHECK_THROWS_AS(pacer::summary::from_data(nlohmann::json::array()), pacer::config_error);
  auto no_type =
      nlohmann::json::parse(R"({"root_group":{"name":"","path":"","id":"x","groups":[],"checks":[]},
      "metrics":{"m":{"contains":"default","values":{}}}})");
  try {
    pacer::summary::from_data(no_type);
    FAIL("accepted");
  } catch (const pacer::config_error& e) {
    CHECK(std::string(e.what()).find("summary metric m type") != std::string::npos);
  }
}

TEST_CASE("thresholds decide the exit code and appear in the summary data", "[engine][threshold]") {
  fixture_server server;
  pacer::test_plan plan;
  plan.add(pacer::scenario("api",
                           pacer::constant_arrival_rate(4, 1s).duration(1s).pre_allocated_vus(2),
                           pacer::http::get(server.url("/status/503"))));
  plan.threshold("http_req_failed{scenario:api}", {"rate<0.01"});
  plan.threshold("http_reqs", {"count>=4", pacer::count() < 100});
  plan.threshold("checks", {"rate>0.9"});  // no checks ran: a rate without samples passes
  plan.options.threads = 1;
  auto r = pacer::run(plan);
  CHECK(r.code() == pacer::exit_code::thresholds_failed);
  REQUIRE(r.thresholds.size() == 4);
  CHECK_FALSE(r.thresholds[0].ok);
  CHECK(r.thresholds[1].ok);
  CHECK(r.thresholds[2].ok);
  CHECK(r.thresholds[2].source == "count<100");
  CHECK(r.thresholds[3].ok);
  auto data = pacer::summary_data(r);
  CHECK(data["metrics"]["http_req_failed{scenario:api}"]["thresholds"]["rate<0.01"]["ok"] == false);
  CHECK(data["metrics"]["http_req_failed{scenario:api}"]["values"]["passes"] == 4);
  CHECK(data["metrics"]["checks"]["thresholds"]["rate>0.9"]["ok"] == true);
}

TEST_CASE(
    "a threshold on an unknown metric or with the wrong aggregation is refused before the run",
    "[unit][threshold]") {
  pacer::test_plan plan;
  plan.add(pacer::scenario("s", pacer::constant_vus(1).duration(1s),
                           pacer::http::get("http://127.0.0.1:1/")));
  plan.threshold("http_req_durations", {"p(95)<200"});
  CHECK_THROWS_WITH(pacer::run(plan), Catch::Contains("http_req_durations"));
  plan.thresholds.clear();
  plan.threshold("http_reqs", {"p(95)<200"});
  CHECK_THROWS_WITH(pacer::run(plan), Catch::Contains("unsupported aggregation method p(95)"));
  CHECK_THROWS_AS(plan.threshold("http_reqs", {"p(95)<<200"}), pacer::config_error);
}

TEST_CASE("an abortOnFail threshold stops the run early and fails it", "[engine][threshold]") {
  fixture_server server;
  pacer::test_plan plan;
  plan.add(pacer::scenario("s", pacer::constant_vus(1).duration(1h),
                           pacer::http::get(server.url("/status/500"))));
  plan.threshold("http_req_failed", {pacer::abort_on_fail("rate<0.5")});
  plan.options.threads = 1;
  auto r = pacer::run(plan);  // an hour unless the threshold stops it
  CHECK(r.aborted_by_threshold);
  CHECK(r.code() == pacer::exit_code::thresholds_failed);
  CHECK(r.test_run_duration < 1h);
  CHECK(r.totals().completed > 0);
}

TEST_CASE("the bulk-renewal harness runs end to end and gates on its thresholds", "[process]") {
  fixture_server server({.tls = true});
  auto base = "https://127.0.0.1:" + std::to_string(server.port());
  auto dir = scratch_dir("bulk");
  auto command = [&](const std::string& env, const std::string& args) {
    return env + " CERTCTL_BASE=" + base + " " + PACER_BULK_RENEWAL_BIN + " " + args +
           " --results-dir " + dir.string() + " >" + (dir / "stdout.txt").string() + " 2>&1";
  };

  SECTION("passing: exit 0, three outputs") {
    CHECK(run_process(command("NO_COLOR=1", "--duration 1s")) == 0);
    CHECK(server.requests_at("/api/v1/certificates/bulk-renew") == 5);
    auto data = load_json(dir / "summary-bulk-renewal.json");
    CHECK(data["root_group"]["checks"][0]["name"] == "bulk-renew 2xx");
    CHECK(data["root_group"]["checks"][0]["passes"] == 5);
    CHECK(data["metrics"]["http_req_duration{scenario:bulk_renewal}"]["thresholds"]["p(99)<5000"]
              ["ok"] == true);
    CHECK(data["options"]["summaryTrendStats"] ==
          nlohmann::json::array({"avg", "min", "med", "p(95)", "p(99)", "max"}));
    auto text = read_text(dir / "summary-bulk-renewal.txt");
    CHECK(text.find("bulk-renew 2xx") != std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);  // no colours in the file
    auto out = read_text(dir / "stdout.txt");
    CHECK(out.find("http_req_duration") != std::string::npos);
    CHECK(out.find("load-test-token") == std::string::npos);
  }
  SECTION("a wrong token fails the checks and the error-rate threshold: exit 99, summary written") {
    CHECK(run_process(command("CERTCTL_TOKEN=wrong", "--duration 1s")) == 99);
    auto data = load_json(dir / "summary-bulk-renewal.json");
    CHECK(data["metrics"]["http_req_failed{scenario:bulk_renewal}"]["thresholds"]["rate<0.01"]
              ["ok"] == false);
    CHECK(data["root_group"]["checks"][0]["fails"] == 5);
    CHECK(data["pacer"]["failed_requests_by_error_code"]["1401"] == 5);
  }
  SECTION("a bad option: exit 104 naming it") {
    CHECK(run_process(command("", "--duration 5x")) == 104);
    CHECK(read_text(dir / "stdout.txt").find("invalid --duration: \"5x\"") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("pacer-http gates on --threshold and refuses a bad one", "[process]") {
  fixture_server server;
  auto dir = scratch_dir("http");
  auto out = (dir / "out.txt").string();
  std::string bin = PACER_HTTP_BIN;
  CHECK(run_process(bin + " " + server.url("/status/503") +
                    " --rate 2 --duration 1s --threads 1 --threshold 'http_req_failed=rate<0.5' >" +
                    out + " 2>&1") == 99);
  CHECK(read_text(out).find("threshold FAILED http_req_failed: rate<0.5") != std::string::npos);
  CHECK(run_process(bin + " " + server.url("/") + " --threshold 'http_req_duration=p(99)<<5' >" +
                    out + " 2>&1") == 104);
  CHECK(read_text(out).find("p(99)<<5") != std::string::npos);
  fs::remove_all(dir);
}
