// The compiled part of pacer, for the flagship built with PACER_SEPARATE_COMPILATION.
#include <pacer/src.hpp>
