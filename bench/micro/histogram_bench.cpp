// The latency histogram: recording is on every request's path (eight trends per response);
// percentiles and merges run when a run ends or a threshold is evaluated.
#include <pacer/metrics/histogram.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

// Latencies as loopback HTTP gives them, in nanoseconds: log-normal around 400 µs.
std::vector<std::uint64_t> latencies(std::size_t n) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> d(std::log(400e3), 0.6);
  std::vector<std::uint64_t> v(n);
  for (auto& x : v)
    x = static_cast<std::uint64_t>(d(rng));
  return v;
}

pacer::metrics::histogram filled(std::size_t n) {
  pacer::metrics::histogram h;
  for (auto v : latencies(n))
    h.record(v);
  return h;
}

void histogram_record(benchmark::State& state) {
  const auto values = latencies(4096);
  pacer::metrics::histogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(histogram_record);

// Values below 2048 (sub-microsecond phases such as http_req_sending) are counted exactly.
void histogram_record_small(benchmark::State& state) {
  pacer::metrics::histogram h;
  std::uint64_t v = 0;
  for (auto _ : state) {
    h.record(v);
    v = (v + 97) & 2047;
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(histogram_record_small);

void histogram_percentile(benchmark::State& state) {
  const auto h = filled(1'000'000);
  for (auto _ : state)
    benchmark::DoNotOptimize(h.percentile(99));
}
BENCHMARK(histogram_percentile);

// A shard's histogram merged into the run's total.
void histogram_merge(benchmark::State& state) {
  const auto shard = filled(100'000);
  pacer::metrics::histogram total;
  for (auto _ : state) {
    total.merge(shard);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(histogram_merge);

}  // namespace
