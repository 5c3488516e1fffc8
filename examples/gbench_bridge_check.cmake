# Runs the gbench_bridge example with --benchmark_out (JSON) and checks that every benchmark in
# the file carries the counters of pacer/benchmark.hpp, with values a real run must have.
# With -DREFUSED=ON it points the example at a closed port on 127.0.0.1 instead, and checks
# that the failed thresholds are reported as the benchmark's error.
#
#   cmake -DBRIDGE=path/to/gbench_bridge -DOUT=path/to/out.json [-DREFUSED=ON] -P <this file>
if(NOT BRIDGE OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DBRIDGE=<gbench_bridge> -DOUT=<json file> -P ${CMAKE_SCRIPT_MODE_FILE}")
endif()

set(command "${BRIDGE}")
if(REFUSED)
  # Port 1 on loopback: nothing listens there, every request is refused at once.
  set(command ${CMAKE_COMMAND} -E env CERTCTL_BASE=http://127.0.0.1:1 "${BRIDGE}"
              --benchmark_filter=5rps)
endif()

file(REMOVE "${OUT}")
execute_process(
  COMMAND ${command} "--benchmark_out=${OUT}" --benchmark_out_format=json
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output
  TIMEOUT 120)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "gbench_bridge exited with ${status}:\n${output}")
endif()
if(NOT EXISTS "${OUT}")
  message(FATAL_ERROR "gbench_bridge wrote no ${OUT}:\n${output}")
endif()

file(READ "${OUT}" json)
string(JSON count LENGTH "${json}" benchmarks)
if(count EQUAL 0)
  message(FATAL_ERROR "no benchmark in ${OUT}:\n${json}")
endif()

math(EXPR last "${count} - 1")
if(REFUSED)
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" benchmarks ${i} name)
    string(JSON error ERROR_VARIABLE no_error GET "${json}" benchmarks ${i} error_message)
    set(expected "^thresholds failed: http_req_failed{scenario:bulk_renewal} rate<0.01 [(]rps [0-9.]+, failed 100.00%")
    if(no_error OR NOT error MATCHES "${expected}")
      message(FATAL_ERROR "${name}: expected a threshold failure as the error, got: ${error}")
    endif()
    message(STATUS "${name}: ${error}")
  endforeach()
  return()
endif()

foreach(i RANGE ${last})
  string(JSON name GET "${json}" benchmarks ${i} name)
  string(JSON error ERROR_VARIABLE no_error GET "${json}" benchmarks ${i} error_message)
  if(NOT no_error)
    message(FATAL_ERROR "${name} reported an error: ${error}")
  endif()
  foreach(counter rps failed_rate p50_ms p95_ms p99_ms max_ms checks_rate thresholds_failed)
    string(JSON type ERROR_VARIABLE missing TYPE "${json}" benchmarks ${i} ${counter})
    if(missing OR NOT type STREQUAL "NUMBER")
      message(FATAL_ERROR "${name} has no number ${counter} in ${OUT}:\n${json}")
    endif()
    string(JSON ${counter} GET "${json}" benchmarks ${i} ${counter})
  endforeach()
  string(JSON real_time GET "${json}" benchmarks ${i} real_time)
  string(JSON time_unit GET "${json}" benchmarks ${i} time_unit)

  # Each plan runs 2 s and passes its thresholds against the in-process target; the manual time
  # of an iteration is the run's duration, which is never shorter than the plan's.
  set(problems "")
  if(NOT rps GREATER 0)
    string(APPEND problems " rps=${rps}")
  endif()
  if(NOT failed_rate EQUAL 0 OR NOT thresholds_failed EQUAL 0 OR NOT checks_rate EQUAL 1)
    string(APPEND problems " failed_rate=${failed_rate} thresholds_failed=${thresholds_failed}"
           " checks_rate=${checks_rate}")
  endif()
  if(NOT (p50_ms GREATER 0 AND p50_ms LESS_EQUAL p95_ms AND p95_ms LESS_EQUAL p99_ms
          AND p99_ms LESS_EQUAL max_ms))
    string(APPEND problems " p50/p95/p99/max=${p50_ms}/${p95_ms}/${p99_ms}/${max_ms}")
  endif()
  if(NOT time_unit STREQUAL "ms" OR real_time LESS 2000)
    string(APPEND problems " real_time=${real_time}${time_unit}")
  endif()
  if(problems)
    message(FATAL_ERROR "${name}:${problems}")
  endif()
  message(STATUS "${name}: rps=${rps} p95_ms=${p95_ms} real_time=${real_time}${time_unit}")
endforeach()
