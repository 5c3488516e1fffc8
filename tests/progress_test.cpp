// k6's run header and live progress display, checked against the compatibility
// reference (section 6) and the lines of a real k6 console capture.
//
// Colour goldens write ESC as "\e", as the reference does; the others spell it \x1b.

#include <pacer/report/progress_display.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pacer::executor_kind;
using pacer::format_fixed_duration;
using pacer::nanoseconds;
using pacer::progress_display;
using pacer::progress_mode;
using pacer::progress_snapshot;
using pacer::progress_style;
using pacer::render_progress;
using pacer::scenario_progress;
using pacer::scenario_status;

std::string esc(std::string s) {
  for (std::size_t pos = 0; (pos = s.find("\\e", pos)) != std::string::npos;)
    s.replace(pos, 2, "\x1b");
  return s;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = text.find(part, pos)) != std::string::npos; pos += part.size())
    ++n;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// The user's scenario: 5 iterations/s for 5m, 10 pre-allocated VUs, at most 30.
scenario_progress bulk_renewal(nanoseconds elapsed, std::int64_t busy,
                               scenario_status status = scenario_status::running) {
  scenario_progress s;
  s.name = "bulk_renewal";
  s.kind = executor_kind::constant_arrival_rate;
  s.status = status;
  s.duration = 5min;
  s.elapsed = elapsed;
  s.busy_vus = busy;
  s.active_vus = 10;
  s.max_vus = 30;
  s.rate = 5;
  s.max_rate = 5;
  return s;
}

progress_snapshot run_at(nanoseconds elapsed, std::int64_t busy, std::uint64_t completed,
                         std::vector<scenario_progress> scenarios) {
  progress_snapshot p;
  p.elapsed = elapsed;
  p.max_duration = 5min + 30s;
  p.busy_vus = busy;
  p.initialized_vus = 10;
  p.max_vus = 30;
  p.completed = completed;
  p.scenarios = std::move(scenarios);
  return p;
}

progress_snapshot user_run(nanoseconds elapsed, std::int64_t busy, std::uint64_t completed,
                           scenario_status status = scenario_status::running) {
  return run_at(elapsed, busy, completed, {bulk_renewal(elapsed, busy, status)});
}

scenario_progress constant_vus(std::string name, std::int64_t vus, nanoseconds duration,
                               nanoseconds elapsed, scenario_status status) {
  scenario_progress s;
  s.name = std::move(name);
  s.kind = executor_kind::constant_vus;
  s.status = status;
  s.duration = duration;
  s.elapsed = elapsed;
  s.busy_vus = s.active_vus = s.max_vus = vus;
  return s;
}

scenario_progress waiting_vus(std::string name, std::int64_t vus, nanoseconds duration,
                              nanoseconds start) {
  scenario_progress s = constant_vus(std::move(name), vus, duration, 0s, scenario_status::waiting);
  s.start_time = start;
  return s;
}

// The three scenarios of the k6 capture (setup excluded: pacer has none).
progress_snapshot capture_run(nanoseconds elapsed, std::vector<scenario_progress> scenarios) {
  progress_snapshot p;
  p.elapsed = elapsed;
  p.max_duration = 2min + 5s;
  p.busy_vus = p.initialized_vus = p.max_vus = 10;
  p.scenarios = std::move(scenarios);
  return p;
}

}  // namespace

TEST_CASE("fixed-length durations: every row of k6's table", "[progress]") {
  // < 10 s: S.Ts
  CHECK(format_fixed_duration(4200ms, 9s) == "4.2s");
  CHECK(format_fixed_duration(0s, 0s) == "0.0s");
  // < 1 min: SS.Ts
  CHECK(format_fixed_duration(5s, 20s) == "05.0s");
  CHECK(format_fixed_duration(24400ms, 25s) == "24.4s");
  // < 10 min: MmSS.Ts
  CHECK(format_fixed_duration(5s, 5min + 30s) == "0m05.0s");
  CHECK(format_fixed_duration(2min + 3400ms, 5min) == "2m03.4s");
  // < 1 h: MMmSS.Ts
  CHECK(format_fixed_duration(5s, 10min) == "00m05.0s");
  // < 10 h: HhMMmSS.Ts
  CHECK(format_fixed_duration(5s, 1h) == "0h00m05.0s");
  CHECK(format_fixed_duration(183s, 2h) == "0h03m03.0s");
  // < 24 h: HHhMMmSS.Ts
  CHECK(format_fixed_duration(5s, 10h) == "00h00m05.0s");
  CHECK(format_fixed_duration(13h + 2min + 1s, 23h) == "13h02m01.0s");
  // >= 24 h: days with as many digits as the maximum needs
  CHECK(format_fixed_duration(183s, 25h) == "0d00h03m03.0s");
  CHECK(format_fixed_duration(25h, 25h) == "1d01h00m00.0s");
  CHECK(format_fixed_duration(482h, 4800h) == "020d02h00m00.0s");
}

TEST_CASE("fixed-length durations round to the tenth and never shrink below the value",
          "[progress]") {
  CHECK(format_fixed_duration(9940ms, 0s) == "9.9s");
  CHECK(format_fixed_duration(9950ms, 0s) == "10.0s");  // the rounded value needs two digits
  CHECK(format_fixed_duration(2min + 3350ms, 5min) == "2m03.4s");  // halves round up
  CHECK(format_fixed_duration(1100ms, 10s) == "01.1s");
  CHECK(format_fixed_duration(482h, 25h) == "20d02h00m00.0s");  // max raised to the value
  CHECK(format_fixed_duration(5min + 600ms, 5min + 30s) == "5m00.6s");
  CHECK(format_fixed_duration(2min + 20400ms, 2min + 5s) == "2m20.4s");
  CHECK(format_fixed_duration(-1100ms, -1min) == "0m01.1s");  // k6 drops signs
}

TEST_CASE("non-TTY block of the user's scenario at 5 s and at the end", "[progress]") {
  CHECK(render_progress(user_run(5s, 2, 23)) ==
        "\n"
        "running (0m05.0s), 02/10 VUs, 23 complete and 0 interrupted iterations\n"
        "bulk_renewal   [   2% ] 02/10 VUs  0m05.0s/5m0s  5.00 iters/s\n");

  progress_snapshot end = user_run(5min + 600ms, 0, 1500, scenario_status::finished);
  end.final = true;
  CHECK(render_progress(end) ==
        "\n"
        "running (5m00.6s), 00/10 VUs, 1500 complete and 0 interrupted iterations\n"
        "bulk_renewal \xE2\x9C\x93 [ 100% ] 00/10 VUs  5m0s  5.00 iters/s\n");
}

TEST_CASE("non-TTY percentages are rounded and right-aligned", "[progress]") {
  CHECK(render_progress(user_run(0s, 0, 0)).find("[   0% ]") != std::string::npos);
  CHECK(render_progress(user_run(123400ms, 2, 615)).find("[  41% ]") != std::string::npos);
  CHECK(render_progress(user_run(299s, 2, 1495)).find("[ 100% ]") != std::string::npos);
}

TEST_CASE("TTY bar at 41 % with k6's escape sequences", "[progress]") {
  const std::string bar = "[==============>-----------------------]";
  REQUIRE(bar.size() == 40);
  const std::string line = "bulk_renewal   " + bar + " 02/10 VUs  2m03.4s/5m0s  5.00 iters/s";

  SECTION("wide terminal: the cursor goes back over the empty line, the stats and one bar") {
    CHECK(render_progress(user_run(123400ms, 2, 615), progress_style::terminal(false, 40, 120)) ==
          "\x1b[K\n"
          "running (2m03.4s), 02/10 VUs, 615 complete and 0 interrupted iterations\x1b[K\n" +
              line + "\x1b[K\n\r\x1b[J\x1b[3A");
  }
  SECTION("80 columns: the 93-column bar line wraps once, so one more line up") {
    const std::string out =
        render_progress(user_run(123400ms, 2, 615), progress_style::terminal(false, 40, 80));
    CHECK(out.find(line + "\x1b[K\n") != std::string::npos);
    CHECK(out.ends_with("\n\r\x1b[J\x1b[4A"));
  }
  SECTION("colour: the part to go is faint") {
    CHECK(render_progress(user_run(123400ms, 2, 615), progress_style::terminal(true, 40, 120))
              .find(esc("[==============>\\e[2m-----------------------\\e[0m]")) !=
          std::string::npos);
  }
  SECTION("without cursor movement for the final block") {
    progress_style style = progress_style::terminal(false, 40, 120);
    style.return_cursor = false;
    const std::string out = render_progress(user_run(123400ms, 2, 615), style);
    CHECK(out.ends_with(line + "\x1b[K\n"));
  }
}

TEST_CASE("TTY bars: empty, full, and percentages at 8 columns or less", "[progress]") {
  const auto bar_line = [](nanoseconds elapsed, int width) {
    return lines_of(
        render_progress(user_run(elapsed, 1, 0), progress_style::terminal(false, width, 200)))[2];
  };
  CHECK(bar_line(0s, 40).find("[--------------------------------------]") != std::string::npos);
  CHECK(bar_line(5min, 40).find("[======================================]") != std::string::npos);
  CHECK(bar_line(150s, 9).find("[==>----]") != std::string::npos);
  CHECK(bar_line(150s, 8).find("[  50% ]") != std::string::npos);
}

TEST_CASE("status characters: waiting, stopping, finished, interrupted", "[progress]") {
  auto plan = [](scenario_status status, nanoseconds elapsed) {
    return user_run(elapsed, 3, 100, status);
  };
  const auto line = [](const progress_snapshot& p, bool colour = false) {
    return lines_of(render_progress(p, progress_style::plain(colour)))[2];
  };

  progress_snapshot waiting = plan(scenario_status::waiting, 0s);
  waiting.elapsed = 2s;
  waiting.scenarios[0].start_time = 30s;
  CHECK(line(waiting) == "bulk_renewal \xE2\x80\xA2 [   0% ] waiting  28.0s");
  CHECK(line(plan(scenario_status::stopping, 5min + 2s)) ==
        "bulk_renewal \xE2\x86\x93 [ 100% ] 03/10 VUs  5m0s  5.00 iters/s");
  CHECK(line(plan(scenario_status::finished, 5min + 2s)) ==
        "bulk_renewal \xE2\x9C\x93 [ 100% ] 03/10 VUs  5m0s  5.00 iters/s");
  CHECK(line(plan(scenario_status::interrupted, 123400ms)) ==
        "bulk_renewal \xE2\x9C\x97 [  41% ] 03/10 VUs  2m03.4s/5m0s  5.00 iters/s");

  SECTION("colours: finished green, interrupted red, waiting faint, stopping plain") {
    CHECK(
        line(plan(scenario_status::finished, 5min), true).find(esc("\\e[32m\xE2\x9C\x93\\e[0m")) !=
        std::string::npos);
    CHECK(line(plan(scenario_status::interrupted, 1min), true)
              .find(esc("\\e[31m\xE2\x9C\x97\\e[0m")) != std::string::npos);
    CHECK(line(waiting, true).find(esc("\\e[2m\xE2\x80\xA2\\e[0m")) != std::string::npos);
    CHECK(line(plan(scenario_status::stopping, 5min), true).find("\x1b") == std::string::npos);
  }
}

TEST_CASE("waiting scenarios and column alignment as in the k6 capture", "[progress]") {
  // 0.6 s after the executors started; k6 had spent 15.4 s in setup() before that.
  const std::string start = render_progress(
      capture_run(600ms, {constant_vus("baseline", 10, 20s, 600ms, scenario_status::running),
                          waiting_vus("upload_pipeline", 5, 30s, 25s),
                          waiting_vus("files_listing", 8, 20s, 1min + 45s)}));
  CHECK(start ==
        "\n"
        "running (0m00.6s), 10/10 VUs, 0 complete and 0 interrupted iterations\n"
        "baseline          [   3% ] 10 VUs   00.6s/20s\n"
        "upload_pipeline \xE2\x80\xA2 [   0% ] waiting  24.4s\n"
        "files_listing   \xE2\x80\xA2 [   0% ] waiting  1m44.4s\n");

  progress_snapshot end = capture_run(
      2min + 20400ms, {constant_vus("baseline", 10, 20s, 20s, scenario_status::finished),
                       constant_vus("upload_pipeline", 5, 30s, 30s, scenario_status::finished),
                       constant_vus("files_listing", 8, 20s, 20s, scenario_status::finished)});
  end.busy_vus = 0;
  end.completed = 182;
  end.interrupted = 20;
  CHECK(render_progress(end) ==
        "\n"
        "running (2m20.4s), 00/10 VUs, 182 complete and 20 interrupted iterations\n"
        "baseline        \xE2\x9C\x93 [ 100% ] 10 VUs  20s\n"
        "upload_pipeline \xE2\x9C\x93 [ 100% ] 5 VUs   30s\n"
        "files_listing   \xE2\x9C\x93 [ 100% ] 8 VUs   20s\n");
}

TEST_CASE("ramping-arrival-rate and constant-vus lines", "[progress]") {
  scenario_progress ramp;
  ramp.name = "ramp";
  ramp.kind = executor_kind::ramping_arrival_rate;
  ramp.status = scenario_status::running;
  ramp.duration = 10min;
  ramp.elapsed = 90s;
  ramp.busy_vus = 7;
  ramp.active_vus = 20;
  ramp.max_vus = 200;
  ramp.rate = 42.5;
  ramp.max_rate = 100;  // the rate is padded to the width of the schedule's peak
  progress_snapshot p = run_at(90s, 7, 3000, {ramp});
  CHECK(lines_of(render_progress(p))[2] ==
        "ramp   [  15% ] 007/020 VUs  01m30.0s/10m0s  042.50 iters/s");

  p.scenarios = {constant_vus("steady", 10, 20s, 10s, scenario_status::running)};
  CHECK(lines_of(render_progress(p))[2] == "steady   [  50% ] 10 VUs  10.0s/20s");
}

TEST_CASE("labels: at least 4 wide, at most 30, longer names cut to 27 chars and ...",
          "[progress]") {
  const std::string thirty(30, 'x');
  const std::string long_name = "certificate_bulk_renewal_with_ocsp_checks";  // 41 chars
  progress_snapshot p = run_at(10s, 0, 0,
                               {constant_vus(long_name, 1, 20s, 10s, scenario_status::running),
                                constant_vus(thirty, 1, 20s, 10s, scenario_status::running),
                                constant_vus("a", 1, 20s, 10s, scenario_status::running)});
  const auto lines = lines_of(render_progress(p));
  CHECK(lines[2] == "certificate_bulk_renewal_wi...   [  50% ] 1 VUs  10.0s/20s");
  CHECK(lines[3] == thirty + "   [  50% ] 1 VUs  10.0s/20s");
  CHECK(lines[4] == "a" + std::string(29, ' ') + "   [  50% ] 1 VUs  10.0s/20s");

  p.scenarios = {constant_vus("a", 1, 20s, 10s, scenario_status::running)};
  CHECK(lines_of(render_progress(p))[2] == "a      [  50% ] 1 VUs  10.0s/20s");  // "Init" is 4 wide
}

TEST_CASE("run header for the user's scenario", "[progress]") {
  pacer::test_plan plan;
  plan.add(pacer::scenario(
      "bulk_renewal",
      pacer::constant_arrival_rate(5, 1s).duration(5min).pre_allocated_vus(10).max_vus(30),
      pacer::http::post("http://127.0.0.1/api/v1/certificates/bulk-renew")));

  CHECK(pacer::render_run_header(plan, "bulk_renewal", "") ==
        "     execution: local\n"
        "        script: bulk_renewal\n"
        "        output: -\n"
        "\n"
        "     scenarios: (100.00%) 1 scenario, 30 max VUs, 5m30s max duration (incl. graceful "
        "stop):\n"
        "              * bulk_renewal: 5.00 iterations/s for 5m0s (maxVUs: 10-30, gracefulStop: "
        "30s)\n"
        "\n");

  CHECK(pacer::render_run_header(plan, "bulk_renewal", "json (results.json)", true) ==
        esc("     execution: \\e[36mlocal\\e[0m\n"
            "        script: \\e[36mbulk_renewal\\e[0m\n"
            "        output: \\e[36mjson (results.json)\\e[0m\n"
            "\n"
            "     scenarios: \\e[36m(100.00%) 1 scenario, 30 max VUs, 5m30s max duration (incl. "
            "graceful stop):\\e[0m\n"
            "              * bulk_renewal: 5.00 iterations/s for 5m0s (maxVUs: 10-30, "
            "gracefulStop: 30s)\n"
            "\n"));
}

TEST_CASE("run header: order by start time then name, peak VUs, longest end", "[progress]") {
  const auto vus = [](std::int64_t n, nanoseconds d, nanoseconds start, nanoseconds grace) {
    return pacer::constant_vus(n).duration(d).start_time(start).graceful_stop(grace);
  };
  const auto get = pacer::http::get("http://127.0.0.1/");
  pacer::test_plan plan;
  plan.add(pacer::scenario("files_listing", vus(8, 20s, 1min + 45s, 30s), get));
  plan.add(pacer::scenario("upload_pipeline", vus(5, 30s, 25s, 5s), get));
  plan.add(pacer::scenario("baseline", vus(10, 20s, 0s, 30s), get));
  plan.add(pacer::scenario("another", vus(1, 20s, 1min + 45s, 1s), get));

  // baseline (0-50 s) overlaps upload_pipeline (25-60 s): 15; files_listing and
  // another start after both ended: 9. The last end is 1m45s + 20s + 30s.
  const auto lines = lines_of(pacer::render_run_header(plan, "k6/load-test.js", "-"));
  REQUIRE(lines.size() == 10);
  CHECK(lines[4] ==
        "     scenarios: (100.00%) 4 scenarios, 15 max VUs, 2m35s max duration (incl. graceful "
        "stop):");
  CHECK(lines[5] == "              * baseline: 10 looping VUs for 20s (gracefulStop: 30s)");
  CHECK(lines[6] ==
        "              * upload_pipeline: 5 looping VUs for 30s (startTime: 25s, gracefulStop: "
        "5s)");
  CHECK(lines[7].rfind("              * another: ", 0) == 0);
  CHECK(lines[8].rfind("              * files_listing: ", 0) == 0);

  SECTION("a scenario starting when another ends does not add to it") {
    pacer::test_plan back_to_back;
    back_to_back.add(pacer::scenario("first", vus(10, 20s, 0s, 5s), get));
    back_to_back.add(pacer::scenario("second", vus(8, 20s, 25s, 5s), get));
    CHECK(lines_of(pacer::render_run_header(back_to_back, "s", "-"))[4].find(
              "2 scenarios, 10 max VUs, 50s max duration") != std::string::npos);
  }
}

TEST_CASE("plain driver: at most one block per second of run time, and the final one",
          "[progress]") {
  std::ostringstream out;
  progress_display display(out, progress_mode::plain, false);
  std::string expected;
  for (int tick = 0; tick <= 35; ++tick) {  // every 100 ms up to 3.5 s
    const progress_snapshot p = user_run(tick * 100ms, 2, static_cast<std::uint64_t>(tick));
    display(p);
    if (tick % 10 == 0) expected += render_progress(p);
  }
  progress_snapshot last = user_run(3600ms, 0, 36, scenario_status::finished);
  last.final = true;
  display(last);
  expected += render_progress(last);
  display(user_run(3700ms, 0, 37));  // nothing after the final block

  CHECK(count_of(out.str(), "running (") == 5);
  CHECK(out.str() == expected);
}

TEST_CASE("plain driver: a callback a little early or late still draws each second", "[progress]") {
  std::ostringstream out;
  progress_display display(out, progress_mode::plain, false);
  for (nanoseconds at : {999ms, 2001ms, 2998ms, 3020ms, 4040ms})
    display(user_run(at, 1, 0));
  CHECK(count_of(out.str(), "running (") == 4);
  CHECK(out.str().find("0m03.0s") != std::string::npos);
  CHECK(out.str().find("0m04.0s") != std::string::npos);
}

TEST_CASE("terminal driver: redraws in place, sizes bars to the terminal, final stays",
          "[progress]") {
  std::ostringstream out;
  progress_display display(out, progress_mode::terminal, false, 80);
  // Through std::ref, as a run's progress callback.
  pacer::progress_callback callback = std::ref(display);

  callback(user_run(123400ms, 2, 615));
  const std::string first = out.str();
  CHECK(first ==
        render_progress(user_run(123400ms, 2, 615), progress_style::terminal(false, 40, 80)));

  // The first frame's bar line is 93 columns: the next bar loses 14, ending at column 79.
  callback(user_run(123500ms, 2, 616));
  const std::string second = out.str().substr(first.size());
  const std::string second_line = lines_of(second)[2];
  CHECK(second_line ==
        "bulk_renewal   [========>---------------] 02/10 VUs  2m03.5s/5m0s  5.00 "
        "iters/s\x1b[K");
  CHECK(second.ends_with("\n\r\x1b[J\x1b[3A"));

  progress_snapshot last = user_run(5min + 600ms, 0, 1500, scenario_status::finished);
  last.final = true;
  callback(last);
  const std::string final_block = out.str().substr(first.size() + second.size());
  CHECK(final_block.find("\x1b[J") == std::string::npos);
  CHECK(final_block.ends_with(" iters/s\x1b[K\n"));
  CHECK(final_block.find("[========================]") != std::string::npos);
}

TEST_CASE("driver for a stream: k6's mode and drawing interval from whether it is a terminal",
          "[progress]") {
  std::ostringstream plain_out, terminal_out;
  progress_display plain(plain_out, false);
  progress_display terminal(terminal_out, true);
  CHECK(plain.interval() == 1s);
  CHECK(terminal.interval() == 100ms);

  plain(user_run(5s, 2, 23));
  terminal(user_run(5s, 2, 23));
  CHECK(plain_out.str() == render_progress(user_run(5s, 2, 23)));
  CHECK(terminal_out.str().rfind("\x1b[K\n", 0) == 0);
  CHECK(terminal_out.str().find("\r\x1b[J\x1b[") != std::string::npos);
}
