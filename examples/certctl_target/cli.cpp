#include "certctl_target/cli.hpp"

#include <charconv>
#include <cstdint>
#include <string>

namespace certctl_target {

const std::string_view usage_text = R"(usage: certctl-target [options]

A certctl-compatible target for the bulk-renewal load test: POST
/api/v1/certificates/bulk-renew over HTTPS on 127.0.0.1, backed by a SQLite database
seeded with the load-test fleet, and a scheduler that completes the renewal jobs.

options:
  --port P                    port on 127.0.0.1 (default 8443; 0 picks a free one)
  --token T                   bearer token clients must send (default load-test-token)
  --db PATH                   SQLite database, created and seeded if empty
                              (default certctl-target.db); the TLS certificate and key
                              are kept beside it as PATH.cert.pem and PATH.key.pem
  --seed N                    bulk-renewal certificates to seed an empty database with
                              (default 10000)
  --threads N                 database worker threads (default: hardware threads)
  --scheduler-concurrency N   renewal jobs completed per issuer per scheduler tick
                              (default 25)
  --plain-http                serve plain HTTP instead of HTTPS
  --help                      this text

When ready it prints "listening on https://127.0.0.1:PORT". SIGINT or SIGTERM stops it
gracefully. Exit codes: 0 stopped by a signal, 1 start-up failed, 2 bad command line.
)";

namespace {

std::uint64_t parse_number(std::string_view flag, std::string_view value, std::uint64_t lowest,
                           std::uint64_t highest, std::string_view accepted) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v < lowest ||
      v > highest)
    throw usage_error("invalid " + std::string(flag) + ": \"" + std::string(value) +
                      "\" (expected " + std::string(accepted) + ")");
  return v;
}

}  // namespace

command_line parse_command_line(int argc, const char* const* argv) {
  command_line out;
  config& c = out.cfg;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string inline_value;
    bool has_inline = false;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag.resize(eq);
      has_inline = true;
    }
    const auto value = [&](std::string_view accepted) -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= argc)
        throw usage_error("missing value after " + flag + " (expected " + std::string(accepted) +
                          ")");
      return argv[++i];
    };
    const auto no_value = [&] {
      if (has_inline) throw usage_error(flag + " takes no value (got \"" + inline_value + "\")");
    };

    if (flag == "--help" || flag == "-h") {
      no_value();
      out.help = true;
    } else if (flag == "--plain-http") {
      no_value();
      c.plain_http = true;
    } else if (flag == "--port") {
      constexpr std::string_view form = "a port number 0..65535, 0 picking a free port";
      c.port = static_cast<std::uint16_t>(parse_number(flag, value(form), 0, 65535, form));
    } else if (flag == "--token") {
      constexpr std::string_view form = "a non-empty token of printable characters, no spaces";
      const std::string t = value(form);
      bool ok = !t.empty();
      for (char ch : t)
        ok = ok && ch > ' ' && ch <= '~';
      if (!ok) throw usage_error("invalid --token (expected " + std::string(form) + ")");
      c.token = t;
    } else if (flag == "--db") {
      constexpr std::string_view form = "a database file path";
      c.db = value(form);
      if (c.db.empty()) throw usage_error("invalid --db: \"\" (expected a database file path)");
    } else if (flag == "--seed") {
      constexpr std::string_view form = "a count 0..1000000";
      c.seed = static_cast<std::uint32_t>(parse_number(flag, value(form), 0, 1'000'000, form));
    } else if (flag == "--threads") {
      constexpr std::string_view form = "a thread count 1..256";
      c.threads = static_cast<unsigned>(parse_number(flag, value(form), 1, 256, form));
    } else if (flag == "--scheduler-concurrency") {
      constexpr std::string_view form = "a job count 1..100000";
      c.scheduler_concurrency =
          static_cast<std::uint32_t>(parse_number(flag, value(form), 1, 100'000, form));
    } else {
      throw usage_error("unknown option \"" + flag +
                        "\" (expected --port, --token, --db, --seed, --threads, "
                        "--scheduler-concurrency, --plain-http or --help)");
    }
  }
  return out;
}

}  // namespace certctl_target
