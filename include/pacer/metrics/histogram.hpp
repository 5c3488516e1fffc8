#ifndef PACER_METRICS_HISTOGRAM_HPP
#define PACER_METRICS_HISTOGRAM_HPP

// Log-linear histogram of unsigned 64-bit values (nanoseconds in practice), used as the
// "trend" sink. Memory does not grow with the number of samples, recording is O(1), and
// percentiles follow k6's trend rule to within 0.1 % relative error.
//
// Layout ("log-linear-2048-1024"):
//   * values below 2048 have a bucket of their own, so they are reported exactly;
//   * each octave [2^k, 2^(k+1)) with k >= 11 is split into 1024 equal sub-buckets of width
//     2^(k-10), so a bucket is never wider than 1/1024 of its lowest value.
// Bucket indices run from 0 to 56319 (octave group g = index >> 10: groups 0 and 1 hold the
// exact region, group g >= 2 octave g + 9). Counters are stored in blocks of 128 (1 KiB), each
// allocated on its first sample: a histogram costs about 1 KiB per eighth of an octave its
// values reach, so rare outliers in a long run add little.
//
// Not thread-safe: keep one histogram per thread and merge() them; merging is exact.

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace pacer::detail {

inline constexpr std::uint64_t hist_exact_limit = 2048;
inline constexpr std::size_t hist_bucket_count = 55 * 1024;  // 2 exact groups + octaves 11..63
inline constexpr std::size_t hist_block_shift = 7;
inline constexpr std::size_t hist_block_size = std::size_t{1} << hist_block_shift;
inline constexpr std::size_t hist_block_count = hist_bucket_count / hist_block_size;

constexpr std::size_t hist_bucket_index(std::uint64_t v) noexcept {
  if (v < hist_exact_limit) return static_cast<std::size_t>(v);
  const unsigned k = static_cast<unsigned>(std::bit_width(v)) - 1;  // 11..63
  // v >> (k - 10) lies in [1024, 2048): its low 10 bits select the sub-bucket.
  return (static_cast<std::size_t>(k - 9) << 10) + static_cast<std::size_t>((v >> (k - 10)) - 1024);
}

constexpr std::uint64_t hist_bucket_lowest(std::size_t index) noexcept {
  if (index < hist_exact_limit) return index;
  const std::size_t group = index >> 10;
  return (std::uint64_t{1024} + (index & 1023)) << (group - 1);
}

constexpr std::uint64_t hist_bucket_highest(std::size_t index) noexcept {
  if (index < hist_exact_limit) return index;
  const std::size_t group = index >> 10;
  // Written as lowest + (width - 1) so the top bucket ends at UINT64_MAX without overflow.
  return hist_bucket_lowest(index) + ((std::uint64_t{1} << (group - 1)) - 1);
}

// Minimal portable unsigned 128-bit integer: the exact sum of up to 2^64 samples of up to
// 2^64 - 1 each always fits, which keeps sum() exact and merging order-independent.
struct hist_u128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  constexpr hist_u128& operator+=(const hist_u128& o) noexcept {
    lo += o.lo;
    hi += o.hi + (lo < o.lo ? 1 : 0);
    return *this;
  }
  friend constexpr bool operator==(const hist_u128&, const hist_u128&) = default;
  friend constexpr auto operator<=>(const hist_u128&, const hist_u128&) = default;

  long double to_long_double() const noexcept {
    return static_cast<long double>(hi) * 18446744073709551616.0L + static_cast<long double>(lo);
  }
};

constexpr hist_u128 hist_mul(std::uint64_t a, std::uint64_t b) noexcept {
  const std::uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32;
  const std::uint64_t b_lo = b & 0xffffffffu, b_hi = b >> 32;
  const std::uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
  const std::uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  return {hh + (lh >> 32) + (hl >> 32) + (mid >> 32), (mid << 32) | (ll & 0xffffffffu)};
}

inline std::string hist_to_decimal(hist_u128 v) {
  if (v.hi == 0) return std::to_string(v.lo);
  // Long division by 10 over four 32-bit limbs, most significant first.
  std::uint32_t limbs[4] = {
      static_cast<std::uint32_t>(v.hi >> 32), static_cast<std::uint32_t>(v.hi),
      static_cast<std::uint32_t>(v.lo >> 32), static_cast<std::uint32_t>(v.lo)};
  std::string digits;
  while (limbs[0] != 0 || limbs[1] != 0 || limbs[2] != 0 || limbs[3] != 0) {
    std::uint64_t rem = 0;
    for (auto& limb : limbs) {
      const std::uint64_t cur = (rem << 32) | limb;
      limb = static_cast<std::uint32_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

// Returns false if s is not a plain decimal number or does not fit in 128 bits.
inline bool hist_parse_decimal(const std::string& s, hist_u128& out) noexcept {
  if (s.empty()) return false;
  hist_u128 v;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    const hist_u128 lo10 = hist_mul(v.lo, 10);
    const hist_u128 hi10 = hist_mul(v.hi, 10);
    if (hi10.hi != 0) return false;
    hist_u128 next{hi10.lo, lo10.lo};
    next.hi += lo10.hi;
    if (next.hi < lo10.hi) return false;
    const hist_u128 digit{0, static_cast<std::uint64_t>(c - '0')};
    const hist_u128 before = next;
    next += digit;
    if (next < before) return false;
    v = next;
  }
  out = v;
  return true;
}

[[noreturn]] inline void hist_json_error(const std::string& what) {
  throw std::invalid_argument("pacer histogram JSON: " + what);
}

inline std::uint64_t hist_json_u64(const nlohmann::json& v, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  hist_json_error(what + " must be a non-negative integer, got " + v.dump());
}

inline const nlohmann::json& hist_json_field(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) hist_json_error(std::string("missing field \"") + key + "\"");
  return *it;
}

}  // namespace pacer::detail

namespace pacer::metrics {

class histogram;
inline nlohmann::json to_json_value(const histogram& h);
inline histogram histogram_from_json(const nlohmann::json& j);

class histogram {
 public:
  histogram() = default;

  histogram(const histogram& other) { *this = other; }

  // Reuses blocks that are already allocated, so periodically copying a live histogram into
  // the same snapshot object does not allocate once the snapshot has seen those octaves.
  histogram& operator=(const histogram& other) {
    if (this == &other) return *this;
    for (std::size_t b = 0; b < detail::hist_block_count; ++b) {
      if (other.block_totals_[b] != 0) {
        if (!blocks_[b]) blocks_[b] = std::make_unique<std::uint64_t[]>(detail::hist_block_size);
        std::memcpy(blocks_[b].get(), other.blocks_[b].get(),
                    detail::hist_block_size * sizeof(std::uint64_t));
      } else if (blocks_[b] && block_totals_[b] != 0) {
        std::fill_n(blocks_[b].get(), detail::hist_block_size, std::uint64_t{0});
      }
    }
    block_totals_ = other.block_totals_;
    count_ = other.count_;
    sum_ = other.sum_;
    min_ = other.min_;
    max_ = other.max_;
    return *this;
  }

  // The moved-from histogram is left empty (not half-populated).
  histogram(histogram&& other) noexcept { swap(other); }
  histogram& operator=(histogram&& other) noexcept {
    if (this != &other) {
      histogram tmp(std::move(other));
      swap(tmp);
    }
    return *this;
  }
  ~histogram() = default;

  void swap(histogram& other) noexcept {
    blocks_.swap(other.blocks_);
    block_totals_.swap(other.block_totals_);
    std::swap(count_, other.count_);
    std::swap(sum_, other.sum_);
    std::swap(min_, other.min_);
    std::swap(max_, other.max_);
  }
  friend void swap(histogram& a, histogram& b) noexcept { a.swap(b); }

  // Allocates only on the first sample of an octave; running out of memory there terminates.
  void record(std::uint64_t v) noexcept {
    const std::size_t index = detail::hist_bucket_index(v);
    const std::size_t b = index >> detail::hist_block_shift;
    if (!blocks_[b]) [[unlikely]]
      blocks_[b] = std::make_unique<std::uint64_t[]>(detail::hist_block_size);
    ++blocks_[b][index & (detail::hist_block_size - 1)];
    ++block_totals_[b];
    ++count_;
    sum_ += detail::hist_u128{0, v};
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  // Records v n times. Throws std::overflow_error if the total count would exceed 2^64 - 1.
  void record_n(std::uint64_t v, std::uint64_t n) {
    if (n == 0) return;
    if (n > std::numeric_limits<std::uint64_t>::max() - count_)
      throw std::overflow_error("pacer::metrics::histogram: sample count overflow");
    const std::size_t index = detail::hist_bucket_index(v);
    const std::size_t b = index >> detail::hist_block_shift;
    if (!blocks_[b]) blocks_[b] = std::make_unique<std::uint64_t[]>(detail::hist_block_size);
    blocks_[b][index & (detail::hist_block_size - 1)] += n;
    block_totals_[b] += n;
    count_ += n;
    sum_ += detail::hist_mul(v, n);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  // Exact: merging shards yields exactly the histogram of all their samples.
  // Throws std::overflow_error if the total count would exceed 2^64 - 1.
  void merge(const histogram& other) {
    if (other.count_ == 0) return;
    if (other.count_ > std::numeric_limits<std::uint64_t>::max() - count_)
      throw std::overflow_error("pacer::metrics::histogram: sample count overflow in merge");
    for (std::size_t b = 0; b < detail::hist_block_count; ++b) {
      if (other.block_totals_[b] == 0) continue;
      if (!blocks_[b]) blocks_[b] = std::make_unique<std::uint64_t[]>(detail::hist_block_size);
      std::uint64_t* dst = blocks_[b].get();
      const std::uint64_t* src = other.blocks_[b].get();
      for (std::size_t s = 0; s < detail::hist_block_size; ++s)
        dst[s] += src[s];
      block_totals_[b] += other.block_totals_[b];
    }
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }

  // Clears all samples but keeps allocated blocks for reuse, so a sink that is reset every
  // interval stops allocating. Assign a fresh histogram{} to release the memory.
  void reset() noexcept {
    for (std::size_t b = 0; b < detail::hist_block_count; ++b) {
      if (block_totals_[b] != 0)
        std::fill_n(blocks_[b].get(), detail::hist_block_size, std::uint64_t{0});
    }
    block_totals_.fill(0);
    count_ = 0;
    sum_ = {};
    min_ = std::numeric_limits<std::uint64_t>::max();
    max_ = 0;
  }

  bool empty() const noexcept { return count_ == 0; }
  std::uint64_t count() const noexcept { return count_; }
  double sum() const noexcept { return static_cast<double>(sum_.to_long_double()); }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept {
    if (count_ == 0) return 0.0;
    return static_cast<double>(sum_.to_long_double() / static_cast<long double>(count_));
  }

  // k6's trend rule: i = (p/100) * (count-1), interpolate between the values at ranks
  // floor(i) and ceil(i). A rank's value is its bucket's midpoint (exact below 2048, and exact
  // min/max at the first/last rank), and the result is clamped to [min, max]. p outside
  // [0, 100] is clamped into it; NaN counts as 0.
  double percentile(double p) const noexcept {
    if (count_ == 0) return 0.0;
    if (count_ == 1) return static_cast<double>(min_);
    if (!(p > 0.0)) p = 0.0;
    if (p > 100.0) p = 100.0;
    const std::uint64_t last_rank = count_ - 1;
    const double last = static_cast<double>(last_rank);
    const double i = (p / 100.0) * last;
    const double lower = std::floor(i);
    const double upper = std::ceil(i);
    // Compare as doubles first: above 2^53 the product may round past the last rank.
    const std::uint64_t r0 = lower >= last ? last_rank : static_cast<std::uint64_t>(lower);
    const std::uint64_t r1 = upper >= last ? last_rank : static_cast<std::uint64_t>(upper);
    double j = 0.0;
    double k = 0.0;
    values_at_ranks(r0, r1, j, k);
    const double result = j + (k - j) * (i - lower);
    return std::clamp(result, static_cast<double>(min_), static_cast<double>(max_));
  }
  double median() const noexcept { return percentile(50.0); }

  // Calls f(lowest_value, highest_value, count) for each non-empty bucket, in increasing order.
  template <class F>
  void for_each_bucket(F f) const {
    for (std::size_t b = 0; b < detail::hist_block_count; ++b) {
      if (block_totals_[b] == 0) continue;
      const std::uint64_t* counts = blocks_[b].get();
      for (std::size_t s = 0; s < detail::hist_block_size; ++s) {
        if (counts[s] == 0) continue;
        const std::size_t index = (b << detail::hist_block_shift) + s;
        f(detail::hist_bucket_lowest(index), detail::hist_bucket_highest(index), counts[s]);
      }
    }
  }

  // Heap bytes held by counter blocks (excludes sizeof(histogram), under 1 KB).
  std::size_t allocated_bytes() const noexcept {
    std::size_t blocks = 0;
    for (const auto& blk : blocks_)
      if (blk) ++blocks;
    return blocks * detail::hist_block_size * sizeof(std::uint64_t);
  }

  // Same samples in the same buckets; ignores which blocks happen to be allocated.
  friend bool operator==(const histogram& a, const histogram& b) noexcept {
    if (a.count_ != b.count_ || a.sum_ != b.sum_ || a.min_ != b.min_ || a.max_ != b.max_ ||
        a.block_totals_ != b.block_totals_)
      return false;
    for (std::size_t blk = 0; blk < detail::hist_block_count; ++blk) {
      if (a.block_totals_[blk] == 0) continue;
      if (!std::equal(a.blocks_[blk].get(), a.blocks_[blk].get() + detail::hist_block_size,
                      b.blocks_[blk].get()))
        return false;
    }
    return true;
  }

 private:
  friend nlohmann::json to_json_value(const histogram& h);
  friend histogram histogram_from_json(const nlohmann::json& j);

  double representative(std::size_t index) const noexcept {
    const std::uint64_t lo = detail::hist_bucket_lowest(index);
    const std::uint64_t hi = detail::hist_bucket_highest(index);
    const double mid = static_cast<double>(lo) + static_cast<double>(hi - lo) * 0.5;
    return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
  }

  // Values at ranks r0 <= r1 (0-based) in one scan; requires count_ >= 2.
  void values_at_ranks(std::uint64_t r0, std::uint64_t r1, double& v0, double& v1) const noexcept {
    const std::uint64_t ranks[2] = {r0, r1};
    double* out[2] = {&v0, &v1};
    int next = 0;
    std::uint64_t seen = 0;  // samples in all buckets before the current one
    for (std::size_t b = 0; b < detail::hist_block_count && next < 2; ++b) {
      const std::uint64_t total = block_totals_[b];
      if (total == 0) continue;
      if (ranks[next] >= seen + total) {
        seen += total;
        continue;
      }
      const std::uint64_t* counts = blocks_[b].get();
      for (std::size_t s = 0; s < detail::hist_block_size && next < 2; ++s) {
        if (counts[s] == 0) continue;
        seen += counts[s];
        while (next < 2 && ranks[next] < seen)
          *out[next++] = representative((b << detail::hist_block_shift) + s);
      }
    }
    // The extreme ranks are known exactly.
    const std::uint64_t last = count_ - 1;
    if (r0 == 0) v0 = static_cast<double>(min_);
    if (r0 == last) v0 = static_cast<double>(max_);
    if (r1 == last) v1 = static_cast<double>(max_);
  }

  std::array<std::unique_ptr<std::uint64_t[]>, detail::hist_block_count> blocks_{};
  std::array<std::uint64_t, detail::hist_block_count> block_totals_{};  // lets scans skip blocks
  std::uint64_t count_ = 0;
  detail::hist_u128 sum_{};
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();  // sentinel while empty
  std::uint64_t max_ = 0;
};

// {"layout":"log-linear-2048-1024","count":N,"sum":S,"min":m,"max":M,
//  "buckets":"index:count index:count ..."} with buckets sparse, in increasing index
// order, as one string: a long run's histogram has tens of thousands of buckets, and a
// JSON array of pairs costs a hundred bytes of memory for each. Readers also take the
// earlier form, "buckets":[[index,count],...].
// "sum" is a JSON integer, or a decimal string when it exceeds 2^64 - 1.
inline nlohmann::json to_json_value(const histogram& h) {
  std::string buckets;
  char entry[48];
  for (std::size_t b = 0; b < detail::hist_block_count; ++b) {
    if (h.block_totals_[b] == 0) continue;
    for (std::size_t s = 0; s < detail::hist_block_size; ++s) {
      const std::uint64_t c = h.blocks_[b][s];
      if (c == 0) continue;
      const int n =
          std::snprintf(entry, sizeof entry, "%s%zu:%llu", buckets.empty() ? "" : " ",
                        (b << detail::hist_block_shift) + s, static_cast<unsigned long long>(c));
      buckets.append(entry, static_cast<std::size_t>(n));
    }
  }
  nlohmann::json out = nlohmann::json::object();
  out["layout"] = "log-linear-2048-1024";
  out["count"] = h.count_;
  if (h.sum_.hi == 0)
    out["sum"] = h.sum_.lo;
  else
    out["sum"] = detail::hist_to_decimal(h.sum_);
  out["min"] = h.min();
  out["max"] = h.max();
  out["buckets"] = std::move(buckets);
  return out;
}

// Throws std::invalid_argument if j is not a consistent histogram in the layout above.
inline histogram histogram_from_json(const nlohmann::json& j) {
  using detail::hist_json_error;
  using detail::hist_json_field;
  using detail::hist_json_u64;
  if (!j.is_object()) hist_json_error("expected an object, got " + std::string(j.type_name()));
  const auto& layout = hist_json_field(j, "layout");
  if (!layout.is_string() || layout.get<std::string>() != "log-linear-2048-1024")
    hist_json_error("unsupported layout " + layout.dump() + " (expected \"log-linear-2048-1024\")");
  const std::uint64_t count = hist_json_u64(hist_json_field(j, "count"), "\"count\"");
  const std::uint64_t min = hist_json_u64(hist_json_field(j, "min"), "\"min\"");
  const std::uint64_t max = hist_json_u64(hist_json_field(j, "max"), "\"max\"");
  detail::hist_u128 sum;
  const auto& sum_json = hist_json_field(j, "sum");
  if (sum_json.is_string()) {
    if (!detail::hist_parse_decimal(sum_json.get<std::string>(), sum))
      hist_json_error("\"sum\" string is not a decimal integer below 2^128: " + sum_json.dump());
  } else {
    sum = {0, hist_json_u64(sum_json, "\"sum\"")};
  }
  const auto& buckets = hist_json_field(j, "buckets");
  if (!buckets.is_string() && !buckets.is_array())
    hist_json_error("\"buckets\" must be a string of index:count entries, got " +
                    std::string(buckets.type_name()));

  histogram h;
  std::uint64_t total = 0;
  detail::hist_u128 sum_low;   // smallest sum the buckets allow
  detail::hist_u128 sum_high;  // largest sum the buckets allow
  std::size_t first_index = 0;
  std::size_t prev_index = 0;
  bool have_prev = false;
  auto add_bucket = [&](std::uint64_t index, std::uint64_t c) {
    if (index >= detail::hist_bucket_count)
      hist_json_error("bucket index " + std::to_string(index) + " out of range (limit " +
                      std::to_string(detail::hist_bucket_count) + ")");
    if (have_prev && index <= prev_index)
      hist_json_error("bucket indices must be strictly increasing (" + std::to_string(index) +
                      " after " + std::to_string(prev_index) + ")");
    if (c == 0) hist_json_error("bucket " + std::to_string(index) + " has count 0");
    if (c > std::numeric_limits<std::uint64_t>::max() - total)
      hist_json_error("bucket counts overflow 64 bits");
    const auto i = static_cast<std::size_t>(index);
    const std::size_t b = i >> detail::hist_block_shift;
    if (!h.blocks_[b]) h.blocks_[b] = std::make_unique<std::uint64_t[]>(detail::hist_block_size);
    h.blocks_[b][i & (detail::hist_block_size - 1)] = c;
    h.block_totals_[b] += c;
    total += c;
    sum_low += detail::hist_mul(detail::hist_bucket_lowest(i), c);
    sum_high += detail::hist_mul(detail::hist_bucket_highest(i), c);
    if (!have_prev) first_index = i;
    prev_index = i;
    have_prev = true;
  };
  if (buckets.is_string()) {
    const std::string& text = buckets.get_ref<const std::string&>();
    std::size_t pos = 0;
    // One decimal number without sign or leading '+', ending at `stop` or the end.
    auto number = [&](const char* what) {
      std::uint64_t v = 0;
      const std::size_t start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        const auto digit = static_cast<std::uint64_t>(text[pos] - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
          hist_json_error(std::string(what) + " in \"buckets\" exceeds 64 bits");
        v = v * 10 + digit;
        ++pos;
      }
      if (pos == start)
        hist_json_error("\"buckets\" must be \"index:count index:count ...\"; bad " +
                        std::string(what) + " at offset " + std::to_string(start));
      return v;
    };
    while (pos < text.size()) {
      if (have_prev) {
        if (text[pos] != ' ')
          hist_json_error("\"buckets\" entries must be separated by one space (offset " +
                          std::to_string(pos) + ")");
        ++pos;
      }
      const std::uint64_t index = number("bucket index");
      if (pos >= text.size() || text[pos] != ':')
        hist_json_error("\"buckets\" entry without ':' at offset " + std::to_string(pos));
      ++pos;
      add_bucket(index, number("bucket count"));
    }
  } else {
    for (const auto& entry : buckets) {
      if (!entry.is_array() || entry.size() != 2)
        hist_json_error("each bucket must be [bucket_index, count], got " + entry.dump());
      add_bucket(hist_json_u64(entry[0], "bucket index"), hist_json_u64(entry[1], "bucket count"));
    }
  }
  if (total != count)
    hist_json_error("bucket counts add up to " + std::to_string(total) + " but \"count\" is " +
                    std::to_string(count));
  if (count == 0) {
    if (min != 0 || max != 0 || sum != detail::hist_u128{})
      hist_json_error("empty histogram must have sum, min and max 0");
    return h;
  }
  if (min > max) hist_json_error("\"min\" is greater than \"max\"");
  if (detail::hist_bucket_index(min) != first_index || detail::hist_bucket_index(max) != prev_index)
    hist_json_error("\"min\"/\"max\" do not fall in the first/last bucket");
  if (sum < sum_low || sum > sum_high || sum < detail::hist_mul(min, count) ||
      sum > detail::hist_mul(max, count))
    hist_json_error("\"sum\" is inconsistent with the bucket contents");
  h.count_ = count;
  h.sum_ = sum;
  h.min_ = min;
  h.max_ = max;
  return h;
}

}  // namespace pacer::metrics

#endif  // PACER_METRICS_HISTOGRAM_HPP
