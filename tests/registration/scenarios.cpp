// Scenarios registered from a library: nothing in the program refers to this
// file, so only the way it is linked decides whether its registrations survive.
#include <pacer/registration.hpp>

using namespace std::chrono_literals;

static void from_library(pacer::scenario_def& s) {
  s.request(pacer::http::get("http://127.0.0.1:1/"));
}
PACER_SCENARIO(from_library)->constant_vus(1)->duration(1s);
