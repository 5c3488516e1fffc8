// Fuzzes parse_flags. The input is split on NUL and newline into arguments; those of the form
// PACER_NAME=VALUE become the environment instead, through a fake lookup. A bad flag or value
// must be rejected with config_error; otherwise argv keeps argv[0] and every argument that is
// not a --pacer_* flag, in order, and stays null-terminated.

#include <pacer/cli/flags.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args{"fuzz"};
  std::map<std::string, std::string> env;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(std::string_view("\0\n", 2), start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(start, end - start);
    const std::size_t eq = part.find('=');
    if (part.rfind("PACER_", 0) == 0 && eq != std::string_view::npos)
      env[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
    else
      args.emplace_back(part);
    start = end + 1;
  }

  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::vector<char*> before = argv;
  int argc = static_cast<int>(args.size());
  const pacer::env_lookup lookup = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };

  pacer::main_flags flags;
  try {
    flags = pacer::parse_flags(argc, argv.data(), lookup);
  } catch (const pacer::config_error&) {
    return 0;
  }

  if (argc < 1 || argv[0] != before[0] || argv[static_cast<std::size_t>(argc)] != nullptr)
    std::abort();
  std::size_t kept = 1;
  for (std::size_t i = 1; i + 1 < before.size(); ++i) {
    if (std::string_view(before[i]).rfind("--pacer_", 0) == 0) continue;
    if (kept >= static_cast<std::size_t>(argc) || argv[kept] != before[i]) std::abort();
    ++kept;
  }
  if (kept != static_cast<std::size_t>(argc)) std::abort();

  // What run_main does with the values next: they must be usable as they are.
  if (flags.threads && (*flags.threads < 1 || *flags.threads > 1024)) std::abort();
  if (flags.duration_scale && !(*flags.duration_scale > 0)) std::abort();
  if (flags.duration && flags.duration->count() <= 0) std::abort();
  for (const auto& out : flags.outs)
    if (out.path.empty()) std::abort();
  return 0;
}
