// Registered load tests: the --pacer_* flags (command line and environment),
// PACER_SCENARIO / PACER_THRESHOLD / PACER_OPTIONS, run_registered, and the
// registered flagship run as a process.
#include <pacer/main.hpp>

#include "support/fixture_server.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <sstream>

using namespace std::chrono_literals;
using pacer_test::fixture_server;
namespace fs = std::filesystem;

namespace {

// A command line as main receives it, with storage that outlives the call.
struct command_line {
  explicit command_line(std::initializer_list<std::string> args) : storage(args) {
    for (auto& s : storage)
      pointers.push_back(s.data());
    pointers.push_back(nullptr);
    argc = static_cast<int>(storage.size());
  }
  std::vector<std::string> rest() const { return {pointers.begin(), pointers.begin() + argc}; }
  char** argv() { return pointers.data(); }
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  int argc;
};

// An environment that holds only what the test puts in it.
struct fake_env {
  std::map<std::string, std::string> vars;
  pacer::env_lookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

pacer::main_flags parse(command_line& cl, const fake_env& env = {}) {
  return pacer::parse_flags(cl.argc, cl.argv(), env.lookup());
}

std::string config_message(command_line cl, const fake_env& env = {}) {
  try {
    parse(cl, env);
  } catch (const pacer::config_error& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("every --pacer_* flag is parsed into the flags value", "[flags]") {
  command_line cl{"prog",
                  "--pacer_filter=^bulk",
                  "--pacer_list",
                  "--pacer_out=json:a.out",
                  "--pacer_out=b.txt",
                  "--pacer_out=export:c.json",
                  "--pacer_duration_scale=0.02",
                  "--pacer_duration=1m30s",
                  "--pacer_dry_run",
                  "--pacer_no_thresholds=true",
                  "--pacer_threads=3",
                  "--pacer_env=BASE=https://127.0.0.1:8443/x=y",
                  "--pacer_insecure_skip_tls_verify",
                  "--pacer_summary_trend_stats=avg,p(99)",
                  "--pacer_quiet=1"};
  auto f = parse(cl);
  CHECK(f.filter == "^bulk");
  CHECK(f.list);
  REQUIRE(f.outs.size() == 3);
  CHECK(f.outs[0] == pacer::output_spec{pacer::output_format::json, "a.out"});
  CHECK(f.outs[1] == pacer::output_spec{pacer::output_format::text, "b.txt"});
  CHECK(f.outs[2] == pacer::output_spec{pacer::output_format::export_, "c.json"});
  CHECK(f.duration_scale == 0.02);
  CHECK(f.duration == 90s);
  CHECK(f.dry_run);
  CHECK(f.no_thresholds);
  CHECK(f.threads == 3u);
  REQUIRE(f.env.size() == 1);
  CHECK(f.env[0].first == "BASE");
  CHECK(f.env[0].second == "https://127.0.0.1:8443/x=y");
  CHECK(f.insecure_skip_tls_verify == true);
  CHECK(f.summary_trend_stats == std::vector<std::string>{"avg", "p(99)"});
  CHECK(f.quiet);
  CHECK_FALSE(f.help);
  CHECK(cl.rest() == std::vector<std::string>{"prog"});
  CHECK(cl.argv()[cl.argc] == nullptr);
}

TEST_CASE("flags not understood are left in argv, in order, for the host framework", "[flags]") {
  command_line cl{"prog",      "--benchmark_filter=x", "--pacer_quiet",
                  "input.txt", "--reporter=xml",       "--help"};
  auto f = parse(cl);
  CHECK(f.quiet);
  CHECK(f.help);  // seen, and left for the host's own help
  CHECK(cl.rest() == std::vector<std::string>{"prog", "--benchmark_filter=x", "input.txt",
                                              "--reporter=xml", "--help"});
}

TEST_CASE("PACER_* environment variables stand in for flags not given", "[flags]") {
  fake_env env;
  env.vars = {{"PACER_FILTER", "renew"},      {"PACER_OUT", "s.json,text:s.log"},
              {"PACER_THREADS", "2"},         {"PACER_ENV", "A=1,B=2"},
              {"PACER_DRY_RUN", "true"},      {"PACER_INSECURE_SKIP_TLS_VERIFY", "0"},
              {"PACER_DURATION_SCALE", "0.5"}};
  SECTION("alone") {
    command_line cl{"prog"};
    auto f = parse(cl, env);
    CHECK(f.filter == "renew");
    REQUIRE(f.outs.size() == 2);
    CHECK(f.outs[1] == pacer::output_spec{pacer::output_format::text, "s.log"});
    CHECK(f.threads == 2u);
    CHECK(f.env.size() == 2);
    CHECK(f.dry_run);
    CHECK(f.insecure_skip_tls_verify == false);
    CHECK(f.duration_scale == 0.5);
  }
  SECTION("a flag wins over its variable") {
    command_line cl{"prog", "--pacer_threads=5", "--pacer_out=only.json"};
    auto f = parse(cl, env);
    CHECK(f.threads == 5u);
    REQUIRE(f.outs.size() == 1);
    CHECK(f.outs[0].path == "only.json");
    CHECK(f.filter == "renew");  // others still come from the environment
  }
  SECTION("a bad variable is named as such") {
    env.vars["PACER_THREADS"] = "many";
    command_line cl{"prog"};
    CHECK(config_message(cl, env) ==
          "invalid PACER_THREADS: \"many\" (expected an integer 1..1024)");
  }
}

TEST_CASE("bad flag values are refused, naming the flag and the accepted form", "[flags]") {
  using cl = command_line;
  CHECK(config_message(cl{"p", "--pacer_threads=0"}) ==
        "invalid --pacer_threads: \"0\" (expected an integer 1..1024)");
  CHECK(config_message(cl{"p", "--pacer_threads"}) ==
        "invalid --pacer_threads: \"\" (expected --pacer_threads=N)");
  CHECK(config_message(cl{"p", "--pacer_duration_scale=-1"}) ==
        "invalid --pacer_duration_scale: \"-1\" (expected a number > 0 such as 0.02)");
  CHECK(config_message(cl{"p", "--pacer_duration_scale=0.5x"}) ==
        "invalid --pacer_duration_scale: \"0.5x\" (expected a number > 0 such as 0.02)");
  CHECK(config_message(cl{"p", "--pacer_duration=5x"}).find("invalid --pacer_duration: \"5x\"") ==
        0);
  CHECK(config_message(cl{"p", "--pacer_filter=("}) ==
        "invalid --pacer_filter: \"(\" (expected an ECMAScript regular expression)");
  CHECK(config_message(cl{"p", "--pacer_out=summary.html"}) ==
        "invalid --pacer_out: \"summary.html\" (expected [json:|text:|export:]FILE, or FILE "
        "ending in .json or .txt)");
  CHECK(config_message(cl{"p", "--pacer_out=json:"}).find("invalid --pacer_out") == 0);
  CHECK(config_message(cl{"p", "--pacer_list=maybe"}) ==
        "invalid --pacer_list: \"maybe\" (expected true, false, 1, 0, yes or no)");
  CHECK(config_message(cl{"p", "--pacer_colour"}) ==
        "invalid flag: \"--pacer_colour\" (expected one of the --pacer_* flags listed by "
        "--pacer_help)");
  // The value of --pacer_env may be a credential: only the key is ever shown.
  auto env_error = config_message(cl{"p", "--pacer_env=no-equals-secret"});
  CHECK(env_error.find("secret") == std::string::npos);
  CHECK(config_message(cl{"p", "--pacer_env=BAD-KEY=hunter2"}) ==
        "invalid --pacer_env: \"BAD-KEY\" (expected KEY=VALUE with KEY made of [A-Za-z0-9_])");
}

TEST_CASE("--help lists every flag with its environment fallback", "[flags]") {
  auto usage = pacer::flags_usage();
  for (const auto& info : pacer::detail::pacer_flag_table)
    CHECK(usage.find("--pacer_" + std::string(info.name)) != std::string::npos);
  CHECK(usage.find("PACER_<FLAG>") != std::string::npos);
}

// ---- registration ----

namespace {

// The URL comes from the environment, as in k6 scripts: --pacer_env sets it.
void registered_get(pacer::scenario_def& s) {
  s.request(pacer::http::get(pacer::env_or("PACER_REGISTRATION_TEST_URL", "http://127.0.0.1:1/")))
      .check("status 200", pacer::status_is(200))
      .tag("kind", "read");
}
void registered_post(pacer::scenario_def& s) {
  s.request(pacer::http::post(
      pacer::env_or("PACER_REGISTRATION_TEST_URL", "http://127.0.0.1:1/") + "echo", "{}"));
}

}  // namespace

PACER_SCENARIO(registered_get)->constant_arrival_rate(20, 1s)->duration(1h)->pre_allocated_vus(2);
PACER_SCENARIO(registered_post)
    ->ramping_arrival_rate(0)
    ->stage(30min, 10)
    ->stage(30min, 0)
    ->start_time(10s)
    ->pre_allocated_vus(1)
    ->max_vus(4);
PACER_THRESHOLD("http_req_failed{scenario:registered_get}", "rate<0.01");
PACER_THRESHOLD("http_req_duration", "p(99)<5000");
PACER_OPTIONS()->summary_trend_stats({"med", "p(99)"})->threads(1);

TEST_CASE("registered scenarios, thresholds and options make one plan", "[registration]") {
  auto plan = pacer::registered_plan();
  REQUIRE(plan.scenarios.size() == 2);
  CHECK(plan.scenarios[0].name == "registered_get");
  CHECK(plan.scenarios[0].tags.find("kind") != nullptr);
  CHECK(plan.scenarios[0].checks.size() == 1);
  const auto& ramp = std::get<pacer::ramping_arrival_rate>(plan.scenarios[1].exec);
  CHECK(ramp.stages().size() == 2);
  CHECK(ramp.start_time() == 10s);
  CHECK(ramp.max_vus() == 4);
  CHECK(plan.thresholds.size() == 2);
  CHECK(plan.options.summary_trend_stats == std::vector<std::string>{"med", "p(99)"});
  CHECK(plan.options.threads == 1u);
  CHECK(pacer::registered_scenario_names() ==
        std::vector<std::string>{"registered_get", "registered_post"});
}

TEST_CASE("flags reshape the registered plan", "[registration]") {
  pacer::main_flags f;
  SECTION("filter") {
    f.filter = "post$";
    auto plan = pacer::registered_plan(f);
    REQUIRE(plan.scenarios.size() == 1);
    CHECK(plan.scenarios[0].name == "registered_post");
    f.filter = "nothing-matches";
    CHECK_THROWS_AS(pacer::registered_plan(f), pacer::config_error);
  }
  SECTION("duration scale: durations, stages and start times, never below k6's 1 s minimum") {
    f.duration_scale = 0.001;
    auto plan = pacer::registered_plan(f);
    CHECK(std::get<pacer::constant_arrival_rate>(plan.scenarios[0].exec).duration() == 3600ms);
    const auto& ramp = std::get<pacer::ramping_arrival_rate>(plan.scenarios[1].exec);
    CHECK(ramp.stages()[0].duration == 1800ms);
    CHECK(ramp.start_time() == 10ms);
  }
  SECTION("dry run: one iteration per scenario, no thresholds") {
    f.dry_run = true;
    auto plan = pacer::registered_plan(f);
    for (const auto& sc : plan.scenarios) {
      const auto& e = std::get<pacer::constant_arrival_rate>(sc.exec);
      CHECK(e.total_iterations() == 1);
    }
    CHECK(plan.thresholds.empty());
  }
  SECTION("no thresholds, TLS, trend stats, threads") {
    f.no_thresholds = true;
    f.insecure_skip_tls_verify = true;
    f.summary_trend_stats = std::vector<std::string>{"max"};
    f.threads = 2;
    auto plan = pacer::registered_plan(f);
    CHECK(plan.thresholds.empty());
    CHECK(plan.options.tls.insecure_skip_verify);
    CHECK(plan.options.summary_trend_stats == std::vector<std::string>{"max"});
    CHECK(plan.options.threads == 2u);
  }
}

TEST_CASE("a registration with bad settings is refused when the plan is built, not at start-up",
          "[registration]") {
  pacer::scenario_registration no_executor(
      "x", [](pacer::scenario_def& s) { s.request(pacer::http::get("http://127.0.0.1:1/")); });
  pacer::test_plan plan;
  try {
    (void)no_executor.build(plan);
    FAIL("accepted a scenario without an executor");
  } catch (const pacer::config_error& e) {
    CHECK(std::string(e.what()).find("->constant_arrival_rate(rate)") != std::string::npos);
  }
  pacer::scenario_registration no_request("y", [](pacer::scenario_def&) {});
  no_request.constant_vus(1)->duration(1s);
  CHECK_THROWS_WITH(no_request.build(plan), Catch::Contains("s.request("));
  pacer::scenario_registration mixed(
      "z", [](pacer::scenario_def& s) { s.request(pacer::http::get("http://127.0.0.1:1/")); });
  mixed.constant_vus(2)->duration(1s)->max_vus(5);
  CHECK_THROWS_WITH(mixed.build(plan), Catch::Contains("arrival-rate executors only"));
}

TEST_CASE("run_registered: a dry run against a loopback server writes every output",
          "[registration][engine]") {
  fixture_server server;
  auto dir = pacer_test::scratch_dir("registered");
  pacer::main_flags f;
  f.dry_run = true;
  f.env = {{"PACER_REGISTRATION_TEST_URL", server.url("/")}};
  f.outs = {{pacer::output_format::json, (dir / "s.json").string()},
            {pacer::output_format::text, (dir / "nested" / "s.txt").string()},
            {pacer::output_format::export_, (dir / "export.json").string()}};
  std::ostringstream out, err;
  int code = pacer::run_registered(f, {out, err, false});
  INFO(err.str());
  CHECK(code == 0);
  CHECK(server.requests_at("/") == 1);
  CHECK(server.requests_at("/echo") == 1);
  auto data = pacer_test::load_json(dir / "s.json");
  CHECK(data["metrics"]["http_reqs"]["values"]["count"] == 2);
  CHECK(data["root_group"]["checks"][0]["passes"] == 1);
  CHECK(pacer_test::read_text(dir / "nested" / "s.txt").find("http_reqs") != std::string::npos);
  CHECK(pacer_test::load_json(dir / "export.json")["metrics"].contains("http_reqs"));
  // The text summary goes to stdout as well, as k6's default summary does.
  CHECK(out.str().find("http_req_duration") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("run_registered: --pacer_list, a bad output path, and thresholds gating the exit code",
          "[registration][engine]") {
  std::ostringstream out, err;
  SECTION("list, filtered") {
    pacer::main_flags f;
    f.list = true;
    f.filter = "get";
    CHECK(pacer::run_registered(f, {out, err, false}) == 0);
    CHECK(out.str() == "registered_get\n");
  }
  SECTION("an output that cannot be written is refused before any request: 104") {
    fixture_server server;
    pacer::main_flags f;
    f.dry_run = true;
    f.env = {{"PACER_REGISTRATION_TEST_URL", server.url("/")}};
    f.outs = {{pacer::output_format::json, "/proc/no-such-dir/s.json"}};
    CHECK(pacer::run_registered(f, {out, err, false}) == 104);
    CHECK(err.str().find("invalid --pacer_out: \"/proc/no-such-dir/s.json\"") != std::string::npos);
    CHECK(server.requests_at("/") == 0);
  }
  SECTION("failing requests fail the registered threshold: 99") {
    fixture_server server;
    pacer::main_flags f;
    f.duration = 1s;
    f.filter = "get";
    f.quiet = true;
    f.env = {{"PACER_REGISTRATION_TEST_URL", server.url("/status/500?")}};
    CHECK(pacer::run_registered(f, {out, err, false}) == 99);
    CHECK(server.requests_at("/status/500") == 20);
  }
}

TEST_CASE("the registered flagship runs as a process with --pacer_* flags", "[process]") {
  fixture_server server({.tls = true});
  auto dir = pacer_test::scratch_dir("registered-flagship");
  const std::string bin = PACER_BULK_RENEWAL_REGISTERED_BIN;
  const std::string out = (dir / "stdout.txt").string();
  const std::string env = "CERTCTL_TOKEN=load-test-token CERTCTL_BASE=https://127.0.0.1:" +
                          std::to_string(server.port()) + " ";
  auto run = [&](const std::string& args) {
    return pacer_test::run_process(env + bin + " " + args + " >" + out + " 2>&1");
  };
  CHECK(run("--help") == 0);
  CHECK(pacer_test::read_text(out).find("--pacer_duration_scale=F") != std::string::npos);
  CHECK(run("--pacer_list") == 0);
  CHECK(pacer_test::read_text(out) == "bulk_renewal\n");
  CHECK(run("--pacer_threads=none") == 104);
  CHECK(pacer_test::read_text(out).find("invalid --pacer_threads: \"none\"") != std::string::npos);
  CHECK(run("stray-argument") == 104);
  CHECK(pacer_test::read_text(out).find("stray-argument") != std::string::npos);
  CHECK(run("--pacer_duration=2s --pacer_out=" + (dir / "s.json").string()) == 0);
  CHECK(server.requests_at("/api/v1/certificates/bulk-renew") == 10);
  auto data = pacer_test::load_json(dir / "s.json");
  CHECK(data["root_group"]["checks"][0]["passes"] == 10);
  CHECK(data["metrics"]["http_req_duration{scenario:bulk_renewal}"]["thresholds"]["p(95)<2000"]
            ["ok"] == true);
  auto text = pacer_test::read_text(out);
  CHECK(text.find("running (") != std::string::npos);  // the progress display
  CHECK(text.find("load-test-token") == std::string::npos);
  fs::remove_all(dir);
}
