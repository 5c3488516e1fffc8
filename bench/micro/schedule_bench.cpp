// Schedule computation: the due time of the next iteration, computed for every iteration an
// open-model executor starts.
#include <pacer/plan/executors.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>

using namespace std::chrono_literals;

namespace {

void schedule_constant_due(benchmark::State& state) {
  const auto e = pacer::constant_arrival_rate(10'000, 1s).duration(1h);
  const std::uint64_t total = e.total_iterations();
  std::uint64_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.due(k));
    k = k + 1 == total ? 0 : k + 1;
  }
}
BENCHMARK(schedule_constant_due);

// Ramp up, hold, ramp down, repeated: state.range(0) stages in all; the due time walks the
// stages, so its cost grows with their number.
void schedule_ramping_due(benchmark::State& state) {
  pacer::ramping_arrival_rate e(0, 1s);
  for (std::int64_t i = 0; i < state.range(0); ++i)
    e.add_stage(1min, i % 3 == 2 ? 0 : 1000);
  std::uint64_t total = 0;
  while (e.due(total))
    total += 1000;  // iterations the stages hold, to a thousand
  std::uint64_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(e.due(k));
    k = k + 7 >= total ? 0 : k + 7;
  }
}
BENCHMARK(schedule_ramping_due)->Arg(3)->Arg(30);

}  // namespace
