#ifndef PACER_REPORT_PROGRESS_DISPLAY_HPP
#define PACER_REPORT_PROGRESS_DISPLAY_HPP

// k6's console output around a run: the header describing the plan, the live
// progress block (both as pure renderers) and a driver that draws the block as
// the run's progress callback, redrawn in place on a terminal or appended once
// a second elsewhere.

#include <pacer/config.hpp>
#include <pacer/core/duration.hpp>
#include <pacer/plan/progress.hpp>
#include <pacer/plan/scenario.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <string>
#include <string_view>

namespace pacer {

// k6's fixed-length duration (pb.GetFixedLengthDuration): `d` to the tenth of a
// second, with as many fields as `max` needs, so the text keeps its length for
// the whole run ("0m05.0s" while max is 5m30s). Signs are dropped, as in k6.
PACER_DECL std::string format_fixed_duration(nanoseconds d, nanoseconds max);

// How a progress block is drawn.
struct progress_style {
  // Terminal: bars, every line ending in ESC[K. Otherwise `[ NN% ]` and plain '\n'.
  bool tty = false;
  // Status characters and the empty part of bars in colour, as k6 on a colour terminal.
  bool colour = false;
  // Terminal bar width including the brackets; at 8 or less percentages are shown.
  int bar_width = 40;
  // Width of the scenario-name column; 0 is k6's rule: the longest of "Init" and
  // the scenario names, at most 30 (longer names are cut to 27 chars and "...").
  std::size_t label_width = 0;
  // Terminal: columns, to count wrapped lines for the cursor movement.
  int terminal_width = 80;
  // Terminal: end with "\r ESC[J ESC[<n>A" so that the next block overwrites this
  // one; k6 leaves it out of the final block, which stays on screen.
  bool return_cursor = true;

  static progress_style plain(bool colour = false) {
    progress_style s;
    s.colour = colour;
    return s;
  }
  static progress_style terminal(bool colour = false, int bar_width = 40, int terminal_width = 80) {
    progress_style s;
    s.tty = true;
    s.colour = colour;
    s.bar_width = bar_width;
    s.terminal_width = terminal_width;
    return s;
  }
};

// One progress block: an empty line, the run statistics, one line per scenario
// (in the snapshot's order, which is k6's: start time, then name).
PACER_DECL std::string render_progress(const progress_snapshot& snapshot,
                                       const progress_style& style = {});

// The run description k6 prints before a test (without the logo), ending with an
// empty line. `outputs` is the comma-separated output list, "-" when empty.
PACER_DECL std::string render_run_header(const test_plan& plan, std::string_view script_name,
                                         std::string_view outputs, bool colour = false);

enum class progress_mode {
  plain,     // a full block appended at most once per second of run time
  terminal,  // the block redrawn in place on every call
};

// Draws progress snapshots on a stream; use it (or std::ref to it) as the run's
// progress callback. Meant for one thread, the run's coordinator; holds only its
// own drawing state, so copies draw independently.
class progress_display {
 public:
  // k6's choices for its standard output: on a terminal the block is redrawn in
  // place, in colour unless NO_COLOR is set; elsewhere appended, without colour.
  explicit progress_display(std::ostream& out = std::cout, bool terminal = stdout_is_terminal())
      : progress_display(out, terminal ? progress_mode::terminal : progress_mode::plain,
                         terminal && std::getenv("NO_COLOR") == nullptr) {}

  // `terminal_width` 0 asks the terminal on standard output before every redraw.
  progress_display(std::ostream& out, progress_mode mode, bool colour, int terminal_width = 0)
      : out_(&out), mode_(mode), colour_(colour), fixed_terminal_width_(terminal_width) {}

  // How often k6 draws in this mode, for run_options::progress_interval.
  nanoseconds interval() const {
    if (mode_ == progress_mode::terminal) return std::chrono::milliseconds(100);
    return std::chrono::seconds(1);
  }

  // Standard output is a terminal, and TERM does not say it cannot move the cursor.
  static bool stdout_is_terminal();

  // Columns of the terminal on standard output, or 0 when unknown.
  static int stdout_terminal_width();

  void operator()(const progress_snapshot& snapshot);

 private:
  void redraw(const progress_snapshot& snapshot);

  void append(const progress_snapshot& snapshot);

  int terminal_width() const;

  void write(const std::string& text);

  std::ostream* out_;
  progress_mode mode_;
  bool colour_;
  int fixed_terminal_width_;
  int bar_width_ = 40;  // k6 starts bars at 40 columns
  int width_delta_ = 0;
  std::int64_t last_second_ = 0;
  bool drawn_any_ = false;
  bool finished_ = false;
};

}  // namespace pacer

#if !defined(PACER_SEPARATE_COMPILATION)
#include <pacer/report/impl/progress_display.ipp>
#endif

#endif
