// The packaged headers compile and link: build a one-scenario plan and describe it.
#include <pacer/pacer.hpp>

#include <chrono>
#include <iostream>

using namespace std::chrono_literals;

int main() {
  const auto executor = pacer::constant_arrival_rate(5, 1s).duration(10s).pre_allocated_vus(1);
  pacer::test_plan plan;
  plan.add(pacer::scenario("smoke", executor, pacer::http::get("http://127.0.0.1:1/")));
  std::cout << "pacer " << PACER_VERSION_STRING << ": " << plan.scenarios.front().name << ", "
            << executor.description() << '\n';
  return 0;
}
