// textSummary of jslib k6-summary 0.0.2, checked byte for byte.
//
// Goldens are outputs of the original JavaScript on the same data: the two examples of
// the compatibility reference (section 5.6), constructed cases, three real k6 data sets
// and a real k6 run whose summary is cross-checked against k6's own console output.
// Colour goldens write ESC as "\e", like the reference does.

#include <pacer/report/text_summary.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using nlohmann::json;
using pacer::text_summary;
using pacer::text_summary_options;

// Raw literals open with a newline for readability; it is not part of the text.
std::string text(const char* raw) {
  std::string s(raw);
  if (!s.empty() && s.front() == '\n') s.erase(0, 1);
  return s;
}

std::string esc(const char* raw) {
  std::string s = text(raw);
  for (std::size_t pos = 0; (pos = s.find("\\e", pos)) != std::string::npos;)
    s.replace(pos, 2, "\x1b");
  return s;
}

text_summary_options plain(std::string indent = " ") {
  text_summary_options o;
  o.indent = std::move(indent);
  o.enable_colors = false;
  return o;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(s);
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

// The section 4.4 data of the compatibility reference.
const char* const example_data = R"json(
{
  "root_group": {
    "name": "",
    "path": "",
    "id": "d41d8cd98f00b204e9800998ecf8427e",
    "groups": [],
    "checks": [
      {
        "name": "bulk-renew 2xx",
        "path": "::bulk-renew 2xx",
        "id": "c7cac084da3fa9b510e77cf60b5ad153",
        "passes": 1497,
        "fails": 3
      }
    ]
  },
  "options": {
    "summaryTrendStats": ["avg", "min", "med", "p(95)", "p(99)", "max"],
    "summaryTimeUnit": "",
    "noColor": false
  },
  "state": {
    "isStdOutTTY": false,
    "isStdErrTTY": false,
    "testRunDurationMs": 300412.9731
  },
  "metrics": {
    "checks": { "type": "rate", "contains": "default",
      "values": { "rate": 0.998, "passes": 1497, "fails": 3 } },
    "data_received": { "type": "counter", "contains": "data",
      "values": { "count": 1652331, "rate": 5500.198553176265 } },
    "data_sent": { "type": "counter", "contains": "data",
      "values": { "count": 3487212, "rate": 11608.060610748638 } },
    "http_req_blocked": { "type": "trend", "contains": "time",
      "values": { "avg": 0.8812, "min": 0.0011, "med": 0.0032, "p(95)": 0.0061, "p(99)": 21.7043, "max": 58.1127 } },
    "http_req_connecting": { "type": "trend", "contains": "time",
      "values": { "avg": 0.2087, "min": 0, "med": 0, "p(95)": 0, "p(99)": 4.9031, "max": 12.7402 } },
    "http_req_duration": { "type": "trend", "contains": "time",
      "values": { "avg": 412.3519, "min": 118.4207, "med": 356.7711, "p(95)": 881.2046, "p(99)": 1533.9182, "max": 4012.3301 } },
    "http_req_duration{expected_response:true}": { "type": "trend", "contains": "time",
      "values": { "avg": 409.1276, "min": 118.4207, "med": 356.5012, "p(95)": 877.9813, "p(99)": 1497.0034, "max": 3120.7789 } },
    "http_req_duration{scenario:bulk_renewal}": { "type": "trend", "contains": "time",
      "values": { "avg": 412.3519, "min": 118.4207, "med": 356.7711, "p(95)": 881.2046, "p(99)": 1533.9182, "max": 4012.3301 },
      "thresholds": { "p(99)<5000": { "ok": true }, "p(95)<2000": { "ok": true } } },
    "http_req_failed": { "type": "rate", "contains": "default",
      "values": { "rate": 0.002, "passes": 3, "fails": 1497 } },
    "http_req_failed{scenario:bulk_renewal}": { "type": "rate", "contains": "default",
      "values": { "rate": 0.002, "passes": 3, "fails": 1497 },
      "thresholds": { "rate<0.01": { "ok": true } } },
    "http_req_receiving": { "type": "trend", "contains": "time",
      "values": { "avg": 0.5311, "min": 0.0412, "med": 0.1398, "p(95)": 1.2874, "p(99)": 6.0219, "max": 31.5508 } },
    "http_req_sending": { "type": "trend", "contains": "time",
      "values": { "avg": 0.1123, "min": 0.0213, "med": 0.0711, "p(95)": 0.2509, "p(99)": 0.6137, "max": 2.3016 } },
    "http_req_tls_handshaking": { "type": "trend", "contains": "time",
      "values": { "avg": 0.6218, "min": 0, "med": 0, "p(95)": 0, "p(99)": 15.1022, "max": 41.2316 } },
    "http_req_waiting": { "type": "trend", "contains": "time",
      "values": { "avg": 411.7085, "min": 118.2214, "med": 356.4493, "p(95)": 880.0917, "p(99)": 1531.8801, "max": 4011.9822 } },
    "http_reqs": { "type": "counter", "contains": "default",
      "values": { "count": 1500, "rate": 4.993126576796294 } },
    "iteration_duration": { "type": "trend", "contains": "time",
      "values": { "avg": 413.9902, "min": 118.9911, "med": 357.3806, "p(95)": 882.7713, "p(99)": 1561.0415, "max": 4013.0127 } },
    "iterations": { "type": "counter", "contains": "default",
      "values": { "count": 1500, "rate": 4.993126576796294 } },
    "vus": { "type": "gauge", "contains": "default",
      "values": { "value": 1, "min": 0, "max": 4 } },
    "vus_max": { "type": "gauge", "contains": "default",
      "values": { "value": 10, "min": 10, "max": 10 } }
  }
}
)json";

// Section 5.6, first example.
const char* const example_plain = R"golden(
     ✗ bulk-renew 2xx
      ↳  99% — ✓ 1497 / ✗ 3

     checks.........................: 99.80% ✓ 1497     ✗ 3   
     data_received..................: 1.7 MB 5.5 kB/s
     data_sent......................: 3.5 MB 12 kB/s
     http_req_blocked...............: avg=881.2µs  min=1.1µs    med=3.2µs    p(95)=6.1µs    p(99)=21.7ms  max=58.11ms
     http_req_connecting............: avg=208.7µs  min=0s       med=0s       p(95)=0s       p(99)=4.9ms   max=12.74ms
     http_req_duration..............: avg=412.35ms min=118.42ms med=356.77ms p(95)=881.2ms  p(99)=1.53s   max=4.01s  
       { expected_response:true }...: avg=409.12ms min=118.42ms med=356.5ms  p(95)=877.98ms p(99)=1.49s   max=3.12s  
     ✓ { scenario:bulk_renewal }....: avg=412.35ms min=118.42ms med=356.77ms p(95)=881.2ms  p(99)=1.53s   max=4.01s  
     http_req_failed................: 0.20%  ✓ 3        ✗ 1497
     ✓ { scenario:bulk_renewal }....: 0.20%  ✓ 3        ✗ 1497
     http_req_receiving.............: avg=531.1µs  min=41.2µs   med=139.8µs  p(95)=1.28ms   p(99)=6.02ms  max=31.55ms
     http_req_sending...............: avg=112.3µs  min=21.3µs   med=71.09µs  p(95)=250.9µs  p(99)=613.7µs max=2.3ms  
     http_req_tls_handshaking.......: avg=621.8µs  min=0s       med=0s       p(95)=0s       p(99)=15.1ms  max=41.23ms
     http_req_waiting...............: avg=411.7ms  min=118.22ms med=356.44ms p(95)=880.09ms p(99)=1.53s   max=4.01s  
     http_reqs......................: 1500   4.993127/s
     iteration_duration.............: avg=413.99ms min=118.99ms med=357.38ms p(95)=882.77ms p(99)=1.56s   max=4.01s  
     iterations.....................: 1500   4.993127/s
     vus............................: 1      min=0      max=4 
     vus_max........................: 10     min=10     max=10)golden";

}  // namespace

TEST_CASE("text_summary: reference example without colours", "[text_summary]") {
  const json data = json::parse(example_data);
  CHECK(text_summary(data, plain()) == text(example_plain));
}

TEST_CASE("text_summary: reference example with colours", "[text_summary]") {
  const json data = json::parse(example_data);
  const std::string expected = esc(R"golden(
\e[31m     ✗ bulk-renew 2xx
      ↳  99% — ✓ 1497 / ✗ 3\e[0m

     checks\e[2m.........................:\e[0m \e[36m99.80%\e[0m \e[36;2m✓ 1497\e[0m     \e[36;2m✗ 3\e[0m   
     data_received\e[2m..................:\e[0m \e[36m1.7 MB\e[0m \e[36;2m5.5 kB/s\e[0m
     data_sent\e[2m......................:\e[0m \e[36m3.5 MB\e[0m \e[36;2m12 kB/s\e[0m
     http_req_blocked\e[2m...............:\e[0m avg=\e[36m881.2µs\e[0m  min=\e[36m1.1µs\e[0m    med=\e[36m3.2µs\e[0m    p(95)=\e[36m6.1µs\e[0m    p(99)=\e[36m21.7ms\e[0m  max=\e[36m58.11ms\e[0m
     http_req_connecting\e[2m............:\e[0m avg=\e[36m208.7µs\e[0m  min=\e[36m0s\e[0m       med=\e[36m0s\e[0m       p(95)=\e[36m0s\e[0m       p(99)=\e[36m4.9ms\e[0m   max=\e[36m12.74ms\e[0m
     http_req_duration\e[2m..............:\e[0m avg=\e[36m412.35ms\e[0m min=\e[36m118.42ms\e[0m med=\e[36m356.77ms\e[0m p(95)=\e[36m881.2ms\e[0m  p(99)=\e[36m1.53s\e[0m   max=\e[36m4.01s\e[0m  
       { expected_response:true }\e[2m...:\e[0m avg=\e[36m409.12ms\e[0m min=\e[36m118.42ms\e[0m med=\e[36m356.5ms\e[0m  p(95)=\e[36m877.98ms\e[0m p(99)=\e[36m1.49s\e[0m   max=\e[36m3.12s\e[0m  
     \e[32m✓\e[0m { scenario:bulk_renewal }\e[2m....:\e[0m avg=\e[36m412.35ms\e[0m min=\e[36m118.42ms\e[0m med=\e[36m356.77ms\e[0m p(95)=\e[36m881.2ms\e[0m  p(99)=\e[36m1.53s\e[0m   max=\e[36m4.01s\e[0m  
     http_req_failed\e[2m................:\e[0m \e[36m0.20%\e[0m  \e[36;2m✓ 3\e[0m        \e[36;2m✗ 1497\e[0m
     \e[32m✓\e[0m { scenario:bulk_renewal }\e[2m....:\e[0m \e[36m0.20%\e[0m  \e[36;2m✓ 3\e[0m        \e[36;2m✗ 1497\e[0m
     http_req_receiving\e[2m.............:\e[0m avg=\e[36m531.1µs\e[0m  min=\e[36m41.2µs\e[0m   med=\e[36m139.8µs\e[0m  p(95)=\e[36m1.28ms\e[0m   p(99)=\e[36m6.02ms\e[0m  max=\e[36m31.55ms\e[0m
     http_req_sending\e[2m...............:\e[0m avg=\e[36m112.3µs\e[0m  min=\e[36m21.3µs\e[0m   med=\e[36m71.09µs\e[0m  p(95)=\e[36m250.9µs\e[0m  p(99)=\e[36m613.7µs\e[0m max=\e[36m2.3ms\e[0m  
     http_req_tls_handshaking\e[2m.......:\e[0m avg=\e[36m621.8µs\e[0m  min=\e[36m0s\e[0m       med=\e[36m0s\e[0m       p(95)=\e[36m0s\e[0m       p(99)=\e[36m15.1ms\e[0m  max=\e[36m41.23ms\e[0m
     http_req_waiting\e[2m...............:\e[0m avg=\e[36m411.7ms\e[0m  min=\e[36m118.22ms\e[0m med=\e[36m356.44ms\e[0m p(95)=\e[36m880.09ms\e[0m p(99)=\e[36m1.53s\e[0m   max=\e[36m4.01s\e[0m  
     http_reqs\e[2m......................:\e[0m \e[36m1500\e[0m   \e[36;2m4.993127/s\e[0m
     iteration_duration\e[2m.............:\e[0m avg=\e[36m413.99ms\e[0m min=\e[36m118.99ms\e[0m med=\e[36m357.38ms\e[0m p(95)=\e[36m882.77ms\e[0m p(99)=\e[36m1.56s\e[0m   max=\e[36m4.01s\e[0m  
     iterations\e[2m.....................:\e[0m \e[36m1500\e[0m   \e[36;2m4.993127/s\e[0m
     vus\e[2m............................:\e[0m \e[36m1\e[0m      \e[36;2mmin=0\e[0m      \e[36;2mmax=4\e[0m 
     vus_max\e[2m........................:\e[0m \e[36m10\e[0m     \e[36;2mmin=10\e[0m     \e[36;2mmax=10\e[0m)golden");
  text_summary_options o;  // 0.0.2's defaults: one space, colours on
  CHECK(text_summary(data, o) == expected);
  CHECK(text_summary(data) == expected);
  // The excerpt the reference shows.
  CHECK(expected.find(esc(R"(
\e[31m     ✗ bulk-renew 2xx
      ↳  99% — ✓ 1497 / ✗ 3\e[0m

     checks\e[2m.........................:\e[0m \e[36m99.80%\e[0m \e[36;2m✓ 1497\e[0m     \e[36;2m✗ 3\e[0m   
)")) == 0);
  CHECK(expected.find(esc(R"(
     \e[32m✓\e[0m { scenario:bulk_renewal }\e[2m....:\e[0m avg=\e[36m412.35ms\e[0m min=\e[36m118.42ms\e[0m )")) !=
        std::string::npos);
}

TEST_CASE("text_summary: colours depend on enable_colors only", "[text_summary]") {
  json data = json::parse(example_data);
  data["options"]["noColor"] = true;  // 0.0.2 does not read it; k6 decides before calling
  const std::string coloured = text_summary(data);
  CHECK(coloured.find('\x1b') != std::string::npos);
  CHECK(text_summary(data, plain()) == text(example_plain));
  CHECK(text_summary(data, plain()).find('\x1b') == std::string::npos);
}

TEST_CASE("text_summary: the indent is a plain prefix", "[text_summary]") {
  const json data = json::parse(example_data);
  CHECK(text_summary(data, plain("→")) == text(R"golden(
→    ✗ bulk-renew 2xx
→     ↳  99% — ✓ 1497 / ✗ 3

→    checks.........................: 99.80% ✓ 1497     ✗ 3   
→    data_received..................: 1.7 MB 5.5 kB/s
→    data_sent......................: 3.5 MB 12 kB/s
→    http_req_blocked...............: avg=881.2µs  min=1.1µs    med=3.2µs    p(95)=6.1µs    p(99)=21.7ms  max=58.11ms
→    http_req_connecting............: avg=208.7µs  min=0s       med=0s       p(95)=0s       p(99)=4.9ms   max=12.74ms
→    http_req_duration..............: avg=412.35ms min=118.42ms med=356.77ms p(95)=881.2ms  p(99)=1.53s   max=4.01s  
→      { expected_response:true }...: avg=409.12ms min=118.42ms med=356.5ms  p(95)=877.98ms p(99)=1.49s   max=3.12s  
→    ✓ { scenario:bulk_renewal }....: avg=412.35ms min=118.42ms med=356.77ms p(95)=881.2ms  p(99)=1.53s   max=4.01s  
→    http_req_failed................: 0.20%  ✓ 3        ✗ 1497
→    ✓ { scenario:bulk_renewal }....: 0.20%  ✓ 3        ✗ 1497
→    http_req_receiving.............: avg=531.1µs  min=41.2µs   med=139.8µs  p(95)=1.28ms   p(99)=6.02ms  max=31.55ms
→    http_req_sending...............: avg=112.3µs  min=21.3µs   med=71.09µs  p(95)=250.9µs  p(99)=613.7µs max=2.3ms  
→    http_req_tls_handshaking.......: avg=621.8µs  min=0s       med=0s       p(95)=0s       p(99)=15.1ms  max=41.23ms
→    http_req_waiting...............: avg=411.7ms  min=118.22ms med=356.44ms p(95)=880.09ms p(99)=1.53s   max=4.01s  
→    http_reqs......................: 1500   4.993127/s
→    iteration_duration.............: avg=413.99ms min=118.99ms med=357.38ms p(95)=882.77ms p(99)=1.56s   max=4.01s  
→    iterations.....................: 1500   4.993127/s
→    vus............................: 1      min=0      max=4 
→    vus_max........................: 10     min=10     max=10)golden"));
  // Checks sit at indent + 4 spaces, metrics at indent + 2 spaces + the mark column.
  const auto lines = split_lines(text_summary(data, plain("\t")));
  CHECK(lines.front() == "\t    ✗ bulk-renew 2xx");
  CHECK(lines.back() == "\t    vus_max........................: 10     min=10     max=10");
}

TEST_CASE("text_summary: caller options override data.options", "[text_summary]") {
  json data = json::parse(example_data);
  text_summary_options o = plain("");
  o.summary_time_unit = "s";
  o.summary_trend_stats = std::vector<std::string>{"max", "p(99)", "min"};
  CHECK(text_summary(data, o) == text(R"golden(
    ✗ bulk-renew 2xx
     ↳  99% — ✓ 1497 / ✗ 3

    checks.........................: 99.80% ✓ 1497     ✗ 3   
    data_received..................: 1.7 MB 5.5 kB/s
    data_sent......................: 3.5 MB 12 kB/s
    http_req_blocked...............: max=0.06s p(99)=0.02s min=0.00s
    http_req_connecting............: max=0.01s p(99)=0.00s min=0.00s
    http_req_duration..............: max=4.01s p(99)=1.53s min=0.12s
      { expected_response:true }...: max=3.12s p(99)=1.50s min=0.12s
    ✓ { scenario:bulk_renewal }....: max=4.01s p(99)=1.53s min=0.12s
    http_req_failed................: 0.20%  ✓ 3        ✗ 1497
    ✓ { scenario:bulk_renewal }....: 0.20%  ✓ 3        ✗ 1497
    http_req_receiving.............: max=0.03s p(99)=0.01s min=0.00s
    http_req_sending...............: max=0.00s p(99)=0.00s min=0.00s
    http_req_tls_handshaking.......: max=0.04s p(99)=0.02s min=0.00s
    http_req_waiting...............: max=4.01s p(99)=1.53s min=0.12s
    http_reqs......................: 1500   4.993127/s
    iteration_duration.............: max=4.01s p(99)=1.56s min=0.12s
    iterations.....................: 1500   4.993127/s
    vus............................: 1      min=0      max=4 
    vus_max........................: 10     min=10     max=10)golden"));

  // data.options.summaryTimeUnit applies unless the caller sets one.
  data["options"]["summaryTimeUnit"] = "us";
  CHECK(text_summary(data, plain()).find("avg=412351.90µs min=118420.70µs") != std::string::npos);
  o = plain();
  o.summary_time_unit = "ms";
  CHECK(split_lines(text_summary(data, o))[8] ==
        "     http_req_duration..............: avg=412.35ms min=118.42ms med=356.77ms "
        "p(95)=881.20ms p(99)=1533.92ms max=4012.33ms");
  // An empty unit from the caller means adaptive units, whatever the data says.
  o.summary_time_unit = "";
  CHECK(text_summary(data, o) == text(example_plain));
  // Units other than s, ms and us are ignored.
  data["options"]["summaryTimeUnit"] = "m";
  CHECK(text_summary(data, plain()) == text(example_plain));
}

TEST_CASE("text_summary: keys other than root_group, options and metrics are ignored",
          "[text_summary]") {
  json data = json::parse(example_data);
  data["pacer"] = {{"schema", 1}, {"metrics", {{"bogus", {{"type", "trend"}}}}}};
  data["setup_data"] = {{"token", "x"}};
  data.erase("state");
  CHECK(text_summary(data, plain()) == text(example_plain));
}

TEST_CASE("text_summary: no trailing newline, padding spaces kept", "[text_summary]") {
  const std::string out = text_summary(json::parse(example_data), plain());
  REQUIRE(!out.empty());
  CHECK(out.back() != '\n');
  CHECK(out.front() == ' ');
  const auto lines = split_lines(out);
  CHECK(lines[3] == "     checks.........................: 99.80% ✓ 1497     ✗ 3   ");
  CHECK(
      lines[8] ==
      "     http_req_duration..............: avg=412.35ms min=118.42ms med=356.77ms p(95)=881.2ms  "
      "p(99)=1.53s   max=4.01s  ");
  CHECK(lines[2].empty());  // the blank line after the checks
}

TEST_CASE("text_summary: groups, nested checks and a failed threshold", "[text_summary]") {
  // Section 5.6, second example: summaryTimeUnit 'ms', trend stats avg, p(95), count.
  const json data = json::parse(R"json(
{
  "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e",
    "checks": [
      {"name": "top-level ok", "path": "::top-level ok", "id": "c79699493080cdd1d82b169c3e4ef625", "passes": 40, "fails": 0}
    ],
    "groups": [
      {"name": "renewal flow", "path": "::renewal flow", "id": "df029531463517987d62e30a19793b76",
        "checks": [
          {"name": "status is 200", "path": "::renewal flow::status is 200", "id": "a3b8da45f452b16f3c602b0e9243801a", "passes": 40, "fails": 0},
          {"name": "body has id", "path": "::renewal flow::body has id", "id": "0889080761a93484df7b2dcf1c75e41f", "passes": 38, "fails": 2}
        ],
        "groups": []}
    ]},
  "options": {"summaryTrendStats": ["avg", "p(95)", "count"], "summaryTimeUnit": "ms", "noColor": false},
  "state": {"isStdOutTTY": false, "isStdErrTTY": false, "testRunDurationMs": 10000},
  "metrics": {
    "dropped_iterations": {"type": "counter", "contains": "default", "values": {"count": 7, "rate": 0.7}},
    "http_req_duration": {"type": "trend", "contains": "time", "values": {"avg": 1234.5678, "p(95)": 2500.1, "count": 40}},
    "http_req_duration{scenario:bulk_renewal}": {"type": "trend", "contains": "time", "values": {"avg": 1234.5678, "p(95)": 2500.1, "count": 40}, "thresholds": {"p(95)<2000": {"ok": false}, "p(99)<5000": {"ok": true}}},
    "my_gauge_bytes": {"type": "gauge", "contains": "data", "values": {"value": 2000, "min": 5, "max": 1000000}},
    "vus": {"type": "gauge", "contains": "default", "values": {"value": 0, "min": 0, "max": 12}}
  }
}
)json");
  CHECK(text_summary(data, plain()) == text(R"golden(
     ✓ top-level ok

     █ renewal flow

       ✓ status is 200
       ✗ body has id
        ↳  95% — ✓ 38 / ✗ 2

     dropped_iterations............: 7      0.7/s
     http_req_duration.............: avg=1234.57ms p(95)=2500.10ms count=40
     ✗ { scenario:bulk_renewal }...: avg=1234.57ms p(95)=2500.10ms count=40
     my_gauge_bytes................: 2.0 kB min=5 B max=1.0 MB
     vus...........................: 0      min=0   max=12    )golden"));
}

TEST_CASE("text_summary: deeply nested groups", "[text_summary]") {
  const json data = json::parse(R"json(
{
  "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e",
    "checks": [],
    "groups": [
      {"name": "outer", "path": "::outer", "id": "c34b428ee7255085dfe7fef53d3394d5",
        "checks": [
          {"name": "outer ok", "path": "::outer::outer ok", "id": "758f93128fce3810c1635ca2ac5ad55a", "passes": 10, "fails": 0}
        ],
        "groups": [
          {"name": "inner", "path": "::outer::inner", "id": "b6c425bc7b9e3d21a2d56ce7a6de3614",
            "checks": [
              {"name": "inner fails", "path": "::outer::inner::inner fails", "id": "ba2791430cf5e2e74fd422053f79bf3a", "passes": 1, "fails": 2}
            ],
            "groups": [
              {"name": "innermost", "path": "::outer::inner::innermost", "id": "577a15974da568e1c8ebeec3b8a7663e",
                "checks": [
                  {"name": "deep check", "path": "::outer::inner::innermost::deep check", "id": "ee5740204c2585de85719f803744b697", "passes": 0, "fails": 5}
                ],
                "groups": []}
            ]},
          {"name": "no checks here", "path": "::outer::no checks here", "id": "9119af3575a5219dbcee68a3a428ca97",
            "checks": [],
            "groups": []}
        ]},
      {"name": "second", "path": "::second", "id": "5929541528ce9605dc693afb6bbd1954",
        "checks": [
          {"name": "second ok", "path": "::second::second ok", "id": "8cdf30a4876bc87c01b3c7ff8b06d700", "passes": 3, "fails": 0}
        ],
        "groups": []}
    ]},
  "options": {"summaryTrendStats": ["avg", "max"], "summaryTimeUnit": "", "noColor": true},
  "metrics": {
    "checks": {"type": "rate", "contains": "default", "values": {"rate": 0.5806451612903226, "passes": 18, "fails": 13}, "thresholds": {"rate>0.9": {"ok": false}}},
    "group_duration": {"type": "trend", "contains": "time", "values": {"avg": 1.5, "max": 61234}},
    "group_duration{group:::outer}": {"type": "trend", "contains": "time", "values": {"avg": 0.5, "max": 3725000}}
  }
}
)json");
  CHECK(text_summary(data, plain()) == text(R"golden(
     █ outer

       ✓ outer ok

       █ inner

         ✗ inner fails
          ↳  33% — ✓ 1 / ✗ 2

         █ innermost

           ✗ deep check
            ↳  0% — ✓ 0 / ✗ 5

       █ no checks here

     █ second

       ✓ second ok

   ✗ checks................: 58.06% ✓ 18 ✗ 13
     group_duration........: avg=1.5ms max=1m1s  
       { group:::outer }...: avg=500µs max=1h2m5s)golden"));
  // A failing check's two lines share one red escape pair, indentation included.
  const std::string coloured = text_summary(data);
  CHECK(coloured == esc(R"golden(
     █ outer

\e[32m       ✓ outer ok\e[0m

       █ inner

\e[31m         ✗ inner fails
          ↳  33% — ✓ 1 / ✗ 2\e[0m

         █ innermost

\e[31m           ✗ deep check
            ↳  0% — ✓ 0 / ✗ 5\e[0m

       █ no checks here

     █ second

\e[32m       ✓ second ok\e[0m

   \e[31m✗\e[0m checks\e[2m................:\e[0m \e[36m58.06%\e[0m \e[36;2m✓ 18\e[0m \e[36;2m✗ 13\e[0m
     group_duration\e[2m........:\e[0m avg=\e[36m1.5ms\e[0m max=\e[36m1m1s\e[0m  
       { group:::outer }\e[2m...:\e[0m avg=\e[36m500µs\e[0m max=\e[36m1h2m5s\e[0m)golden"));
  CHECK(coloured.find("\x1b[31m         ✗ inner fails\n          ↳  33% — ✓ 1 / ✗ 2\x1b[0m") !=
        std::string::npos);
}

TEST_CASE("text_summary: metric order, submetrics, any trend stat, every metric kind",
          "[text_summary]") {
  // 0.0.2 sorts with a plain sort(): UTF-16 code units, upper case first, '_' before '{'
  // (so "prefix{sub:one}" lands after "prefix_suffix{sub:two}"), U+1F600 before U+FF5A.
  // Also: p(N) and count columns, a counter with time values, a rate with data values,
  // an unknown type, a name ending in '{', and a threshold mark on a parent metric.
  const json data = json::parse(R"json(
{
  "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e",
    "checks": [],
    "groups": []},
  "options": {"summaryTrendStats": ["p(99.9)", "count", "p(0)", "med"], "summaryTimeUnit": "", "noColor": false},
  "metrics": {
    "prefix": {"type": "counter", "contains": "default", "values": {"count": 1, "rate": 414.40196}},
    "prefix{sub:one}": {"type": "counter", "contains": "default", "values": {"count": 1, "rate": 414.40196}},
    "prefix_suffix": {"type": "counter", "contains": "default", "values": {"count": 1, "rate": 414.40196}},
    "prefix_suffix{sub:two}": {"type": "counter", "contains": "default", "values": {"count": 1, "rate": 414.40196}, "thresholds": {"count>0": {"ok": true}}},
    "Zeta": {"type": "gauge", "contains": "time", "values": {"value": 1500, "min": 0.25, "max": 90500}},
    "alpha": {"type": "trend", "contains": "default", "values": {"p(99.9)": 0.1234567891, "count": 3, "p(0)": 1e-07, "med": 2}},
    "😀 smile": {"type": "trend", "contains": "data", "values": {"p(99.9)": 999999, "count": 10, "p(0)": 3.2123, "med": 1000000000.0}},
    "ｚ fullwidth": {"type": "trend", "contains": "time", "values": {"p(99.9)": 0.0005, "count": 0, "p(0)": 0, "med": 86400000}},
    "time_counter": {"type": "counter", "contains": "time", "values": {"count": 61234, "rate": 0.5}},
    "rate_with_data": {"type": "rate", "contains": "data", "values": {"rate": 0.57, "passes": 57, "fails": 43}, "thresholds": {"rate>0.5": {"ok": true}, "rate>0.6": {"ok": false}}},
    "histogram_like": {"type": "histogram", "contains": "default", "values": {}},
    "weird{": {"type": "counter", "contains": "data", "values": {"count": 9.5, "rate": 0}}
  }
}
)json");
  CHECK(text_summary(data, plain()) == text(R"golden(
     Zeta.............: 1.5s      min=250µs   max=1m30s
     alpha............: p(99.9)=0.123457 count=3  p(0)=0        med=2      
     histogram_like...: [no data]
     prefix...........: 1         414.40196/s
     prefix_suffix....: 1         414.40196/s
     ✓ { sub:two }....: 1         414.40196/s
       { sub:one }....: 1         414.40196/s
   ✗ rate_with_data...: 56.99%    ✓ 57        ✗ 43     
     time_counter.....: 1m1s      500µs/s
       { { }..........: 9.5 B     0 B/s
     😀 smile..........: p(99.9)=1000 kB  count=10 p(0)=3.2123 B med=1.0 GB 
     ｚ fullwidth......: p(99.9)=500ns    count=0  p(0)=0s       med=24h0m0s)golden"));
}

TEST_CASE("text_summary: number formatting edge cases", "[text_summary]") {
  namespace ts = pacer::detail::tsum;
  const auto hv = [](const json& v, const char* type, const char* contains,
                     const std::string& unit = "") {
    const json metric = {{"type", type}, {"contains", contains}};
    return ts::humanize_value(&v, &metric, unit);
  };
  SECTION("rates are truncated, not rounded, after two binary multiplications") {
    CHECK(hv(0.998, "rate", "default") == "99.80%");
    CHECK(hv(0.002, "rate", "default") == "0.20%");
    CHECK(hv(0.57, "rate", "default") == "56.99%");
    CHECK(hv(0.29, "rate", "default") == "28.99%");
    CHECK(hv(0.00999999, "rate", "default") == "0.99%");
    CHECK(hv(1, "rate", "default") == "100.00%");
    CHECK(hv(0, "rate", "default") == "0.00%");
    CHECK(hv(0.57, "rate", "data") == "56.99%");        // the rate type wins over contains
    CHECK(hv(-0.00001, "rate", "default") == "0.00%");  // truncates to -0
  }
  SECTION("bytes: raw below 10, then base 1000 with one rounded decimal below 10") {
    CHECK(hv(3.2123, "counter", "data") == "3.2123 B");
    CHECK(hv(0, "counter", "data") == "0 B");
    CHECK(hv(-5, "counter", "data") == "-5 B");
    CHECK(hv(9.95, "counter", "data") == "9.95 B");
    CHECK(hv(10, "counter", "data") == "10 B");
    CHECK(hv(999, "counter", "data") == "999 B");
    CHECK(hv(1000, "counter", "data") == "1.0 kB");
    CHECK(hv(9950, "counter", "data") == "10 kB");
    CHECK(hv(11608, "counter", "data") == "12 kB");
    CHECK(hv(999999, "counter", "data") == "1000 kB");
    CHECK(hv(1652331, "counter", "data") == "1.7 MB");
    CHECK(hv(123456789, "counter", "data") == "124 MB");
    CHECK(hv(1e9, "counter", "data") == "1.0 GB");
    CHECK(hv(1e24, "counter", "data") == "1.0 YB");
    CHECK(hv(1e27, "counter", "data") == "1.0 undefined");  // past the unit table
  }
  SECTION("fixed time units round with toFixed(2)") {
    CHECK(hv(412.3519, "trend", "time", "s") == "0.41s");
    CHECK(hv(412.3519, "trend", "time", "ms") == "412.35ms");
    CHECK(hv(412.3519, "trend", "time", "us") == "412351.90µs");
    CHECK(hv(0.125, "trend", "time", "ms") == "0.13ms");  // exact tie rounds up
    CHECK(hv(0.0005, "trend", "time", "ms") == "0.00ms");
    CHECK(hv(-3, "trend", "time", "ms") == "-3.00ms");
    CHECK(hv(-0.0, "trend", "time", "ms") == "0.00ms");
  }
  SECTION("adaptive time units truncate, then drop trailing zeros") {
    const std::vector<std::pair<double, std::string>> cases = {{0, "0s"},
                                                               {0.0005, "500ns"},
                                                               {1e-7, "0ns"},
                                                               {-5, "-5000000ns"},
                                                               {0.001, "1µs"},
                                                               {0.0049999, "4.99µs"},
                                                               {0.8812, "881.2µs"},
                                                               {1, "1ms"},
                                                               {1.15, "1.14ms"},
                                                               {999.999, "999.99ms"},
                                                               {1000, "1s"},
                                                               {1533.9182, "1.53s"},
                                                               {59999.99, "59.99s"},
                                                               {60000, "1m0s"},
                                                               {60001, "1m0s"},
                                                               {61234, "1m1s"},
                                                               {90500, "1m30s"},
                                                               {120000.5, "2m0s"},
                                                               {3599999.999, "59m59s"},
                                                               {3725000, "1h2m5s"},
                                                               {86400000, "24h0m0s"}};
    for (const auto& [v, expected] : cases)
      CHECK(hv(v, "trend", "time") == expected);
  }
  SECTION("plain numbers: toFixed(6) without trailing zeros") {
    CHECK(hv(4.993126576796294, "trend", "default") == "4.993127");
    CHECK(hv(1500, "trend", "default") == "1500");
    CHECK(hv(0.1234567891, "trend", "default") == "0.123457");
    CHECK(hv(123.4565, "trend", "default") == "123.4565");
    CHECK(hv(5e-7, "trend", "default") == "0");   // just below the tie in binary
    CHECK(hv(-1e-7, "trend", "default") == "0");  // "-0.000000" parses to -0
    CHECK(hv(1e21, "trend", "default") == "1e+21");
  }
  SECTION("toFixed rounds the exact binary value half up; printf would not") {
    CHECK(ts::js_to_fixed(0.125, 2) == "0.13");
    CHECK(ts::js_to_fixed(2.5, 0) == "3");
    CHECK(ts::js_to_fixed(-2.5, 0) == "-3");
    CHECK(ts::js_to_fixed(0.5, 0) == "1");
    CHECK(ts::js_to_fixed(1.005, 2) == "1.00");
    CHECK(ts::js_to_fixed(2.675, 2) == "2.67");
    CHECK(ts::js_to_fixed(8.345, 2) == "8.35");
    CHECK(ts::js_to_fixed(1.45, 1) == "1.4");
    CHECK(ts::js_to_fixed(-0.001, 2) == "-0.00");
    CHECK(ts::js_to_fixed(-0.0, 2) == "0.00");
    CHECK(ts::js_to_fixed(1e21, 2) == "1e+21");
    CHECK(ts::js_to_fixed(99.995, 2) == "100.00");
  }
  SECTION("Number.prototype.toString") {
    CHECK(ts::js_number_to_string(1e21) == "1e+21");
    CHECK(ts::js_number_to_string(123456789012345680000.0) == "123456789012345680000");
    CHECK(ts::js_number_to_string(1e-7) == "1e-7");
    CHECK(ts::js_number_to_string(0.000001) == "0.000001");
    CHECK(ts::js_number_to_string(1.5e-10) == "1.5e-10");
    CHECK(ts::js_number_to_string(-1e300) == "-1e+300");
    CHECK(ts::js_number_to_string(5e-324) == "5e-324");
    CHECK(ts::js_number_to_string(0.1 + 0.2) == "0.30000000000000004");
    CHECK(ts::js_number_to_string(-0.0) == "0");
    CHECK(ts::js_number_to_string(9007199254740992.0) == "9007199254740992");
  }
}

TEST_CASE("text_summary: edge shapes of the data", "[text_summary]") {
  SECTION("nothing to show renders an empty string") {
    const json data = {
        {"root_group", {{"name", ""}, {"groups", json::array()}, {"checks", json::array()}}},
        {"options", {{"summaryTrendStats", json::array()}}},
        {"metrics", json::object()}};
    CHECK(text_summary(data).empty());
  }
  SECTION("no trend stats leaves a bare trend line") {
    const json data = {
        {"root_group", {{"name", ""}, {"groups", json::array()}, {"checks", json::array()}}},
        {"options", {{"summaryTrendStats", json::array()}}},
        {"metrics",
         {{"t", {{"type", "trend"}, {"contains", "time"}, {"values", json::object()}}}}}};
    CHECK(text_summary(data, plain()) == "     t...: ");
  }
  SECTION("where 0.0.2 throws a TypeError, text_summary throws") {
    json data = json::parse(example_data);
    data["options"].erase("summaryTrendStats");
    CHECK_THROWS_AS(text_summary(data), std::invalid_argument);
    text_summary_options o = plain();
    o.summary_trend_stats = std::vector<std::string>{"avg"};
    CHECK_NOTHROW(text_summary(data, o));
    o.summary_trend_stats = std::vector<std::string>{"count"};  // no count in the values
    CHECK_THROWS_AS(text_summary(data, o), std::invalid_argument);
    data.erase("root_group");
    o.summary_trend_stats = std::vector<std::string>{"avg"};
    CHECK_THROWS_AS(text_summary(data, o), std::invalid_argument);
  }
  SECTION("a check without a fails count renders as 0.0.2 renders it") {
    const json data = {
        {"root_group",
         {{"name", ""}, {"groups", json::array()}, {"checks", {{{"name", "c"}, {"passes", 2}}}}}},
        {"options", {{"summaryTrendStats", json::array()}}},
        {"metrics", json::object()}};
    CHECK(text_summary(data, plain()) == "     ✗ c\n      ↳  NaN% — ✓ 2 / ✗ undefined\n");
  }
}

TEST_CASE("text_summary: real handleSummary data", "[text_summary]") {
  SECTION("a setup group, a failing check, a failed rate threshold") {
    const json data = json::parse(R"json(
{
  "root_group": {
    "path": "",
    "id": "d41d8cd98f00b204e9800998ecf8427e",
    "groups": [
      {
        "name": "setup",
        "path": "::setup",
        "id": "5c0f8025f7e0b6654089e5b00e950f1a",
        "groups": [],
        "checks": [
            {
              "name": "create user a (200)",
              "path": "::setup::create user a (200)",
              "id": "1fdda6a8d58624ddb67f9fc64b33e850",
              "passes": 1,
              "fails": 0
            },
            {
              "id": "f7741b1f4b770db6c2a4f70df231d4c0",
              "passes": 1,
              "fails": 0,
              "name": "create user b (200)",
              "path": "::setup::create user b (200)"
            },
            {
              "path": "::setup::create room (200)",
              "id": "6c6ec524a7115323b5948480e81c38bd",
              "passes": 1,
              "fails": 0,
              "name": "create room (200)"
            }
          ]
      }
    ],
    "checks": [
      {
        "name": "chat request accepted (200)",
        "path": "::chat request accepted (200)",
        "id": "b32ef4c2c957aeb7abf0e03700e9d685",
        "passes": 1641,
        "fails": 33181
      }
    ],
    "name": ""
  },
  "options": {
    "summaryTimeUnit": "",
    "noColor": false,
    "summaryTrendStats": [
      "avg",
      "min",
      "med",
      "max",
      "p(90)",
      "p(95)"
    ]
  },
  "state": {
    "isStdOutTTY": false,
    "isStdErrTTY": false,
    "testRunDurationMs": 10736.1415
  },
  "metrics": {
    "iterations": {
      "type": "counter",
      "contains": "default",
      "values": {
        "count": 34822,
        "rate": 3243.4371324185695
      }
    },
    "http_req_duration{expected_response:true}": {
      "type": "trend",
      "contains": "time",
      "values": {
        "med": 1679.4689,
        "max": 2046.9319,
        "p(90)": 1872.80438,
        "p(95)": 1948.8027149999998,
        "avg": 1598.9687306569317,
        "min": 3.197
      }
    },
    "http_req_tls_handshaking": {
      "type": "trend",
      "contains": "time",
      "values": {
        "avg": 0,
        "min": 0,
        "med": 0,
        "max": 0,
        "p(90)": 0,
        "p(95)": 0
      }
    },
    "iteration_duration": {
      "contains": "time",
      "values": {
        "p(90)": 106.51840000000001,
        "p(95)": 151.721565,
        "avg": 146.70395377347705,
        "min": 50.6311,
        "med": 68.11215,
        "max": 2097.297
      },
      "type": "trend"
    },
    "http_req_blocked": {
      "type": "trend",
      "contains": "time",
      "values": {
        "avg": 1.1714638363244878,
        "min": 0,
        "med": 0.5171,
        "max": 96.8158,
        "p(90)": 1.8485600000000002,
        "p(95)": 4.1544199999999725
      }
    },
    "http_reqs": {
      "type": "counter",
      "contains": "default",
      "values": {
        "count": 34825,
        "rate": 3243.7165624167674
      }
    },
    "http_req_connecting": {
      "type": "trend",
      "contains": "time",
      "values": {
        "p(95)": 3.8086,
        "avg": 1.1054569676956196,
        "min": 0,
        "med": 0.516,
        "max": 96.8158,
        "p(90)": 1.6517800000000016
      }
    },
    "http_req_duration": {
      "type": "trend",
      "contains": "time",
      "values": {
        "p(90)": 46.1346,
        "p(95)": 91.43761999999981,
        "avg": 93.62919545728624,
        "min": 0,
        "med": 16.1968,
        "max": 2046.9319
      },
      "thresholds": {
        "p(95)<1000": {
          "ok": true
        },
        "p(99)<2000": {
          "ok": true
        }
      }
    },
    "http_req_sending": {
      "values": {
        "avg": 0.16015520172289996,
        "min": 0,
        "med": 0,
        "max": 57.6422,
        "p(90)": 0.5198,
        "p(95)": 0.7196399999999921
      },
      "type": "trend",
      "contains": "time"
    },
    "data_sent": {
      "type": "counter",
      "contains": "data",
      "values": {
        "count": 7848027,
        "rate": 730991.3901563238
      }
    },
    "vus": {
      "values": {
        "value": 500,
        "min": 500,
        "max": 500
      },
      "type": "gauge",
      "contains": "default"
    },
    "vus_max": {
      "type": "gauge",
      "contains": "default",
      "values": {
        "max": 500,
        "value": 500,
        "min": 500
      }
    },
    "checks": {
      "type": "rate",
      "contains": "default",
      "values": {
        "rate": 0.047207465900933235,
        "passes": 1644,
        "fails": 33181
      }
    },
    "http_req_receiving": {
      "contains": "time",
      "values": {
        "p(90)": 0,
        "p(95)": 0,
        "avg": 0.01676019813352475,
        "min": 0,
        "med": 0,
        "max": 18.8889
      },
      "type": "trend"
    },
    "http_req_failed": {
      "type": "rate",
      "contains": "default",
      "values": {
        "rate": 0.9527925340990667,
        "passes": 33181,
        "fails": 1644
      },
      "thresholds": {
        "rate<0.05": {
          "ok": false
        }
      }
    },
    "data_received": {
      "type": "counter",
      "contains": "data",
      "values": {
        "count": 917178,
        "rate": 85429.01562912522
      }
    },
    "http_req_waiting": {
      "type": "trend",
      "contains": "time",
      "values": {
        "max": 2046.9319,
        "p(90)": 45.86576,
        "p(95)": 90.85519999999966,
        "avg": 93.45228005742959,
        "min": 0,
        "med": 16.0983
      }
    }
  },
  "setup_data": {
    "roomId": 8,
    "userId": 16
  }
}
)json");
    CHECK(text_summary(data, plain()) == text(R"golden(
     ✗ chat request accepted (200)
      ↳  4% — ✓ 1641 / ✗ 33181

     █ setup

       ✓ create user a (200)
       ✓ create user b (200)
       ✓ create room (200)

     checks.........................: 4.72%  ✓ 1644        ✗ 33181
     data_received..................: 917 kB 85 kB/s
     data_sent......................: 7.8 MB 731 kB/s
     http_req_blocked...............: avg=1.17ms   min=0s      med=517.1µs max=96.81ms p(90)=1.84ms   p(95)=4.15ms  
     http_req_connecting............: avg=1.1ms    min=0s      med=516µs   max=96.81ms p(90)=1.65ms   p(95)=3.8ms   
   ✓ http_req_duration..............: avg=93.62ms  min=0s      med=16.19ms max=2.04s   p(90)=46.13ms  p(95)=91.43ms 
       { expected_response:true }...: avg=1.59s    min=3.19ms  med=1.67s   max=2.04s   p(90)=1.87s    p(95)=1.94s   
   ✗ http_req_failed................: 95.27% ✓ 33181       ✗ 1644 
     http_req_receiving.............: avg=16.76µs  min=0s      med=0s      max=18.88ms p(90)=0s       p(95)=0s      
     http_req_sending...............: avg=160.15µs min=0s      med=0s      max=57.64ms p(90)=519.8µs  p(95)=719.63µs
     http_req_tls_handshaking.......: avg=0s       min=0s      med=0s      max=0s      p(90)=0s       p(95)=0s      
     http_req_waiting...............: avg=93.45ms  min=0s      med=16.09ms max=2.04s   p(90)=45.86ms  p(95)=90.85ms 
     http_reqs......................: 34825  3243.716562/s
     iteration_duration.............: avg=146.7ms  min=50.63ms med=68.11ms max=2.09s   p(90)=106.51ms p(95)=151.72ms
     iterations.....................: 34822  3243.437132/s
     vus............................: 500    min=500       max=500
     vus_max........................: 500    min=500       max=500)golden"));
    CHECK(text_summary(data) == esc(R"golden(
\e[31m     ✗ chat request accepted (200)
      ↳  4% — ✓ 1641 / ✗ 33181\e[0m

     █ setup

\e[32m       ✓ create user a (200)\e[0m
\e[32m       ✓ create user b (200)\e[0m
\e[32m       ✓ create room (200)\e[0m

     checks\e[2m.........................:\e[0m \e[36m4.72%\e[0m  \e[36;2m✓ 1644\e[0m        \e[36;2m✗ 33181\e[0m
     data_received\e[2m..................:\e[0m \e[36m917 kB\e[0m \e[36;2m85 kB/s\e[0m
     data_sent\e[2m......................:\e[0m \e[36m7.8 MB\e[0m \e[36;2m731 kB/s\e[0m
     http_req_blocked\e[2m...............:\e[0m avg=\e[36m1.17ms\e[0m   min=\e[36m0s\e[0m      med=\e[36m517.1µs\e[0m max=\e[36m96.81ms\e[0m p(90)=\e[36m1.84ms\e[0m   p(95)=\e[36m4.15ms\e[0m  
     http_req_connecting\e[2m............:\e[0m avg=\e[36m1.1ms\e[0m    min=\e[36m0s\e[0m      med=\e[36m516µs\e[0m   max=\e[36m96.81ms\e[0m p(90)=\e[36m1.65ms\e[0m   p(95)=\e[36m3.8ms\e[0m   
   \e[32m✓\e[0m http_req_duration\e[2m..............:\e[0m avg=\e[36m93.62ms\e[0m  min=\e[36m0s\e[0m      med=\e[36m16.19ms\e[0m max=\e[36m2.04s\e[0m   p(90)=\e[36m46.13ms\e[0m  p(95)=\e[36m91.43ms\e[0m 
       { expected_response:true }\e[2m...:\e[0m avg=\e[36m1.59s\e[0m    min=\e[36m3.19ms\e[0m  med=\e[36m1.67s\e[0m   max=\e[36m2.04s\e[0m   p(90)=\e[36m1.87s\e[0m    p(95)=\e[36m1.94s\e[0m   
   \e[31m✗\e[0m http_req_failed\e[2m................:\e[0m \e[36m95.27%\e[0m \e[36;2m✓ 33181\e[0m       \e[36;2m✗ 1644\e[0m 
     http_req_receiving\e[2m.............:\e[0m avg=\e[36m16.76µs\e[0m  min=\e[36m0s\e[0m      med=\e[36m0s\e[0m      max=\e[36m18.88ms\e[0m p(90)=\e[36m0s\e[0m       p(95)=\e[36m0s\e[0m      
     http_req_sending\e[2m...............:\e[0m avg=\e[36m160.15µs\e[0m min=\e[36m0s\e[0m      med=\e[36m0s\e[0m      max=\e[36m57.64ms\e[0m p(90)=\e[36m519.8µs\e[0m  p(95)=\e[36m719.63µs\e[0m
     http_req_tls_handshaking\e[2m.......:\e[0m avg=\e[36m0s\e[0m       min=\e[36m0s\e[0m      med=\e[36m0s\e[0m      max=\e[36m0s\e[0m      p(90)=\e[36m0s\e[0m       p(95)=\e[36m0s\e[0m      
     http_req_waiting\e[2m...............:\e[0m avg=\e[36m93.45ms\e[0m  min=\e[36m0s\e[0m      med=\e[36m16.09ms\e[0m max=\e[36m2.04s\e[0m   p(90)=\e[36m45.86ms\e[0m  p(95)=\e[36m90.85ms\e[0m 
     http_reqs\e[2m......................:\e[0m \e[36m34825\e[0m  \e[36;2m3243.716562/s\e[0m
     iteration_duration\e[2m.............:\e[0m avg=\e[36m146.7ms\e[0m  min=\e[36m50.63ms\e[0m med=\e[36m68.11ms\e[0m max=\e[36m2.09s\e[0m   p(90)=\e[36m106.51ms\e[0m p(95)=\e[36m151.72ms\e[0m
     iterations\e[2m.....................:\e[0m \e[36m34822\e[0m  \e[36;2m3243.437132/s\e[0m
     vus\e[2m............................:\e[0m \e[36m500\e[0m    \e[36;2mmin=500\e[0m       \e[36;2mmax=500\e[0m
     vus_max\e[2m........................:\e[0m \e[36m500\e[0m    \e[36;2mmin=500\e[0m       \e[36;2mmax=500\e[0m)golden"));
  }
  SECTION("threshold sources with spaces, a custom trend of plain numbers") {
    const json data = json::parse(R"json(
{
  "metrics": {
    "iteration_duration": {
      "type": "trend",
      "contains": "time",
      "values": {
        "avg": 14584.605185831391,
        "min": 1437.1253,
        "med": 13016.4811,
        "max": 28905.0614,
        "p(90)": 24171.17411,
        "p(95)": 26100.177594999994
      }
    },
    "data_received": {
      "type": "counter",
      "contains": "data",
      "values": {
        "rate": 2293.9751192373556,
        "count": 297955
      }
    },
    "http_req_receiving": {
      "type": "trend",
      "contains": "time",
      "values": {
        "avg": 0.06699684579439254,
        "min": 0,
        "med": 0,
        "max": 4.893,
        "p(90)": 0,
        "p(95)": 0.5378499999999999
      }
    },
    "translated_chars": {
      "type": "counter",
      "contains": "default",
      "values": {
        "count": 45210,
        "rate": 348.0747600836396
      }
    },
    "iterations": {
      "contains": "default",
      "values": {
        "count": 854,
        "rate": 6.575002103769702
      },
      "type": "counter"
    },
    "http_req_sending": {
      "type": "trend",
      "contains": "time",
      "values": {
        "med": 0,
        "max": 1.1973,
        "p(90)": 0,
        "p(95)": 0,
        "avg": 0.020023598130841123,
        "min": 0
      }
    },
    "vus_max": {
      "type": "gauge",
      "contains": "default",
      "values": {
        "min": 100,
        "max": 100,
        "value": 100
      }
    },
    "checks": {
      "contains": "default",
      "values": {
        "rate": 0.8509953161592506,
        "passes": 2907,
        "fails": 509
      },
      "type": "rate"
    },
    "http_reqs": {
      "type": "counter",
      "contains": "default",
      "values": {
        "count": 856,
        "rate": 6.5904002351602635
      }
    },
    "http_req_duration": {
      "thresholds": {
        "p(95) < 5000": {
          "ok": false
        }
      },
      "type": "trend",
      "contains": "time",
      "values": {
        "avg": 12563.465956191583,
        "min": 1.0721,
        "med": 10990.5877,
        "max": 26306.3651,
        "p(90)": 22111.43385,
        "p(95)": 24458.761375
      }
    },
    "http_req_blocked": {
      "type": "trend",
      "contains": "time",
      "values": {
        "min": 0,
        "med": 0,
        "max": 7.2113,
        "p(90)": 0.5232,
        "p(95)": 0.6107,
        "avg": 0.10231296728971956
      }
    },
    "translation_duration_ms": {
      "type": "trend",
      "contains": "default",
      "values": {
        "p(90)": 22111.50455,
        "p(95)": 24459.894884999998,
        "avg": 12592.884946487113,
        "min": 204.4118,
        "med": 10996.8963,
        "max": 26306.3651
      }
    },
    "http_req_duration{expected_response:true}": {
      "type": "trend",
      "contains": "time",
      "values": {
        "min": 1.0721,
        "med": 10990.5877,
        "max": 26306.3651,
        "p(90)": 22111.43385,
        "p(95)": 24458.761375,
        "avg": 12563.465956191583
      }
    },
    "http_req_connecting": {
      "type": "trend",
      "contains": "time",
      "values": {
        "p(90)": 0.25255,
        "p(95)": 0.5866,
        "avg": 0.07059918224299068,
        "min": 0,
        "med": 0,
        "max": 1.7205
      }
    },
    "http_req_tls_handshaking": {
      "type": "trend",
      "contains": "time",
      "values": {
        "p(95)": 0,
        "avg": 0,
        "min": 0,
        "med": 0,
        "max": 0,
        "p(90)": 0
      }
    },
    "vus": {
      "contains": "default",
      "values": {
        "value": 4,
        "min": 4,
        "max": 100
      },
      "type": "gauge"
    },
    "http_req_waiting": {
      "type": "trend",
      "contains": "time",
      "values": {
        "med": 10990.5877,
        "max": 26306.3651,
        "p(90)": 22111.43385,
        "p(95)": 24458.761375,
        "avg": 12563.378935747649,
        "min": 1.0721
      }
    },
    "data_sent": {
      "contains": "data",
      "values": {
        "count": 250023,
        "rate": 1924.9435023311617
      },
      "type": "counter"
    },
    "http_req_failed": {
      "type": "rate",
      "contains": "default",
      "values": {
        "passes": 0,
        "fails": 856,
        "rate": 0
      },
      "thresholds": {
        "rate < 0.05": {
          "ok": true
        }
      }
    },
    "translation_errors": {
      "type": "rate",
      "contains": "default",
      "values": {
        "rate": 0,
        "passes": 0,
        "fails": 854
      },
      "thresholds": {
        "rate < 0.05": {
          "ok": true
        }
      }
    }
  },
  "root_group": {
    "path": "",
    "id": "d41d8cd98f00b204e9800998ecf8427e",
    "groups": [],
    "checks": [
        {
          "name": "status is 200",
          "path": "::status is 200",
          "id": "6210a8cd14cd70477eba5c5e4cb3fb5f",
          "passes": 854,
          "fails": 0
        },
        {
          "name": "has translated field",
          "path": "::has translated field",
          "id": "1f09de8499b51168a02783a396133230",
          "passes": 854,
          "fails": 0
        },
        {
          "passes": 854,
          "fails": 0,
          "name": "translation not empty",
          "path": "::translation not empty",
          "id": "e31c3fd5516e5f583fd3b529be1b9f98"
        },
        {
          "name": "response time < 10s",
          "path": "::response time < 10s",
          "id": "aca18d8462366ce763a44b6147a6a318",
          "passes": 345,
          "fails": 509
        }
      ],
    "name": ""
  },
  "options": {
    "summaryTrendStats": [
      "avg",
      "min",
      "med",
      "max",
      "p(90)",
      "p(95)"
    ],
    "summaryTimeUnit": "",
    "noColor": false
  },
  "state": {
    "isStdOutTTY": true,
    "isStdErrTTY": true,
    "testRunDurationMs": 129885.89
  }
}
)json");
    CHECK(text_summary(data, plain()) == text(R"golden(
     ✓ status is 200
     ✓ has translated field
     ✓ translation not empty
     ✗ response time < 10s
      ↳  40% — ✓ 345 / ✗ 509

     checks.........................: 85.09% ✓ 2907      ✗ 509  
     data_received..................: 298 kB 2.3 kB/s
     data_sent......................: 250 kB 1.9 kB/s
     http_req_blocked...............: avg=102.31µs     min=0s       med=0s         max=7.21ms     p(90)=523.2µs     p(95)=610.7µs     
     http_req_connecting............: avg=70.59µs      min=0s       med=0s         max=1.72ms     p(90)=252.55µs    p(95)=586.6µs     
   ✗ http_req_duration..............: avg=12.56s       min=1.07ms   med=10.99s     max=26.3s      p(90)=22.11s      p(95)=24.45s      
       { expected_response:true }...: avg=12.56s       min=1.07ms   med=10.99s     max=26.3s      p(90)=22.11s      p(95)=24.45s      
   ✓ http_req_failed................: 0.00%  ✓ 0         ✗ 856  
     http_req_receiving.............: avg=66.99µs      min=0s       med=0s         max=4.89ms     p(90)=0s          p(95)=537.84µs    
     http_req_sending...............: avg=20.02µs      min=0s       med=0s         max=1.19ms     p(90)=0s          p(95)=0s          
     http_req_tls_handshaking.......: avg=0s           min=0s       med=0s         max=0s         p(90)=0s          p(95)=0s          
     http_req_waiting...............: avg=12.56s       min=1.07ms   med=10.99s     max=26.3s      p(90)=22.11s      p(95)=24.45s      
     http_reqs......................: 856    6.5904/s
     iteration_duration.............: avg=14.58s       min=1.43s    med=13.01s     max=28.9s      p(90)=24.17s      p(95)=26.1s       
     iterations.....................: 854    6.575002/s
     translated_chars...............: 45210  348.07476/s
     translation_duration_ms........: avg=12592.884946 min=204.4118 med=10996.8963 max=26306.3651 p(90)=22111.50455 p(95)=24459.894885
   ✓ translation_errors.............: 0.00%  ✓ 0         ✗ 854  
     vus............................: 4      min=4       max=100
     vus_max........................: 100    min=100     max=100)golden"));
  }
}

namespace {

// "metric{tags}" -> the words after the colon of its summary line. Submetric lines
// ("{ tags }") belong to the closest parent line above them.
std::map<std::string, std::vector<std::string>> metric_words(const std::string& summary) {
  std::map<std::string, std::vector<std::string>> out;
  std::string parent;
  for (const std::string& line : split_lines(summary)) {
    const std::size_t colon = line.find(".: ");
    if (colon == std::string::npos) continue;
    std::size_t end = colon;
    while (end > 0 && line[end - 1] == '.')
      --end;
    std::string name = line.substr(0, end);
    name.erase(0, name.find_first_not_of(' '));
    for (const char* mark : {"✓ ", "✗ "})
      if (name.rfind(mark, 0) == 0) name.erase(0, std::string(mark).size());
    if (name.rfind("{ ", 0) == 0)
      name = parent + "{" + name.substr(2, name.size() - 4) + "}";
    else
      parent = name;
    std::istringstream words(line.substr(colon + 3));
    for (std::string w; words >> w;)
      out[name].push_back(w);
  }
  return out;
}

std::vector<std::string> check_lines(const std::string& summary) {
  std::vector<std::string> out;
  for (std::string line : split_lines(summary)) {
    line.erase(0, line.find_first_not_of(' '));
    if (line.find(".: ") != std::string::npos) continue;
    if (line.rfind("✓ ", 0) == 0 || line.rfind("✗ ", 0) == 0 || line.rfind("↳", 0) == 0)
      out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("text_summary: a real k6 run, rebuilt from its --summary-export", "[text_summary]") {
  // The export of a k6 v1.6.1 run turned back into handleSummary data: metrics get their
  // type and contains back, rate "value" becomes "rate", threshold flags become {ok: !flag},
  // groups and checks become arrays in file order; options are k6's defaults (the console
  // shows the default trend columns and adaptive units).
  const json data = json::parse(R"json(
{
  "root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e",
    "checks": [
      {"name": "GET /health is 200", "path": "::GET /health is 200", "id": "f35c7e3620d2966474b38469cec824ce", "passes": 128, "fails": 0},
      {"name": "GET / is 200", "path": "::GET / is 200", "id": "17cc8d95029f5ae9c716268ee5382e7c", "passes": 120, "fails": 0},
      {"name": "GET /architecture is 200", "path": "::GET /architecture is 200", "id": "9e042854293912f7ceabffbc22edc2a9", "passes": 120, "fails": 0},
      {"name": "demo/start returns 200", "path": "::demo/start returns 200", "id": "30ed5b6230202811040c12c0111526e2", "passes": 73, "fails": 1},
      {"name": "POST /files/init is 200", "path": "::POST /files/init is 200", "id": "f1931c5aef9666d718767b6cafdfdf6c", "passes": 20, "fails": 0},
      {"name": "PUT upload is 200/204", "path": "::PUT upload is 200/204", "id": "f78d8e54422f91ac86a25acd5bbfe1bf", "passes": 20, "fails": 0},
      {"name": "POST /complete is 200", "path": "::POST /complete is 200", "id": "cabf3fb498c7d6afb3df1f367690b05f", "passes": 20, "fails": 0},
      {"name": "POST /download-url is 200 for ACTIVE", "path": "::POST /download-url is 200 for ACTIVE", "id": "9646f88cefcda108b1b4e582d073c16b", "passes": 20, "fails": 0},
      {"name": "GET /files?format=json #1 is 200", "path": "::GET /files?format=json #1 is 200", "id": "14deb4e6ca886d6992e97c65a032cc50", "passes": 53, "fails": 0},
      {"name": "GET /files?format=json #2 is 200", "path": "::GET /files?format=json #2 is 200", "id": "d84a2de62dcea62bd13fa5a2fdf0a5f0", "passes": 48, "fails": 0}
    ],
    "groups": [
      {"name": "setup", "path": "::setup", "id": "5c0f8025f7e0b6654089e5b00e950f1a",
        "checks": [
          {"name": "warmup /health returns 200", "path": "::setup::warmup /health returns 200", "id": "de0d359cb8807e91eed4085ef05d7d3e", "passes": 5, "fails": 0}
        ],
        "groups": []}
    ]},
  "options": {"summaryTrendStats": ["avg", "min", "med", "max", "p(90)", "p(95)"], "summaryTimeUnit": "", "noColor": false},
  "state": {"isStdOutTTY": false, "isStdErrTTY": false, "testRunDurationMs": 140371.505},
  "metrics": {
    "checks": {"type": "rate", "contains": "default", "values": {"rate": 0.9984076433121019, "passes": 627, "fails": 1}},
    "complete_to_terminal_latency_ms": {"type": "trend", "contains": "time", "values": {"avg": 2801.2, "min": 1140, "med": 2785, "max": 4302, "p(90)": 3471.8, "p(95)": 4289.65}},
    "data_received": {"type": "counter", "contains": "data", "values": {"count": 1407562, "rate": 10027.405490879362}},
    "data_sent": {"type": "counter", "contains": "data", "values": {"count": 143593, "rate": 1022.9497788742807}},
    "http_req_blocked": {"type": "trend", "contains": "time", "values": {"avg": 1.821521804511252, "min": 0, "med": 0.001, "max": 136.814, "p(90)": 0.003, "p(95)": 0.005799999999999971}},
    "http_req_connecting": {"type": "trend", "contains": "time", "values": {"avg": 0.5628556390977444, "min": 0, "med": 0, "max": 55.21, "p(90)": 0, "p(95)": 0}},
    "http_req_duration": {"type": "trend", "contains": "time", "values": {"avg": 119.21237894736849, "min": 37.057, "med": 50.378, "max": 2790.65, "p(90)": 178.9288, "p(95)": 540.3190000000001}},
    "http_req_duration{expected_response:true}": {"type": "trend", "contains": "time", "values": {"avg": 119.31210090361452, "min": 37.057, "med": 50.316500000000005, "max": 2790.65, "p(90)": 179.0221, "p(95)": 540.3240000000001}},
    "http_req_duration{name:GET_files_list}": {"type": "trend", "contains": "time", "values": {"avg": 63.60334653465348, "min": 43.753, "med": 55.342, "max": 173.504, "p(90)": 81.672, "p(95)": 154.922}, "thresholds": {"p(95)<400": {"ok": true}}},
    "http_req_duration{name:GET_files_poll}": {"type": "trend", "contains": "time", "values": {"avg": 194.58072972972974, "min": 46.342, "med": 91.186, "max": 785.51, "p(90)": 557.9382, "p(95)": 604.3097999999999}, "thresholds": {"p(95)<300": {"ok": false}}},
    "http_req_duration{name:POST_complete}": {"type": "trend", "contains": "time", "values": {"avg": 739.37955, "min": 179.954, "med": 585.991, "max": 1691.097, "p(90)": 1516.0651000000003, "p(95)": 1682.5137499999998}, "thresholds": {"p(95)<500": {"ok": false}}},
    "http_req_duration{name:POST_download_url}": {"type": "trend", "contains": "time", "values": {"avg": 176.25830000000002, "min": 96.953, "med": 156.096, "max": 310.658, "p(90)": 286.0984, "p(95)": 305.1309}, "thresholds": {"p(95)<2000": {"ok": true}}},
    "http_req_duration{name:POST_files_init}": {"type": "trend", "contains": "time", "values": {"avg": 1094.4098999999997, "min": 523.314, "med": 634.5225, "max": 2790.65, "p(90)": 2665.3829, "p(95)": 2671.7565499999996}, "thresholds": {"p(95)<500": {"ok": false}}},
    "http_req_duration{name:PUT_upload}": {"type": "trend", "contains": "time", "values": {"avg": 57.850999999999985, "min": 47.739, "med": 51.763999999999996, "max": 78.54, "p(90)": 74.5524, "p(95)": 76.18305}, "thresholds": {"p(95)<5000": {"ok": true}}},
    "http_req_duration{scenario:baseline}": {"type": "trend", "contains": "time", "values": {"avg": 49.527749999999976, "min": 37.057, "med": 46.823499999999996, "max": 180.882, "p(90)": 58.226400000000005, "p(95)": 73.41135}, "thresholds": {"p(95)<300": {"ok": true}}},
    "http_req_failed": {"type": "rate", "contains": "default", "values": {"rate": 0.0015037593984962407, "passes": 1, "fails": 664}},
    "http_req_failed{scenario:baseline}": {"type": "rate", "contains": "default", "values": {"rate": 0, "passes": 0, "fails": 368}, "thresholds": {"rate<0.01": {"ok": true}}},
    "http_req_failed{scenario:files_listing}": {"type": "rate", "contains": "default", "values": {"rate": 0.0064516129032258064, "passes": 1, "fails": 154}, "thresholds": {"rate<0.01": {"ok": true}}},
    "http_req_failed{scenario:upload_pipeline}": {"type": "rate", "contains": "default", "values": {"rate": 0, "passes": 0, "fails": 137}, "thresholds": {"rate<0.05": {"ok": true}}},
    "http_req_receiving": {"type": "trend", "contains": "time", "values": {"avg": 0.4162676691729324, "min": 0.015, "med": 0.119, "max": 4.973, "p(90)": 1.4742000000000002, "p(95)": 1.7873999999999997}},
    "http_req_sending": {"type": "trend", "contains": "time", "values": {"avg": 0.2113338345864661, "min": 0.02, "med": 0.183, "max": 1.478, "p(90)": 0.3636, "p(95)": 0.42819999999999975}},
    "http_req_tls_handshaking": {"type": "trend", "contains": "time", "values": {"avg": 0.990009022556391, "min": 0, "med": 0, "max": 55.545, "p(90)": 0, "p(95)": 0}},
    "http_req_waiting": {"type": "trend", "contains": "time", "values": {"avg": 118.58477744360903, "min": 35.58, "med": 49.766, "max": 2790.379, "p(90)": 178.5524, "p(95)": 539.8572}},
    "http_reqs": {"type": "counter", "contains": "default", "values": {"rate": 4.737428725295778, "count": 665}},
    "iteration_duration": {"type": "trend", "contains": "time", "values": {"avg": 2755.881086725274, "min": 1624.243042, "med": 1657.8639795, "max": 10436.962709, "p(90)": 4161.949012200001, "p(95)": 8740.506041049997}},
    "iterations": {"type": "counter", "contains": "default", "values": {"count": 182, "rate": 1.2965594406072656}},
    "scan_pipeline_latency_ms": {"type": "trend", "contains": "time", "values": {"avg": 3979.3, "min": 1941, "med": 3635.5, "max": 5565, "p(90)": 5544.7, "p(95)": 5560.25}},
    "upload_cycles_active": {"type": "counter", "contains": "default", "values": {"count": 20, "rate": 0.14247905940739183}},
    "upload_cycles_completed": {"type": "counter", "contains": "default", "values": {"count": 20, "rate": 0.14247905940739183}},
    "vus": {"type": "gauge", "contains": "default", "values": {"value": 8, "min": 0, "max": 10}},
    "vus_max": {"type": "gauge", "contains": "default", "values": {"value": 10, "min": 10, "max": 10}}
  }
}
)json");
  const std::string out = text_summary(data, plain());
  CHECK(out == text(R"golden(
     ✓ GET /health is 200
     ✓ GET / is 200
     ✓ GET /architecture is 200
     ✗ demo/start returns 200
      ↳  98% — ✓ 73 / ✗ 1
     ✓ POST /files/init is 200
     ✓ PUT upload is 200/204
     ✓ POST /complete is 200
     ✓ POST /download-url is 200 for ACTIVE
     ✓ GET /files?format=json #1 is 200
     ✓ GET /files?format=json #2 is 200

     █ setup

       ✓ warmup /health returns 200

     checks............................: 99.84% ✓ 627      ✗ 1   
     complete_to_terminal_latency_ms...: avg=2.8s     min=1.13s    med=2.78s    max=4.3s     p(90)=3.47s    p(95)=4.28s   
     data_received.....................: 1.4 MB 10 kB/s
     data_sent.........................: 144 kB 1.0 kB/s
     http_req_blocked..................: avg=1.82ms   min=0s       med=1µs      max=136.81ms p(90)=3µs      p(95)=5.79µs  
     http_req_connecting...............: avg=562.85µs min=0s       med=0s       max=55.21ms  p(90)=0s       p(95)=0s      
     http_req_duration.................: avg=119.21ms min=37.05ms  med=50.37ms  max=2.79s    p(90)=178.92ms p(95)=540.31ms
       { expected_response:true }......: avg=119.31ms min=37.05ms  med=50.31ms  max=2.79s    p(90)=179.02ms p(95)=540.32ms
     ✓ { name:GET_files_list }.........: avg=63.6ms   min=43.75ms  med=55.34ms  max=173.5ms  p(90)=81.67ms  p(95)=154.92ms
     ✗ { name:GET_files_poll }.........: avg=194.58ms min=46.34ms  med=91.18ms  max=785.51ms p(90)=557.93ms p(95)=604.3ms 
     ✗ { name:POST_complete }..........: avg=739.37ms min=179.95ms med=585.99ms max=1.69s    p(90)=1.51s    p(95)=1.68s   
     ✓ { name:POST_download_url }......: avg=176.25ms min=96.95ms  med=156.09ms max=310.65ms p(90)=286.09ms p(95)=305.13ms
     ✗ { name:POST_files_init }........: avg=1.09s    min=523.31ms med=634.52ms max=2.79s    p(90)=2.66s    p(95)=2.67s   
     ✓ { name:PUT_upload }.............: avg=57.85ms  min=47.73ms  med=51.76ms  max=78.54ms  p(90)=74.55ms  p(95)=76.18ms 
     ✓ { scenario:baseline }...........: avg=49.52ms  min=37.05ms  med=46.82ms  max=180.88ms p(90)=58.22ms  p(95)=73.41ms 
     http_req_failed...................: 0.15%  ✓ 1        ✗ 664 
     ✓ { scenario:baseline }...........: 0.00%  ✓ 0        ✗ 368 
     ✓ { scenario:files_listing }......: 0.64%  ✓ 1        ✗ 154 
     ✓ { scenario:upload_pipeline }....: 0.00%  ✓ 0        ✗ 137 
     http_req_receiving................: avg=416.26µs min=15µs     med=119µs    max=4.97ms   p(90)=1.47ms   p(95)=1.78ms  
     http_req_sending..................: avg=211.33µs min=20µs     med=183µs    max=1.47ms   p(90)=363.6µs  p(95)=428.19µs
     http_req_tls_handshaking..........: avg=990µs    min=0s       med=0s       max=55.54ms  p(90)=0s       p(95)=0s      
     http_req_waiting..................: avg=118.58ms min=35.58ms  med=49.76ms  max=2.79s    p(90)=178.55ms p(95)=539.85ms
     http_reqs.........................: 665    4.737429/s
     iteration_duration................: avg=2.75s    min=1.62s    med=1.65s    max=10.43s   p(90)=4.16s    p(95)=8.74s   
     iterations........................: 182    1.296559/s
     scan_pipeline_latency_ms..........: avg=3.97s    min=1.94s    med=3.63s    max=5.56s    p(90)=5.54s    p(95)=5.56s   
     upload_cycles_active..............: 20     0.142479/s
     upload_cycles_completed...........: 20     0.142479/s
     vus...............................: 8      min=0      max=10
     vus_max...........................: 10     min=10     max=10)golden"));

  // The same run's console summary (k6 v1.x layout, same humanize rules): every value it
  // prints must match ours. Rate lines differ after the percentage ("1 out of 665").
  const std::string console = text(R"console(
    checks_total.......: 628    4.473842/s
    checks_succeeded...: 99.84% 627 out of 628
    checks_failed......: 0.15%  1 out of 628

    ✓ warmup /health returns 200
    ✓ GET /health is 200
    ✓ GET / is 200
    ✓ GET /architecture is 200
    ✗ demo/start returns 200
      ↳  98% — ✓ 73 / ✗ 1
    ✓ POST /files/init is 200
    ✓ PUT upload is 200/204
    ✓ POST /complete is 200
    ✓ POST /download-url is 200 for ACTIVE
    ✓ GET /files?format=json #1 is 200
    ✓ GET /files?format=json #2 is 200

    CUSTOM
    complete_to_terminal_latency_ms...: avg=2.8s     min=1.13s    med=2.78s    max=4.3s     p(90)=3.47s    p(95)=4.28s   
    scan_pipeline_latency_ms..........: avg=3.97s    min=1.94s    med=3.63s    max=5.56s    p(90)=5.54s    p(95)=5.56s   
    upload_cycles_active..............: 20     0.142479/s
    upload_cycles_completed...........: 20     0.142479/s

    HTTP
    http_req_duration.................: avg=119.21ms min=37.05ms  med=50.37ms  max=2.79s    p(90)=178.92ms p(95)=540.31ms
      { expected_response:true }......: avg=119.31ms min=37.05ms  med=50.31ms  max=2.79s    p(90)=179.02ms p(95)=540.32ms
      { name:GET_files_list }.........: avg=63.6ms   min=43.75ms  med=55.34ms  max=173.5ms  p(90)=81.67ms  p(95)=154.92ms
      { name:GET_files_poll }.........: avg=194.58ms min=46.34ms  med=91.18ms  max=785.51ms p(90)=557.93ms p(95)=604.3ms 
      { name:POST_complete }..........: avg=739.37ms min=179.95ms med=585.99ms max=1.69s    p(90)=1.51s    p(95)=1.68s   
      { name:POST_download_url }......: avg=176.25ms min=96.95ms  med=156.09ms max=310.65ms p(90)=286.09ms p(95)=305.13ms
      { name:POST_files_init }........: avg=1.09s    min=523.31ms med=634.52ms max=2.79s    p(90)=2.66s    p(95)=2.67s   
      { name:PUT_upload }.............: avg=57.85ms  min=47.73ms  med=51.76ms  max=78.54ms  p(90)=74.55ms  p(95)=76.18ms 
      { scenario:baseline }...........: avg=49.52ms  min=37.05ms  med=46.82ms  max=180.88ms p(90)=58.22ms  p(95)=73.41ms 
    http_req_failed...................: 0.15%  1 out of 665
      { scenario:baseline }...........: 0.00%  0 out of 368
      { scenario:files_listing }......: 0.64%  1 out of 155
      { scenario:upload_pipeline }....: 0.00%  0 out of 137
    http_reqs.........................: 665    4.737429/s

    EXECUTION
    iteration_duration................: avg=2.75s    min=1.62s    med=1.65s    max=10.43s   p(90)=4.16s    p(95)=8.74s   
    iterations........................: 182    1.296559/s
    vus...............................: 8      min=0        max=10
    vus_max...........................: 10     min=10       max=10

    NETWORK
    data_received.....................: 1.4 MB 10 kB/s
    data_sent.........................: 144 kB 1.0 kB/s
)console");
  const auto theirs = metric_words(console);
  const auto ours = metric_words(out);
  std::size_t compared = 0;
  for (const auto& [name, words] : theirs) {
    const auto it = ours.find(name);
    if (it == ours.end()) continue;
    INFO(name);
    if (std::find(words.begin(), words.end(), "out") != words.end())
      CHECK(it->second.front() == words.front());
    else
      CHECK(it->second == words);
    ++compared;
  }
  CHECK(compared == 24);
  CHECK(ours.at("checks").front() == theirs.at("checks_succeeded").front());
  CHECK(check_lines(out) == check_lines(console));
}
