#ifndef PACER_SRC_HPP
#define PACER_SRC_HPP

// The compiled part of pacer for PACER_SEPARATE_COMPILATION builds: include this
// header in exactly one .cpp of the program.

#if !defined(PACER_SEPARATE_COMPILATION)
#error \
    "pacer/src.hpp is for builds that define PACER_SEPARATE_COMPILATION in every translation unit"
#endif

#include <pacer/report/impl/progress_display.ipp>
#include <pacer/report/impl/summary_json.ipp>
#include <pacer/report/impl/text_summary.ipp>
#include <pacer/scenario/impl/run.ipp>

#endif
