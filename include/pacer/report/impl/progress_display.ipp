#ifndef PACER_REPORT_IMPL_PROGRESS_DISPLAY_IPP
#define PACER_REPORT_IMPL_PROGRESS_DISPLAY_IPP

// The definitions of progress_display.hpp: k6's progress block and run header.

#include <pacer/report/progress_display.hpp>

#include <pacer/core/duration.hpp>
#include <pacer/plan/executors.hpp>
#include <pacer/plan/progress.hpp>
#include <pacer/plan/scenario.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pacer {

namespace detail::progress_ui {

inline constexpr nanoseconds tenth = std::chrono::milliseconds(100);

// Go's Duration.Round(100ms) for a non-negative duration: halves round up.
inline nanoseconds round_to_tenth(nanoseconds d) {
  const nanoseconds rest = d % tenth;
  return rest + rest < tenth ? d - rest : d - rest + tenth;
}

inline nanoseconds magnitude(nanoseconds d) {
  return d < nanoseconds::zero() ? -d : d;
}

inline int digit_count(std::uint64_t v) {
  int n = 1;
  for (; v >= 10; v /= 10)
    ++n;
  return n;
}

// printf's "%0*": zeros between the sign and the digits, up to `width`.
inline std::string zero_filled(std::string number, std::size_t width) {
  if (number.size() >= width) return number;
  const std::size_t digits_at = number.starts_with('-') ? 1 : 0;
  number.insert(digits_at, width - number.size(), '0');
  return number;
}

inline std::string zero_padded(std::uint64_t v, int width) {
  return zero_filled(std::to_string(v), static_cast<std::size_t>(width));
}

}  // namespace detail::progress_ui

PACER_DECL std::string format_fixed_duration(nanoseconds d, nanoseconds max) {
  using namespace std::chrono_literals;
  using detail::progress_ui::zero_padded;
  d = detail::progress_ui::magnitude(d);
  max = std::max(detail::progress_ui::magnitude(max), d);
  max = detail::progress_ui::round_to_tenth(max);
  const auto tenths = static_cast<std::uint64_t>(detail::progress_ui::round_to_tenth(d) /
                                                 detail::progress_ui::tenth);

  std::string out = "." + std::to_string(tenths % 10) + "s";
  const std::uint64_t seconds = tenths / 10;
  if (max < 10s) return zero_padded(seconds, 1) + out;
  if (max < 1min) return zero_padded(seconds, 2) + out;
  out = zero_padded(seconds % 60, 2) + out;
  const std::uint64_t minutes = seconds / 60;
  if (max < 10min) return zero_padded(minutes, 1) + "m" + out;
  if (max < 1h) return zero_padded(minutes, 2) + "m" + out;
  out = zero_padded(minutes % 60, 2) + "m" + out;
  const std::uint64_t hours = minutes / 60;
  if (max < 10h) return zero_padded(hours, 1) + "h" + out;
  if (max < 24h) return zero_padded(hours, 2) + "h" + out;
  const auto max_days = static_cast<std::uint64_t>(max / 24h);
  return zero_padded(hours / 24, detail::progress_ui::digit_count(max_days)) + "d" +
         zero_padded(hours % 24, 2) + "h" + out;
}

namespace detail::progress_ui {

inline constexpr int default_bar_width = 40;
inline constexpr int min_bar_width = 8;  // at or below: a percentage instead of a bar
inline constexpr std::size_t max_label_width = 30;
inline constexpr int default_terminal_width = 80;
inline constexpr int terminal_padding = 1;  // columns kept free at the right edge

inline constexpr std::string_view green = "\x1b[32m";
inline constexpr std::string_view red = "\x1b[31m";
inline constexpr std::string_view faint = "\x1b[2m";
inline constexpr std::string_view cyan = "\x1b[36m";
inline constexpr std::string_view reset = "\x1b[0m";

inline std::string painted(std::string_view text, std::string_view colour, bool enabled) {
  if (!enabled) return std::string(text);
  return std::string(colour) + std::string(text) + std::string(reset);
}

inline std::size_t visible_length(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8)
    n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u;
  return n;
}

inline std::string padded_right(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

// GetFixedLengthIntFormat: zero-padded to the digit count of `max`.
inline std::string fixed_int(std::int64_t v, std::int64_t max) {
  const int width = digit_count(static_cast<std::uint64_t>(max < 0 ? -max : max)) + (max < 0);
  return zero_filled(std::to_string(v), static_cast<std::size_t>(width));
}

// GetFixedLengthFloatFormat(max, 2): two decimals, zero-padded to the width of `max`.
inline std::string fixed_rate(double rate, double max) {
  std::size_t width = 4;
  if (max >= 10) width += static_cast<std::size_t>(std::log10(max));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", rate);
  return zero_filled(buf, width);
}

inline std::string_view status_char(scenario_status s) {
  switch (s) {
    case scenario_status::waiting:
      return "\xE2\x80\xA2";  // •
    case scenario_status::stopping:
      return "\xE2\x86\x93";  // ↓
    case scenario_status::finished:
      return "\xE2\x9C\x93";  // ✓
    case scenario_status::interrupted:
      return "\xE2\x9C\x97";  // ✗
    case scenario_status::running:
      break;
  }
  return " ";
}

inline std::string status_text(scenario_status s, bool colour) {
  switch (s) {
    case scenario_status::waiting:
      return painted(status_char(s), faint, colour);
    case scenario_status::finished:
      return painted(status_char(s), green, colour);
    case scenario_status::interrupted:
      return painted(status_char(s), red, colour);
    default:
      return std::string(status_char(s));
  }
}

// The label column: k6 measures it once, from "Init" (the first bar's label) and
// every scenario name.
inline std::size_t label_width(const progress_snapshot& snapshot, const progress_style& style) {
  if (style.label_width > 0) return style.label_width;
  std::size_t longest = std::string_view("Init").size();
  for (const auto& s : snapshot.scenarios)
    longest = std::max(longest, s.name.size());
  return std::min(longest, max_label_width);
}

inline std::string label_text(const std::string& name, std::size_t width) {
  if (name.size() <= width || width <= 3) return padded_right(name, width);
  return name.substr(0, width - 3) + "...";
}

// `[ NN% ]`, or a bar of `width` columns: "=" done, ">" at the tip, "-" to go.
inline std::string progress_text(double progress, int width, bool colour) {
  progress = std::clamp(progress, 0.0, 1.0);
  if (width <= min_bar_width) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "[ %3.0f%% ]", progress * 100);
    return buf;
  }
  const int cells = width - 2;
  const int filled = static_cast<int>(cells * progress);
  std::string done;
  if (filled > 0 && filled < cells)
    done = std::string(static_cast<std::size_t>(filled - 1), '=') + ">";
  if (filled >= cells) done = std::string(static_cast<std::size_t>(cells), '=');
  const std::string to_go(static_cast<std::size_t>(cells - std::min(filled, cells)), '-');
  return "[" + done + painted(to_go, faint, colour) + "]";
}

// "<spent>/<duration>" while the regular duration runs, then only "<duration>".
inline std::string time_column(const scenario_progress& s) {
  const std::string total = format_go_duration(s.duration);
  if (s.elapsed >= s.duration) return total;
  return format_fixed_duration(s.elapsed, s.duration) + "/" + total;
}

inline std::vector<std::string> arrival_rate_columns(const scenario_progress& s) {
  const double widest_rate =
      s.kind == executor_kind::ramping_arrival_rate ? std::max(s.rate, s.max_rate) : s.rate;
  return {fixed_int(s.busy_vus, s.max_vus) + "/" + fixed_int(s.active_vus, s.max_vus) + " VUs",
          time_column(s), fixed_rate(s.rate, widest_rate) + " iters/s"};
}

// The countdown runs from the executors' start, which in pacer is the run's start.
inline std::vector<std::string> waiting_columns(const scenario_progress& s,
                                                nanoseconds run_elapsed) {
  const nanoseconds left = std::max(s.start_time - run_elapsed, nanoseconds::zero());
  return {"waiting", format_fixed_duration(left, s.start_time)};
}

inline std::vector<std::string> right_columns(const scenario_progress& s, nanoseconds run_elapsed) {
  if (s.status == scenario_status::waiting) return waiting_columns(s, run_elapsed);
  const auto total = static_cast<std::int64_t>(s.total_iterations);
  const auto done = static_cast<std::int64_t>(s.completed + s.interrupted);
  switch (s.kind) {
    case executor_kind::constant_vus:
      return {std::to_string(s.max_vus) + " VUs", time_column(s)};
    case executor_kind::per_vu_iterations:
      return {fixed_int(s.max_vus, s.max_vus) + " VUs", time_column(s),
              fixed_int(done, total) + "/" + fixed_int(total, total) + " iters, " +
                  std::to_string(s.iterations_per_vu) + " per VU"};
    case executor_kind::shared_iterations:
      // k6 keeps counting the spent time here past maxDuration.
      return {fixed_int(s.max_vus, s.max_vus) + " VUs",
              format_fixed_duration(s.elapsed, s.duration) + "/" + format_go_duration(s.duration),
              fixed_int(done, total) + "/" + fixed_int(total, total) + " shared iters"};
    case executor_kind::ramping_vus: {
      const std::string vus =
          fixed_int(s.busy_vus, s.max_vus) + "/" + fixed_int(s.max_vus, s.max_vus) + " VUs";
      if (s.elapsed >= s.duration) return {vus, format_go_duration(s.duration)};
      return {vus, format_fixed_duration(s.elapsed, s.duration) + "/" +
                       format_fixed_duration(s.duration, s.duration)};
    }
    case executor_kind::externally_controlled:
      return {fixed_int(s.busy_vus, s.max_vus) + "/" + fixed_int(s.max_vus, s.max_vus) + " VUs",
              time_column(s)};
    default:
      return arrival_rate_columns(s);
  }
}

// k6 aligns the first two columns across bars: each column but a bar's last is
// padded to the widest such value plus one; every column is preceded by a space.
inline std::vector<std::size_t> column_widths(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(2, 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i + 1 < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  return widths;
}

inline std::string columns_text(const std::vector<std::string>& row,
                                const std::vector<std::size_t>& widths) {
  std::string out;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const bool aligned = i + 1 < row.size() && i < widths.size();
    out += " " + (aligned ? padded_right(row[i], widths[i] + 1) : row[i]);
  }
  return out;
}

// The line that replaces k6's Init/Run bar once the executors run.
inline std::string run_stats_line(const progress_snapshot& s) {
  return "running (" + format_fixed_duration(s.elapsed, s.max_duration) + "), " +
         fixed_int(s.busy_vus, s.max_vus) + "/" + fixed_int(s.initialized_vus, s.max_vus) +
         " VUs, " + std::to_string(s.completed) + " complete and " + std::to_string(s.interrupted) +
         " interrupted iterations";
}

// Extra screen rows a line takes when the terminal wraps it.
inline std::size_t wrapped_rows(std::size_t length, int terminal_width) {
  const auto usable = static_cast<std::int64_t>(length) - terminal_padding;
  return usable <= 0 ? 0 : static_cast<std::size_t>(usable / terminal_width);
}

// One scenario's line as written, and its width on screen.
struct scenario_line {
  std::string text;
  std::size_t width = 0;
};

inline scenario_line draw_scenario(const scenario_progress& s, const std::string& label,
                                   const std::string& right, int bar_width, bool colour) {
  // k6 shows a scenario waiting for its start time at 0 %, whatever its clock says.
  const double progress = s.status == scenario_status::waiting ? 0 : s.progress();
  const std::string plain = label + " " + std::string(status_char(s.status)) + " " +
                            progress_text(progress, bar_width, false) + right;
  scenario_line line{plain, visible_length(plain)};
  if (colour)
    line.text = label + " " + status_text(s.status, true) + " " +
                progress_text(progress, bar_width, true) + right;
  return line;
}

// One rendered block, with what the terminal driver needs to size the next one.
struct rendered_block {
  std::string text;
  std::size_t longest_line = 0;  // visible width of the longest scenario line
};

inline rendered_block render_block(const progress_snapshot& snapshot, const progress_style& style) {
  const std::string_view line_end = style.tty ? "\x1b[K\n" : "\n";
  const int terminal_width =
      style.terminal_width > 0 ? style.terminal_width : default_terminal_width;
  const int bar_width = style.tty ? style.bar_width : min_bar_width;
  const std::size_t label_columns = label_width(snapshot, style);

  std::vector<std::vector<std::string>> rows;
  for (const auto& s : snapshot.scenarios)
    rows.push_back(right_columns(s, snapshot.elapsed));
  const auto widths = column_widths(rows);

  rendered_block out;
  const std::string stats = run_stats_line(snapshot);
  out.text.append(line_end).append(stats).append(line_end);
  std::size_t wrapped = wrapped_rows(visible_length(stats), terminal_width);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& s = snapshot.scenarios[i];
    const scenario_line line =
        draw_scenario(s, label_text(s.name, label_columns), columns_text(rows[i], widths),
                      bar_width, style.colour);
    out.text.append(line.text).append(line_end);
    out.longest_line = std::max(out.longest_line, line.width);
    wrapped += wrapped_rows(line.width, terminal_width);
  }
  // Back up over the empty line, the statistics and the scenarios (wrapped rows too).
  if (style.tty && style.return_cursor)
    out.text += "\r\x1b[J\x1b[" + std::to_string(rows.size() + 2 + wrapped) + "A";
  return out;
}

template <class F>
auto on_executor(const scenario& s, F&& f) {
  return std::visit([&](const auto& e) { return f(e); }, s.exec);
}

inline nanoseconds end_offset(const scenario& s) {
  return on_executor(
      s, [](const auto& e) { return e.start_time() + e.regular_duration() + e.graceful_stop(); });
}

inline nanoseconds start_time_of(const scenario& s) {
  return on_executor(s, [](const auto& e) { return e.start_time(); });
}

// k6's order for the header and the bars: start time, then name.
inline std::vector<const scenario*> sorted_scenarios(const test_plan& plan) {
  std::vector<const scenario*> out;
  for (const auto& s : plan.scenarios)
    out.push_back(&s);
  std::stable_sort(out.begin(), out.end(), [](const scenario* a, const scenario* b) {
    const auto ta = start_time_of(*a), tb = start_time_of(*b);
    return ta != tb ? ta < tb : a->name < b->name;
  });
  return out;
}

// k6's GetMaxPossibleVUs: the most VUs needed at one moment, each scenario
// holding its maxVUs from its start to the end of its graceful stop.
inline std::int64_t peak_vus(const test_plan& plan) {
  std::int64_t peak = 0;
  for (const auto& at : plan.scenarios) {
    const nanoseconds t = start_time_of(at);
    std::int64_t sum = 0;
    for (const auto& s : plan.scenarios)
      if (&s == &at || (start_time_of(s) <= t && t < end_offset(s)))
        sum += on_executor(s, [](const auto& e) { return e.max_vus(); });
    peak = std::max(peak, sum);
  }
  return peak;
}

inline nanoseconds longest_end(const test_plan& plan) {
  nanoseconds end{0};
  for (const auto& s : plan.scenarios)
    end = std::max(end, end_offset(s));
  return end;
}

}  // namespace detail::progress_ui

PACER_DECL std::string render_progress(const progress_snapshot& snapshot,
                                       const progress_style& style) {
  return detail::progress_ui::render_block(snapshot, style).text;
}

PACER_DECL std::string render_run_header(const test_plan& plan, std::string_view script_name,
                                         std::string_view outputs, bool colour) {
  using namespace detail::progress_ui;
  const auto value = [&](std::string_view text) { return painted(text, cyan, colour); };
  const std::size_t count = plan.scenarios.size();
  const std::string scenarios = count == 1 ? "1 scenario" : std::to_string(count) + " scenarios";
  std::string out = "     execution: " + value("local") + "\n";
  out += "        script: " + value(script_name) + "\n";
  out += "        output: " + value(outputs.empty() ? "-" : outputs) + "\n\n";
  out += "     scenarios: " +
         value("(100.00%) " + scenarios + ", " + std::to_string(peak_vus(plan)) + " max VUs, " +
               format_go_duration(round_to_tenth(longest_end(plan))) +
               " max duration (incl. graceful stop):") +
         "\n";
  for (const scenario* s : sorted_scenarios(plan))
    out += "              * " + s->name + ": " +
           on_executor(*s, [](const auto& e) { return e.description(); }) + "\n";
  return out + "\n";
}

PACER_DECL bool progress_display::stdout_is_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDOUT_FILENO) == 1 && !(term && std::string_view(term) == "dumb");
}

PACER_DECL int progress_display::stdout_terminal_width() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

PACER_DECL void progress_display::operator()(const progress_snapshot& snapshot) {
  if (finished_) return;
  finished_ = snapshot.final;
  if (mode_ == progress_mode::terminal)
    redraw(snapshot);
  else
    append(snapshot);
}

PACER_DECL void progress_display::redraw(const progress_snapshot& snapshot) {
  using namespace detail::progress_ui;
  const int width = terminal_width();
  // k6 sizes each bar from the previous frame, so that the longest line ends
  // one column short of the terminal's edge.
  bar_width_ = std::clamp(bar_width_ + width_delta_, min_bar_width, default_bar_width);
  progress_style style = progress_style::terminal(colour_, bar_width_, width);
  style.return_cursor = !snapshot.final;
  const rendered_block block = render_block(snapshot, style);
  width_delta_ = width - static_cast<int>(block.longest_line) - terminal_padding;
  write(block.text);
}

PACER_DECL void progress_display::append(const progress_snapshot& snapshot) {
  // One block per whole second of the elapsed time as displayed (to the tenth),
  // so a callback that fires a little early or late still draws every second.
  const std::int64_t second =
      detail::progress_ui::round_to_tenth(snapshot.elapsed) / std::chrono::seconds(1);
  if (!snapshot.final && drawn_any_ && second <= last_second_) return;
  drawn_any_ = true;
  last_second_ = second;
  write(render_progress(snapshot, progress_style::plain(colour_)));
}

PACER_DECL int progress_display::terminal_width() const {
  if (fixed_terminal_width_ > 0) return fixed_terminal_width_;
  const int asked = stdout_terminal_width();
  return asked > 0 ? asked : detail::progress_ui::default_terminal_width;
}

PACER_DECL void progress_display::write(const std::string& text) {
  *out_ << text;
  out_->flush();
}

}  // namespace pacer

#endif
