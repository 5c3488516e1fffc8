#ifndef PACER_CLI_FLAGS_HPP
#define PACER_CLI_FLAGS_HPP

// The --pacer_* command-line flags of registered load tests: parsed into a value
// object, each with a PACER_* environment fallback; the flags understood are
// removed from argv so a host framework can parse the rest.

#include <pacer/core/duration.hpp>
#include <pacer/core/error.hpp>

#include <cstdlib>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pacer {

// What a summary file holds.
enum class output_format {
  json,    // k6's handleSummary data (plus the `pacer` key)
  text,    // k6's end-of-test text summary, without colours
  export_  // what `k6 run --summary-export` writes
};

// One --pacer_out: a format and a path ("-" is standard output).
struct output_spec {
  output_format format = output_format::json;
  std::string path;
  friend bool operator==(const output_spec&, const output_spec&) = default;
};

// Every --pacer_* flag; unset optionals leave the program's own choice alone.
// Precedence: flag > environment variable > PACER_OPTIONS() / code > built-in.
struct main_flags {
  std::optional<std::string> filter;  // ECMAScript regex over scenario names
  bool list = false;
  std::vector<output_spec> outs;  // replace the program's own outputs when given
  std::optional<double> duration_scale;
  std::optional<nanoseconds> duration;
  bool dry_run = false;
  bool no_thresholds = false;
  bool quiet = false;
  bool help = false;
  std::optional<unsigned> threads;
  std::vector<std::pair<std::string, std::string>> env;  // --pacer_env=KEY=VALUE
  std::optional<bool> insecure_skip_tls_verify;
  std::optional<std::vector<std::string>> summary_trend_stats;
};

// Reads an environment variable; nullptr when unset. Replaceable for tests.
using env_lookup = std::function<const char*(const char*)>;

inline const char* process_env(const char* name) {
  return std::getenv(name);
}

namespace detail {

struct flag_info {
  std::string_view name;   // without the --pacer_ prefix
  std::string_view value;  // "" for switches
  std::string_view help;
};

// The one table the parser, the environment names and --help are made from.
inline constexpr flag_info pacer_flag_table[] = {
    {"filter", "REGEX", "run only the scenarios whose name matches (ECMAScript regex)"},
    {"list", "", "print the scenario names, one per line, and exit"},
    {"out", "[FORMAT:]FILE",
     "write a summary file; repeatable; FORMAT json, text or export, else from the extension "
     "(.json, .txt); FILE - is standard output"},
    {"duration_scale", "F", "multiply every duration and start time by F > 0 (CI smoke: 0.02)"},
    {"duration", "D", "run every scenario for D instead (30s, 5m, 1h30m); stages keep their shape"},
    {"dry_run", "", "one iteration per scenario; thresholds not applied"},
    {"no_thresholds", "", "run and report, never fail on thresholds"},
    {"threads", "N", "shards, one thread each (default: hardware threads)"},
    {"env", "KEY=VALUE", "set an environment variable before the scenarios are built; repeatable"},
    {"insecure_skip_tls_verify", "", "do not verify server certificates"},
    {"summary_trend_stats", "LIST", "trend statistics, e.g. avg,min,med,max,p(90),p(95),p(99)"},
    {"quiet", "", "no live progress display and no run header"},
    {"help", "", "this text"},
};

// The longest --pacer_filter pattern accepted.
inline constexpr std::size_t max_filter_size = 1000;

inline std::string env_name_of(std::string_view flag) {
  std::string n = "PACER_";
  for (char c : flag)
    n += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return n;
}

inline bool parse_switch(std::string_view flag, std::string_view text) {
  if (text == "true" || text == "1" || text == "yes" || text.empty()) return true;
  if (text == "false" || text == "0" || text == "no") return false;
  throw config_error("--pacer_" + std::string(flag), std::string(text),
                     "true, false, 1, 0, yes or no");
}

inline std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

inline output_spec parse_output(std::string_view text) {
  const std::string flag = "--pacer_out";
  const char* accepted = "[json:|text:|export:]FILE, or FILE ending in .json or .txt";
  output_spec o;
  auto colon = text.find(':');
  std::string_view prefix = colon == std::string_view::npos ? "" : text.substr(0, colon);
  if (prefix == "json" || prefix == "text" || prefix == "export") {
    o.format = prefix == "json"   ? output_format::json
               : prefix == "text" ? output_format::text
                                  : output_format::export_;
    o.path = std::string(text.substr(colon + 1));
  } else {
    o.path = std::string(text);
    auto ends = [&](std::string_view ext) {
      return o.path.size() > ext.size() &&
             o.path.compare(o.path.size() - ext.size(), ext.size(), ext.data(), ext.size()) == 0;
    };
    if (ends(".json"))
      o.format = output_format::json;
    else if (ends(".txt"))
      o.format = output_format::text;
    else
      throw config_error(flag, std::string(text), accepted);
  }
  if (o.path.empty()) throw config_error(flag, std::string(text), accepted);
  return o;
}

inline void apply_flag(main_flags& f, std::string_view name, std::string_view value, bool has_value,
                       bool from_env) {
  const std::string shown = from_env ? env_name_of(name) : "--pacer_" + std::string(name);
  auto need_value = [&](std::string_view form) {
    if (!has_value || (value.empty() && !from_env))
      throw config_error(shown, std::string(value), std::string(form));
  };
  if (name == "filter") {
    need_value("--pacer_filter=REGEX");
    // std::regex compiles by recursion, one level per nested group: tens of thousands of
    // them overflow the stack. No scenario filter needs a long pattern.
    if (value.size() > max_filter_size)
      throw config_error(shown, std::string(value),
                         "an ECMAScript regular expression of at most " +
                             std::to_string(max_filter_size) + " characters");
    try {
      std::regex check{std::string(value)};
    } catch (const std::regex_error&) {
      throw config_error(shown, std::string(value), "an ECMAScript regular expression");
    }
    f.filter = std::string(value);
  } else if (name == "list") {
    f.list = parse_switch(name, value);
  } else if (name == "out") {
    need_value("--pacer_out=[FORMAT:]FILE");
    // The environment form takes a comma-separated list.
    if (from_env)
      for (auto& one : split_list(value))
        f.outs.push_back(parse_output(one));
    else
      f.outs.push_back(parse_output(value));
  } else if (name == "duration_scale") {
    need_value("--pacer_duration_scale=F");
    double scale = 0;
    std::size_t used = 0;
    try {
      scale = std::stod(std::string(value), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || !(scale > 0) || scale > 1e6)
      throw config_error(shown, std::string(value), "a number > 0 such as 0.02");
    f.duration_scale = scale;
  } else if (name == "duration") {
    need_value("--pacer_duration=D");
    f.duration = parse_duration(value, shown);
    if (*f.duration <= nanoseconds::zero())
      throw config_error(shown, std::string(value), "a duration > 0 such as 30s or 5m");
  } else if (name == "dry_run") {
    f.dry_run = parse_switch(name, value);
  } else if (name == "no_thresholds") {
    f.no_thresholds = parse_switch(name, value);
  } else if (name == "quiet") {
    f.quiet = parse_switch(name, value);
  } else if (name == "help") {
    f.help = parse_switch(name, value);
  } else if (name == "threads") {
    need_value("--pacer_threads=N");
    bool digits = !value.empty() && value.size() <= 4 &&
                  value.find_first_not_of("0123456789") == std::string_view::npos;
    unsigned n = digits ? static_cast<unsigned>(std::stoul(std::string(value))) : 0;
    if (n == 0 || n > 1024) throw config_error(shown, std::string(value), "an integer 1..1024");
    f.threads = n;
  } else if (name == "env") {
    need_value("--pacer_env=KEY=VALUE");
    auto add = [&](std::string_view kv) {
      auto eq = kv.find('=');
      std::string_view key = kv.substr(0, eq == std::string_view::npos ? kv.size() : eq);
      bool ok = eq != std::string_view::npos && !key.empty() &&
                key.find_first_not_of(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789_") == std::string_view::npos;
      // Only the key is shown: the value may be a credential (and without '=' the
      // whole text may be one).
      if (!ok)
        throw config_error(shown,
                           eq == std::string_view::npos ? "(withheld: no '=')" : std::string(key),
                           "KEY=VALUE with KEY made of [A-Za-z0-9_]");
      f.env.emplace_back(std::string(key), std::string(kv.substr(eq + 1)));
    };
    if (from_env)
      for (auto& one : split_list(value))
        add(one);
    else
      add(value);
  } else if (name == "insecure_skip_tls_verify") {
    f.insecure_skip_tls_verify = parse_switch(name, value);
  } else if (name == "summary_trend_stats") {
    need_value("--pacer_summary_trend_stats=avg,min,med,max,p(95)");
    f.summary_trend_stats = split_list(value);
  }
}

}  // namespace detail

// Parses the --pacer_* flags (and, for flags not given, their PACER_* variables),
// removes them from argv and returns them. argv[0] and every other argument stay,
// in order, for the host framework. Throws config_error (exit code 104) on a bad
// value, naming the flag and the accepted form.
inline main_flags parse_flags(int& argc, char** argv, const env_lookup& env = process_env) {
  main_flags f;
  std::vector<std::string_view> given;
  int kept = argc > 0 ? 1 : 0;
  for (int i = kept; i < argc; ++i) {
    std::string_view arg = argv[i];
    const std::string_view prefix = "--pacer_";
    bool known = false;
    if (arg.substr(0, prefix.size()) == prefix) {
      std::string_view rest = arg.substr(prefix.size());
      auto eq = rest.find('=');
      std::string_view name = rest.substr(0, eq);
      for (const auto& info : detail::pacer_flag_table)
        if (info.name == name) {
          known = true;
          bool has_value = eq != std::string_view::npos;
          std::string_view value = has_value ? rest.substr(eq + 1) : std::string_view{};
          if (!info.value.empty() && !has_value)
            throw config_error("--pacer_" + std::string(name), "",
                               "--pacer_" + std::string(name) + "=" + std::string(info.value));
          detail::apply_flag(f, name, value, has_value, false);
          given.push_back(info.name);
        }
      if (!known)
        throw config_error("flag", std::string(arg),
                           "one of the --pacer_* flags listed by --pacer_help");
    } else if (arg == "--help" || arg == "-h") {
      // Left in place for the host framework; our help is printed too.
      f.help = true;
    }
    if (!known) argv[kept++] = argv[i];
  }
  for (const auto& info : detail::pacer_flag_table) {
    if (info.name == "help") continue;
    bool on_command_line = false;
    for (auto g : given)
      on_command_line = on_command_line || g == info.name;
    if (on_command_line) continue;
    std::string var = detail::env_name_of(info.name);
    if (const char* v = env(var.c_str()); v != nullptr && *v != '\0')
      detail::apply_flag(f, info.name, v, true, true);
  }
  argc = kept;
  if (argv != nullptr) argv[kept] = nullptr;  // argv[argc] is null, as main's is
  return f;
}

// The --help text, made from the same table as the parser.
inline std::string flags_usage() {
  std::string out = "pacer flags (each also read from PACER_<FLAG> when not given):\n";
  for (const auto& info : detail::pacer_flag_table) {
    std::string left = "  --pacer_" + std::string(info.name);
    if (!info.value.empty()) left += "=" + std::string(info.value);
    if (left.size() < 40)
      left.resize(40, ' ');
    else
      left += "\n" + std::string(40, ' ');
    // Wrapped at 100 columns, continuation lines under the first.
    std::string_view help = info.help;
    while (help.size() > 60) {
      auto cut = help.rfind(' ', 60);
      if (cut == std::string_view::npos) break;
      left += std::string(help.substr(0, cut)) + "\n" + std::string(40, ' ');
      help.remove_prefix(cut + 1);
    }
    out += left + std::string(help) + "\n";
  }
  out +=
      "exit codes: 0 passed, 99 thresholds failed, 104 invalid configuration, 105 stopped by a "
      "signal\n";
  return out;
}

}  // namespace pacer

#endif
