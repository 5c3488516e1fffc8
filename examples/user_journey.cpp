// A user's journey through certctl as a flow: list a team's certificates (paged), renew that
// page in bulk, poll each renewal job until it completes, with think time between steps, on a
// ramping number of VUs fed from a CSV of teams. The k6 script it ports is in the README.
#include <pacer/cli/run_main.hpp>
#include <pacer/data/shared_array.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;

#ifndef PACER_EXAMPLE_DATA_DIR
#define PACER_EXAMPLE_DATA_DIR "examples/data"
#endif

static pacer::test_plan user_journey_plan() {
  const std::string base = pacer::env_or("CERTCTL_BASE", "https://localhost:8443");
  const pacer::secret token = pacer::secret_env("CERTCTL_TOKEN", "load-test-token");
  // k6's SharedArray: loaded once, read by every VU.
  const auto teams = pacer::shared_array::from_csv(
      pacer::env_or("USER_JOURNEY_TEAMS", PACER_EXAMPLE_DATA_DIR "/teams.csv"));

  pacer::test_plan plan;
  plan.setup([base](pacer::vu& vu) -> pacer::task<> {
    auto health = co_await vu.http(pacer::http::get(base + "/health"));
    if (health.status() != 200)
      throw std::runtime_error("certctl at " + base + " is not up (GET /health: status " +
                               std::to_string(health.status()) + ", " +
                               std::string(health.error()) + ")");
  });

  auto journey = [base, token, teams](pacer::vu& vu) -> pacer::task<> {
    const std::string team = teams.for_vu(vu.id())["team_id"].get<std::string>();
    std::vector<std::string> certificates;
    co_await vu.group("list", [&]() -> pacer::task<> {
      const auto page = std::to_string(1 + vu.iteration() % 10);
      auto res = co_await vu.http(
          pacer::http::get(base + "/api/v1/certificates?team_id=" + team + "&page=" + page +
                           "&per_page=5")
              .bearer(token)
              .tag("name", base + "/api/v1/certificates?team_id=${team}&page=${page}"));
      vu.check(res, "list 200", pacer::status_is(200));
      if (res.status() == 200)
        for (const auto& c : res.json("/data"))
          certificates.push_back(c.at("id").get<std::string>());
      vu.check("list has certificates", !certificates.empty());
    });
    if (certificates.empty()) co_return;
    co_await vu.sleep(500ms);

    std::vector<std::string> jobs;
    co_await vu.group("renew", [&]() -> pacer::task<> {
      // Built in a statement of its own: GCC 12 rejects a braced list with string literals
      // inside a co_await expression.
      auto renew = pacer::http::post(base + "/api/v1/certificates/bulk-renew")
                       .json({{"certificate_ids", certificates}})
                       .bearer(token);
      auto res = co_await vu.http(renew);
      vu.check(res, "renew 200", pacer::status_is(200));
      if (res.status() == 200)
        for (const auto& j : res.json().value("enqueued_jobs", nlohmann::json::array()))
          jobs.push_back(j.at("job_id").get<std::string>());
    });

    co_await vu.group("poll", [&]() -> pacer::task<> {
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      for (const auto& job : jobs) {
        for (;;) {
          auto res = co_await vu.http(pacer::http::get(base + "/api/v1/jobs/" + job)
                                          .bearer(token)
                                          .tag("name", base + "/api/v1/jobs/${id}"));
          vu.check(res, "job 200", pacer::status_is(200));
          if (res.status() != 200) break;
          if (res.json("/status") == "completed") break;
          if (std::chrono::steady_clock::now() > deadline) {
            vu.check("job completed within 10s", false);
            co_return;
          }
          co_await vu.sleep(200ms);
        }
      }
      vu.check("job completed within 10s", true);
    });
    co_await vu.sleep(1s);
  };

  plan.add(pacer::scenario(
      "user_journey",
      pacer::ramping_vus(0).stages({{10s, 3}, {40s, 3}, {10s, 0}}).graceful_ramp_down(15s),
      journey));
  plan.threshold("http_req_failed", {"rate<0.01"});
  plan.threshold("checks", {"rate>0.99"});
  plan.threshold("group_duration{group:::list}", {"p(95)<2000"});
  plan.options.summary_trend_stats = {"avg", "min", "med", "p(95)", "p(99)", "max"};
  plan.options.tls.insecure_skip_verify = true;
  return plan;
}

int main(int argc, char** argv) {
  return pacer::run_main(argc, argv, user_journey_plan, [](const pacer::summary& data) {
    return pacer::summary_outputs{
        {"summary-user-journey.json", data.json(2)},
        {"summary-user-journey.txt", data.text({.indent = " ", .enable_colors = false})},
        {"stdout", data.text({.indent = " ", .enable_colors = data.colors_for_stdout()})},
    };
  });
}
