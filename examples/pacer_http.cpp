// pacer-http: a ready harness that load-tests one request template.
#include <pacer/cli/http_harness.hpp>

int main(int argc, char** argv) {
  return pacer::cli::http_harness_main(argc, argv);
}
