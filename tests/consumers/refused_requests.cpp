// A program that uses pacer as a dependency. It runs 5 iterations against a
// loopback port that refuses connections, so it needs no server and no network,
// and checks that every request was sent and counted as refused.
#include <pacer/pacer.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>

using namespace std::chrono_literals;

int main() {
  pacer::test_plan plan;
  plan.add(pacer::scenario("refused",
                           pacer::constant_arrival_rate(5, 1s).duration(1s).pre_allocated_vus(1),
                           pacer::http::get("http://127.0.0.1:1/")));
  plan.options.threads = 1;
  const pacer::run_result result = pacer::run(plan);

  const auto& failed = result.failed_requests_by_error_code;
  const auto refused_entry = failed.find(pacer::http::error_code::connection_refused);
  const std::uint64_t refused = refused_entry == failed.end() ? 0 : refused_entry->second;
  const double requests = result.count("http_reqs");
  const std::uint64_t completed = result.totals().completed;
  std::printf("pacer %s: %.0f requests, %llu refused, %llu iterations completed\n",
              PACER_VERSION_STRING, requests, static_cast<unsigned long long>(refused),
              static_cast<unsigned long long>(completed));
  return requests == 5 && refused == 5 && completed == 5 ? 0 : 1;
}
