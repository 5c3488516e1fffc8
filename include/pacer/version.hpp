#ifndef PACER_VERSION_HPP
#define PACER_VERSION_HPP

// pacer's version (semantic versioning; before 1.0 a minor version may break the API).

#define PACER_VERSION_MAJOR 0
#define PACER_VERSION_MINOR 1
#define PACER_VERSION_PATCH 0
#define PACER_VERSION_STRING "0.1.0"

#endif
