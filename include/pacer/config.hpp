#ifndef PACER_CONFIG_HPP
#define PACER_CONFIG_HPP

// Build configuration. Header-only by default; with PACER_SEPARATE_COMPILATION
// defined for every translation unit (on the CMake target, not by hand), the
// engine is compiled once, in the one .cpp that includes <pacer/src.hpp>, and
// harness translation units no longer parse Asio, Beast and OpenSSL.

#if defined(PACER_SEPARATE_COMPILATION)
#define PACER_DECL
#else
#define PACER_DECL inline
#endif

#endif
