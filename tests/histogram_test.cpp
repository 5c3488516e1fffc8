#include "pacer/metrics/histogram.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using pacer::metrics::histogram;
using pacer::metrics::histogram_from_json;
using pacer::metrics::to_json_value;
using bucket = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
const std::vector<double> checked_percentiles = {0,  1,  10, 25,   50,    75,
                                                 90, 95, 99, 99.9, 99.99, 100};

// The reference: k6 keeps every sample sorted and interpolates between neighbouring ranks.
double k6_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  if (sorted.size() == 1) return static_cast<double>(sorted[0]);
  const double i = (p / 100.0) * (static_cast<double>(sorted.size()) - 1.0);
  const double j = static_cast<double>(sorted[static_cast<std::size_t>(std::floor(i))]);
  const double k = static_cast<double>(sorted[static_cast<std::size_t>(std::ceil(i))]);
  return j + (k - j) * (i - std::floor(i));
}

double relative_error(double got, double want) {
  if (want == 0.0) return std::abs(got);
  return std::abs(got - want) / std::abs(want);
}

// Uniform in [0, 1) with 53 random bits; avoids the implementation-defined std distributions.
double unit(std::mt19937_64& gen) {
  return static_cast<double>(gen() >> 11) * 0x1.0p-53;
}

// Log-uniform in [1, 1e10): every decade equally likely, so all octave widths get exercised.
std::vector<std::uint64_t> make_log_uniform(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<std::uint64_t> out(n);
  const double span = std::log(1e10);
  for (auto& v : out)
    v = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::exp(unit(gen) * span)));
  return out;
}

// Latencies in ns: lognormal body around 20 ms plus a 2 % slow tail around 500 ms.
std::vector<std::uint64_t> make_latencies(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::vector<std::uint64_t> out(n);
  const double two_pi = 6.283185307179586;
  for (auto& v : out) {
    const double u1 = 1.0 - unit(gen);  // (0, 1] so log() is finite
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * unit(gen));
    const bool slow = unit(gen) < 0.02;
    const double ns = slow ? 5e8 * std::exp(0.5 * z) : 2e7 * std::exp(0.6 * z);
    v = static_cast<std::uint64_t>(ns);
  }
  return out;
}

const std::vector<std::uint64_t>& log_uniform_samples() {
  static const std::vector<std::uint64_t> samples = make_log_uniform(1'000'000, 20240611);
  return samples;
}

histogram histogram_of(const std::vector<std::uint64_t>& samples) {
  histogram h;
  for (const auto v : samples)
    h.record(v);
  return h;
}

std::vector<bucket> buckets_of(const histogram& h) {
  std::vector<bucket> out;
  h.for_each_bucket(
      [&](std::uint64_t lo, std::uint64_t hi, std::uint64_t c) { out.emplace_back(lo, hi, c); });
  return out;
}

std::uint64_t exact_sum(const std::vector<std::uint64_t>& samples) {
  std::uint64_t s = 0;
  for (const auto v : samples)
    s += v;  // the data sets stay far below 2^64
  return s;
}

// Compares the histogram with the exact k6 result on the same samples; returns the worst
// relative error seen over a dense sweep plus the percentiles users typically ask for.
double check_against_exact(const std::vector<std::uint64_t>& samples) {
  std::vector<std::uint64_t> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  const histogram h = histogram_of(samples);

  REQUIRE(h.count() == samples.size());
  REQUIRE(h.min() == sorted.front());
  REQUIRE(h.max() == sorted.back());
  const std::uint64_t sum = exact_sum(samples);
  REQUIRE(to_json_value(h)["sum"].get<std::uint64_t>() == sum);
  REQUIRE(h.sum() == static_cast<double>(sum));
  REQUIRE(h.mean() == Approx(static_cast<double>(static_cast<long double>(sum) / samples.size())));

  std::vector<double> ps = checked_percentiles;
  for (int i = 0; i <= 1000; ++i)
    ps.push_back(i / 10.0);
  double worst = 0.0;
  for (const double p : ps) {
    const double want = k6_percentile(sorted, p);
    const double got = h.percentile(p);
    const double err = relative_error(got, want);
    INFO("p" << p << ": histogram " << got << ", exact " << want << ", relative error " << err);
    CHECK(err <= 1e-3);
    worst = std::max(worst, err);
  }
  REQUIRE(h.percentile(0) == static_cast<double>(sorted.front()));
  REQUIRE(h.percentile(100) == static_cast<double>(sorted.back()));
  REQUIRE(h.median() == h.percentile(50));
  // Bucket midpoints are off by at most half a bucket, i.e. under 1/2048 of the value.
  CHECK(worst < 1.0 / 2048);
  return worst;
}

}  // namespace

TEST_CASE("histogram reports small values exactly", "[histogram]") {
  histogram h;
  for (const std::uint64_t v : {5, 1, 9, 3, 7})
    h.record(v);
  CHECK(h.count() == 5);
  CHECK(h.sum() == 25.0);
  CHECK(h.min() == 1);
  CHECK(h.max() == 9);
  CHECK(h.mean() == 5.0);
  CHECK(h.median() == 5.0);
  CHECK(h.percentile(25) == 3.0);
  CHECK(h.percentile(10) == Approx(1.8));  // k6 interpolates between 1 and 3

  SECTION("every value below 2048 matches the k6 rule bit for bit") {
    std::vector<std::uint64_t> samples;
    std::mt19937_64 gen(7);
    for (int i = 0; i < 5000; ++i)
      samples.push_back(gen() % 2048);
    const histogram all = histogram_of(samples);
    std::sort(samples.begin(), samples.end());
    for (int i = 0; i <= 1000; ++i) {
      const double p = i / 10.0;
      INFO("p" << p);
      CHECK(all.percentile(p) == k6_percentile(samples, p));
    }
    for (const auto& [lo, hi, c] : buckets_of(all)) {
      CHECK(lo == hi);
      CHECK(c == static_cast<std::uint64_t>(std::count(samples.begin(), samples.end(), lo)));
    }
  }
}

TEST_CASE("histogram buckets are at most 1/1024 of their value wide", "[histogram]") {
  std::vector<std::uint64_t> values = {0, 1, 2047, 2048, 2049, 4095, 4096, 1'000'000, u64_max};
  for (unsigned k = 1; k < 64; ++k) {
    const std::uint64_t p2 = std::uint64_t{1} << k;
    values.insert(values.end(), {p2 - 1, p2, p2 + 1, p2 + p2 / 3});
  }
  for (const auto v : values) {
    histogram h;
    h.record(v);
    const auto buckets = buckets_of(h);
    REQUIRE(buckets.size() == 1);
    const auto [lo, hi, c] = buckets.front();
    INFO("value " << v << " landed in [" << lo << ", " << hi << "]");
    CHECK(c == 1);
    CHECK(lo <= v);
    CHECK(v <= hi);
    CHECK(hi - lo <= std::max<std::uint64_t>(lo / 1024, 1) - 1);
  }
}

TEST_CASE("histogram percentiles stay within 0.1% of exact k6 percentiles", "[histogram]") {
  SECTION("log-uniform values between 1 and 1e10") {
    CHECK(check_against_exact(log_uniform_samples()) <= 1e-3);
  }
  SECTION("lognormal latencies in nanoseconds with a slow tail") {
    CHECK(check_against_exact(make_latencies(1'000'000, 99)) <= 1e-3);
  }
}

TEST_CASE("histogram percentiles never decrease as p grows", "[histogram]") {
  const histogram h = histogram_of(make_latencies(200'000, 5));
  double prev = h.percentile(0);
  for (int i = 1; i <= 10000; ++i) {
    const double cur = h.percentile(i / 100.0);
    INFO("p" << i / 100.0);
    REQUIRE(cur >= prev);
    prev = cur;
  }
  CHECK(h.percentile(-5) == h.percentile(0));
  CHECK(h.percentile(250) == h.percentile(100));
}

TEST_CASE("merging shards gives exactly the histogram of all samples", "[histogram]") {
  const auto& samples = log_uniform_samples();
  const histogram whole = histogram_of(samples);

  auto require_identical = [&](const histogram& merged) {
    REQUIRE(merged == whole);
    REQUIRE(merged.count() == whole.count());
    REQUIRE(merged.sum() == whole.sum());
    REQUIRE(merged.min() == whole.min());
    REQUIRE(merged.max() == whole.max());
    REQUIRE(buckets_of(merged) == buckets_of(whole));
    REQUIRE(to_json_value(merged) == to_json_value(whole));
    for (int i = 0; i <= 1000; ++i) {
      INFO("p" << i / 10.0);
      REQUIRE(merged.percentile(i / 10.0) == whole.percentile(i / 10.0));
    }
    for (const double p : checked_percentiles)
      REQUIRE(merged.percentile(p) == whole.percentile(p));
  };

  SECTION("two uneven halves") {
    const auto cut = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 3);
    histogram merged = histogram_of({samples.begin(), cut});
    merged.merge(histogram_of({cut, samples.end()}));
    require_identical(merged);
  }
  SECTION("seven round-robin shards merged in reverse order") {
    std::vector<histogram> shards(7);
    for (std::size_t i = 0; i < samples.size(); ++i)
      shards[i % 7].record(samples[i]);
    histogram merged;
    for (auto it = shards.rbegin(); it != shards.rend(); ++it)
      merged.merge(*it);
    require_identical(merged);
  }
  SECTION("merging an empty histogram changes nothing, in either direction") {
    histogram a = whole;
    a.merge(histogram{});
    require_identical(a);
    histogram b;
    b.merge(whole);
    require_identical(b);
  }
}

TEST_CASE("merging a histogram into itself doubles every bucket", "[histogram]") {
  histogram h;
  for (const std::uint64_t v : {3, 3000, 3'000'000})
    h.record(v);
  h.merge(h);
  histogram twice;
  for (const std::uint64_t v : {3, 3000, 3'000'000})
    twice.record_n(v, 2);
  CHECK(h == twice);
  CHECK(h.count() == 6);
}

TEST_CASE("histogram edge cases", "[histogram]") {
  SECTION("empty histogram reports zeros") {
    const histogram h;
    CHECK(h.empty());
    CHECK(h.count() == 0);
    CHECK(h.sum() == 0.0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0.0);
    CHECK(h.median() == 0.0);
    for (const double p : checked_percentiles)
      CHECK(h.percentile(p) == 0.0);
    CHECK(buckets_of(h).empty());
    CHECK(h.allocated_bytes() == 0);
  }
  SECTION("a single sample is every percentile") {
    histogram h;
    h.record(123'456'789);
    CHECK(h.mean() == 123'456'789.0);
    for (const double p : checked_percentiles)
      CHECK(h.percentile(p) == 123'456'789.0);
  }
  SECTION("two samples interpolate exactly between min and max") {
    histogram h;
    h.record(1'000'001);
    h.record(3'000'003);
    CHECK(h.percentile(0) == 1'000'001.0);
    CHECK(h.percentile(100) == 3'000'003.0);
    CHECK(h.median() == 2'000'002.0);
  }
  SECTION("0 and UINT64_MAX are recorded and reported exactly") {
    histogram h;
    h.record(u64_max);
    h.record(0);
    h.record(u64_max);
    CHECK(h.count() == 3);
    CHECK(h.min() == 0);
    CHECK(h.max() == u64_max);
    CHECK(h.percentile(0) == 0.0);
    CHECK(h.percentile(100) == static_cast<double>(u64_max));
    CHECK(relative_error(h.median(), static_cast<double>(u64_max)) <= 1e-3);
    CHECK(h.sum() == 2.0 * static_cast<double>(u64_max));
    CHECK(to_json_value(h)["sum"] == "36893488147419103230");  // 2 * (2^64 - 1), exact
    for (const auto& [lo, hi, c] : buckets_of(h))
      CHECK(lo <= hi);
  }
  SECTION("every power of two and its predecessor") {
    histogram h;
    for (unsigned k = 0; k < 64; ++k) {
      h.record(std::uint64_t{1} << k);
      h.record((std::uint64_t{1} << k) - 1);
    }
    h.record(u64_max);
    CHECK(h.count() == 129);
    CHECK(h.min() == 0);
    CHECK(h.max() == u64_max);
    std::uint64_t total = 0;
    std::uint64_t prev_hi = 0;
    bool first = true;
    for (const auto& [lo, hi, c] : buckets_of(h)) {
      CHECK((first || lo > prev_hi));  // increasing, non-overlapping
      first = false;
      prev_hi = hi;
      total += c;
    }
    CHECK(total == 129);
  }
}

TEST_CASE("record_n is record repeated n times", "[histogram]") {
  histogram a;
  histogram b;
  for (int i = 0; i < 1000; ++i)
    a.record(77'777);
  a.record(5);
  b.record_n(77'777, 1000);
  b.record_n(5, 1);
  b.record_n(9'999'999, 0);  // no samples: must not touch min/max
  CHECK(a == b);
  CHECK(b.max() == 77'777);
  CHECK(b.percentile(99) == a.percentile(99));

  histogram big;
  big.record_n(u64_max, u64_max);
  CHECK(big.count() == u64_max);
  CHECK(to_json_value(big)["sum"] == "340282366920938463426481119284349108225");  // (2^64-1)^2
  CHECK_THROWS_AS(big.record_n(1, 1), std::overflow_error);
  CHECK_THROWS_AS(big.merge(big), std::overflow_error);
  CHECK(big.count() == u64_max);
}

TEST_CASE("histogram copies, moves and resets", "[histogram]") {
  histogram h = histogram_of(make_latencies(10'000, 3));
  const histogram original = h;

  histogram copy = h;
  CHECK(copy == h);
  copy.record(1);
  CHECK(copy.count() == h.count() + 1);
  CHECK(h == original);  // the copy is deep

  histogram assigned;
  assigned.record(u64_max);  // stale contents must disappear on assignment
  assigned = h;
  CHECK(assigned == h);
  CHECK(buckets_of(assigned) == buckets_of(h));

  histogram moved = std::move(copy);
  CHECK(moved.count() == h.count() + 1);
  CHECK(copy.empty());  // moved-from is documented to be empty
  CHECK(copy.percentile(50) == 0.0);

  const std::size_t bytes = h.allocated_bytes();
  h.reset();
  CHECK(h.empty());
  CHECK(h.max() == 0);
  CHECK(h.median() == 0.0);
  CHECK(buckets_of(h).empty());
  CHECK(h == histogram{});
  CHECK(h.allocated_bytes() == bytes);  // blocks are kept for reuse
  h.record(42);
  CHECK(h.min() == 42);
  CHECK(h.max() == 42);
  CHECK(h.median() == 42.0);
}

TEST_CASE("histogram JSON round trip is exact", "[histogram][json]") {
  SECTION("a million samples through text") {
    const histogram h = histogram_of(log_uniform_samples());
    const std::string text = to_json_value(h).dump();
    const histogram back = histogram_from_json(nlohmann::json::parse(text));
    CHECK(back == h);
    CHECK(buckets_of(back) == buckets_of(h));
    CHECK(to_json_value(back).dump() == text);
    for (const double p : checked_percentiles)
      CHECK(back.percentile(p) == h.percentile(p));
  }
  SECTION("shape") {
    histogram h;
    h.record(3);
    h.record(3);
    h.record(5000);
    const auto j = to_json_value(h);
    CHECK(j == nlohmann::json::parse(R"({"layout":"log-linear-2048-1024","count":3,"sum":5006,
        "min":3,"max":5000,"buckets":"3:2 3298:1"})"));
    // The earlier form, an array of [index, count] pairs, still reads.
    CHECK(histogram_from_json(nlohmann::json::parse(R"({"layout":"log-linear-2048-1024",
        "count":3,"sum":5006,"min":3,"max":5000,"buckets":[[3,2],[3298,1]]})")) == h);
  }
  SECTION("empty, extreme and huge-sum histograms") {
    histogram extremes;
    extremes.record(0);
    extremes.record_n(u64_max, 5);
    for (const histogram& h : {histogram{}, extremes}) {
      const histogram back = histogram_from_json(nlohmann::json::parse(to_json_value(h).dump()));
      CHECK(back == h);
      CHECK(back.max() == h.max());
    }
  }
  SECTION("merging deserialized shards equals the whole") {
    const auto samples = make_latencies(100'000, 11);
    histogram merged;
    for (std::size_t part = 0; part < 4; ++part) {
      histogram shard;
      for (std::size_t i = part; i < samples.size(); i += 4)
        shard.record(samples[i]);
      merged.merge(histogram_from_json(nlohmann::json::parse(to_json_value(shard).dump())));
    }
    CHECK(merged == histogram_of(samples));
  }
}

TEST_CASE("malformed histogram JSON is rejected", "[histogram][json]") {
  histogram h;
  h.record(3);
  h.record(3);
  h.record(5000);
  const nlohmann::json good = to_json_value(h);
  REQUIRE_NOTHROW(histogram_from_json(good));

  auto with = [&](const char* key, nlohmann::json value) {
    nlohmann::json j = good;
    j[key] = std::move(value);
    return j;
  };
  auto without = [&](const char* key) {
    nlohmann::json j = good;
    j.erase(key);
    return j;
  };
  using nlohmann::json;
  const std::vector<std::pair<std::string, json>> bad = {
      {"array instead of object", json::array({1, 2})},
      {"null", json()},
      {"no layout", without("layout")},
      {"other layout", with("layout", "hdr-3")},
      {"layout not a string", with("layout", 2048)},
      {"no count", without("count")},
      {"negative count", with("count", -3)},
      {"fractional count", with("count", 3.5)},
      {"count as string", with("count", "3")},
      {"count disagrees with buckets", with("count", 4)},
      {"no sum", without("sum")},
      {"sum below what buckets allow", with("sum", 10)},
      {"sum above what buckets allow", with("sum", 7000)},
      {"sum string with garbage", with("sum", "12x")},
      {"sum string above 2^128", with("sum", "340282366920938463463374607431768211456")},
      {"no min", without("min")},
      {"min not in first bucket", with("min", 2)},
      {"max not in last bucket", with("max", 6000)},
      {"min above max", with("min", 6000)},
      {"no buckets", without("buckets")},
      {"buckets neither string nor array", with("buckets", json::object())},
      {"bucket not a pair", with("buckets", json::parse("[[3,2,1],[3298,1]]"))},
      {"bucket index out of range", with("buckets", "3:2 56320:1")},
      {"bucket indices out of order", with("buckets", "3298:1 3:2")},
      {"duplicate bucket index", with("buckets", "3:1 3:1 3298:1")},
      {"zero bucket count", with("buckets", "3:2 4:0 3298:1")},
      {"negative bucket count", with("buckets", "3:3 3298:-1")},
      {"bucket counts overflow", with("buckets", "3:18446744073709551615 3298:1")},
      {"bucket count beyond 64 bits", with("buckets", "3:18446744073709551616 3298:1")},
      {"entry without colon", with("buckets", "3:2 3298")},
      {"two spaces", with("buckets", "3:2  3298:1")},
      {"trailing space", with("buckets", "3:2 3298:1 ")},
      {"leading space", with("buckets", " 3:2 3298:1")},
      {"comma separated", with("buckets", "3:2,3298:1")},
      {"legacy pairs out of order", with("buckets", json::parse("[[3298,1],[3,2]]"))},
      {"legacy negative count", with("buckets", json::parse("[[3,3],[3298,-1]]"))},
      {"single sample whose sum is not its value", json::parse(R"({"layout":"log-linear-2048-1024",
          "count":1,"sum":5001,"min":5000,"max":5000,"buckets":"3298:1"})")},
      {"empty histogram with a max", json::parse(R"({"layout":"log-linear-2048-1024",
          "count":0,"sum":0,"min":0,"max":5,"buckets":""})")},
  };
  for (const auto& [name, j] : bad) {
    INFO(name << ": " << j.dump());
    CHECK_THROWS_AS(histogram_from_json(j), std::invalid_argument);
  }
  CHECK_THROWS_WITH(
      histogram_from_json(with("count", 4)),
      Catch::Contains("bucket counts add up to 3") && Catch::Contains("\"count\" is 4"));
  CHECK_THROWS_WITH(histogram_from_json(without("buckets")), Catch::Contains("\"buckets\""));
}

TEST_CASE("histogram memory stays bounded by the octaves it sees", "[histogram][memory]") {
  constexpr std::size_t octave_bytes = 1024 * sizeof(std::uint64_t);
  histogram h;
  // 10 million latencies between 1 ms and 2 ms: parts of two octaves.
  std::uint64_t x = 12345;
  for (int i = 0; i < 10'000'000; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    h.record(1'000'000 + (x >> 33) % 1'000'000);
  }
  CHECK(h.count() == 10'000'000);
  CHECK(h.allocated_bytes() > 0);
  CHECK(h.allocated_bytes() <= 2 * octave_bytes);

  // A rare outlier costs one small block, not a whole octave.
  const std::size_t before = h.allocated_bytes();
  h.record(5'000'000'000);
  CHECK(h.allocated_bytes() - before <= octave_bytes / 8);

  histogram everywhere;
  everywhere.record(0);
  for (unsigned k = 0; k < 64; ++k) {
    everywhere.record(std::uint64_t{1} << k);
    everywhere.record((std::uint64_t{3} << k) >> 1);
  }
  CHECK(everywhere.allocated_bytes() <= 55 * octave_bytes);  // the whole uint64 range < 450 KB
  const std::size_t full = everywhere.allocated_bytes();
  for (unsigned k = 0; k < 64; ++k)
    everywhere.record((std::uint64_t{3} << k) >> 1);
  CHECK(everywhere.allocated_bytes() == full);  // steady state: no further blocks
}
