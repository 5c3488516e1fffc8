#ifndef PACER_HTTP_LIMITS_HPP
#define PACER_HTTP_LIMITS_HPP

// Bounds on what one response may bring, so a misbehaving server cannot exhaust memory.

#include <cstdint>

namespace pacer::http {

// Size limits on a response; past one, the request fails with an error code.
struct response_limits {
  std::uint64_t header_bytes = 1u << 20;  // 1 MiB, as Go's default
  std::uint64_t body_bytes = 64u << 20;   // 64 MiB
};

}  // namespace pacer::http

#endif
