// What a harness process guarantees on its way out: SIGINT or SIGTERM mid-run
// writes complete summary files and exits 105; a second signal exits at once and
// leaves no half-written file behind; the token never reaches any output.
#include "support/fixture_server.hpp"
#include "support/test_files.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using pacer_test::fixture_server;
namespace fs = std::filesystem;

namespace {

// The flagship harness as a child process, its output in a file.
class harness_process {
 public:
  harness_process(const std::string& base, const fs::path& dir) : out_(dir / "stdout.txt") {
    std::vector<std::string> args = {PACER_BULK_RENEWAL_BIN, "--duration", "1h", "--results-dir",
                                     dir.string()};
    const std::string base_env = "CERTCTL_BASE=" + base;
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::putenv(const_cast<char*>(base_env.c_str()));
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~harness_process() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  // Waits (at most 20 s) until the run has started sending: its progress display
  // reports a completed iteration.
  bool wait_until_running() const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < give_up) {
      auto text = pacer_test::read_text(out_);
      if (text.find(" complete and ") != std::string::npos &&
          text.find("running (") != std::string::npos &&
          text.find(", 0 complete and ") == std::string::npos)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  // The exit code, or -1 if killed by a signal; waits at most 60 s.
  int wait_exit() {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int status = 0;
    while (std::chrono::steady_clock::now() < give_up) {
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -2;  // still running: a hang
  }

  std::string output() const { return pacer_test::read_text(out_); }

 private:
  fs::path out_;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// No temporary file is left next to the results.
bool no_temporaries(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".tmp") return false;
  return true;
}

}  // namespace

TEST_CASE("SIGINT or SIGTERM mid-run: complete summary files, exit 105", "[process][stop]") {
  const int sig = GENERATE(SIGINT, SIGTERM);
  fixture_server server({.tls = true});
  auto dir = pacer_test::scratch_dir("stop-" + std::to_string(sig));
  harness_process p("https://127.0.0.1:" + std::to_string(server.port()), dir);
  REQUIRE(p.wait_until_running());
  p.signal(sig);
  CHECK(p.wait_exit() == 105);
  auto data = pacer_test::load_json(dir / "summary-bulk-renewal.json");
  const auto& it = data["pacer"]["iterations"];
  CHECK(it["completed"].get<std::uint64_t>() > 0);
  CHECK(it["scheduled"] == it["completed"].get<std::uint64_t>() +
                               it["interrupted"].get<std::uint64_t>() +
                               it["dropped"].get<std::uint64_t>());
  CHECK(data["state"]["testRunDurationMs"].get<double>() < 3600e3);
  CHECK(data["metrics"]["http_reqs"]["values"]["count"] == it["completed"]);
  auto text = pacer_test::read_text(dir / "summary-bulk-renewal.txt");
  CHECK(text.find("http_reqs") != std::string::npos);
  CHECK(p.output().find("http_req_duration") != std::string::npos);  // the summary on stdout
  CHECK(no_temporaries(dir));
  fs::remove_all(dir);
}

TEST_CASE("a second SIGINT exits at once, never leaving a half-written file", "[process][stop]") {
  fixture_server server({.tls = true});
  auto dir = pacer_test::scratch_dir("stop-twice");
  harness_process p("https://127.0.0.1:" + std::to_string(server.port()), dir);
  REQUIRE(p.wait_until_running());
  p.signal(SIGINT);
  p.signal(SIGINT);
  CHECK(p.wait_exit() == 105);
  // Whatever got written is whole: each file is either absent or complete.
  for (const char* name : {"summary-bulk-renewal.json", "summary-bulk-renewal.txt"}) {
    INFO(name);
    if (!fs::exists(dir / name)) continue;
    CHECK(fs::file_size(dir / name) > 0);
    if (std::string(name).ends_with(".json")) CHECK_NOTHROW(pacer_test::load_json(dir / name));
  }
  fs::remove_all(dir);
}

TEST_CASE("a known token appears in no output, error message or summary file",
          "[process][secrets]") {
  fixture_server server({.tls = true});
  auto dir = pacer_test::scratch_dir("secrets");
  const std::string token = "tok-4f1c-never-printed";
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port());
  auto run = [&](const std::string& env, const std::string& args, const std::string& out) {
    return pacer_test::run_process("CERTCTL_TOKEN=" + token + " " + env + " " +
                                   PACER_BULK_RENEWAL_BIN + " " + args + " --results-dir " +
                                   dir.string() + " >" + (dir / out).string() + " 2>&1");
  };
  // The fixture expects another token: every request fails with 401, thresholds fail.
  CHECK(run("CERTCTL_BASE=" + base, "--duration 1s", "rejected.txt") == 99);
  // A bad URL: a configuration error, before any request.
  CHECK(run("CERTCTL_BASE=ftp://127.0.0.1:1", "--duration 1s", "bad-url.txt") == 104);
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    INFO(e.path().filename().string());
    ++files;
    CHECK(pacer_test::read_text(e.path()).find(token) == std::string::npos);
  }
  CHECK(files == 4);  // two outputs and the first run's two summary files
  fs::remove_all(dir);
}
