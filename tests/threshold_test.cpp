#include <pacer/threshold/threshold.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using pacer::config_error;
using pacer::parse_selector;
using pacer::parse_threshold_expression;
using pacer::threshold_expression;
using pacer::metrics::metric_type;
using pacer::metrics::sink;
using pacer::metrics::value_kind;
using agg = threshold_expression::aggregation;
using cmp = threshold_expression::comparison;

namespace {

// The message of the config_error `f` throws; fails the test if it throws nothing else.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const config_error& e) {
    CHECK(config_error::code == pacer::exit_code::invalid_config);
    return e.what();
  }
  FAIL("no config_error thrown");
  return {};
}

std::string expression_error(std::string_view source) {
  return error_of([&] { parse_threshold_expression(source); });
}

std::string selector_error(std::string_view key) {
  return error_of([&] { parse_selector(key); });
}

bool passes(std::string_view source, metric_type t, value_kind k, const sink& s,
            double seconds = 10) {
  return pacer::threshold_passes(parse_threshold_expression(source), t, k, s, seconds);
}

double aggregate_of(std::string_view source, metric_type t, value_kind k, const sink& s,
                    double seconds = 10) {
  return pacer::aggregate(parse_threshold_expression(source), t, k, s, seconds);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Expression grammar

TEST_CASE("threshold expression: every aggregation keyword with every operator", "[threshold]") {
  const std::vector<std::pair<std::string, agg>> methods = {
      {"count", agg::count}, {"rate", agg::rate}, {"value", agg::value}, {"avg", agg::avg},
      {"min", agg::min},     {"max", agg::max},   {"med", agg::med}};
  const std::vector<std::pair<std::string, cmp>> ops = {
      {"<", cmp::lt},  {"<=", cmp::le},  {">", cmp::gt}, {">=", cmp::ge},
      {"==", cmp::eq}, {"===", cmp::eq}, {"!=", cmp::ne}};
  for (const auto& [m, a] : methods) {
    for (const auto& [o, c] : ops) {
      const std::string src = m + o + "42";
      INFO(src);
      const auto e = parse_threshold_expression(src);
      CHECK(e.source == src);
      CHECK(e.agg == a);
      CHECK(e.op == c);
      CHECK(e.rhs == 42.0);
      CHECK(e.percentile == 0.0);
      CHECK(e.method() == m);
    }
  }
}

TEST_CASE("threshold expression: percentiles", "[threshold]") {
  auto e = parse_threshold_expression("p(95)<2000");
  CHECK(e.agg == agg::percentile);
  CHECK(e.percentile == 95.0);
  CHECK(e.op == cmp::lt);
  CHECK(e.rhs == 2000.0);
  CHECK(e.method() == "p(95)");

  CHECK(parse_threshold_expression("p(99.9)<1").percentile == 99.9);
  CHECK(parse_threshold_expression("p(99.99)<1").percentile == 99.99);
  CHECK(parse_threshold_expression("p(0)<1").percentile == 0.0);
  CHECK(parse_threshold_expression("p(100)<1").percentile == 100.0);
  CHECK(parse_threshold_expression("p(50)<1").percentile == 50.0);
  CHECK(parse_threshold_expression("p(100.0)<1").percentile == 100.0);
  // The inside is any Go float literal.
  CHECK(parse_threshold_expression("p(1e1)<1").percentile == 10.0);
  CHECK(parse_threshold_expression("p(+5)<1").percentile == 5.0);
  CHECK(parse_threshold_expression("p(.5)<1").percentile == 0.5);
  CHECK(parse_threshold_expression("p(95.)<1").percentile == 95.0);
  CHECK(parse_threshold_expression("p(9_9)<1").percentile == 99.0);
  CHECK(parse_threshold_expression("p(0x1p6)<1").percentile == 64.0);
  CHECK(parse_threshold_expression("p(99.9)<1").method() == "p(99.9)");
  CHECK(parse_threshold_expression("p(0)<1").method() == "p(0)");
}

TEST_CASE("threshold expression: whitespace around the parts is ignored, source is verbatim",
          "[threshold]") {
  const std::vector<std::string> spaced = {
      "p(95)<2000",
      "p(95) < 2000",
      "  p(95)  <  2000  ",
      "\tp(95)\t<\t2000\t",
      "p(95)\n<\n2000\n",
      "\r\vp(95)\f<2000",
      "p(95)< 2000",
      "p(95) <2000",
      "\xC2\xA0p(95)\xC2\xA0<\xC2\xA0"
      "2000\xE3\x80\x80",                     // NBSP and ideographic space
      "\xE2\x80\x83p(95)<2000\xE2\x80\xA8"};  // em space, line separator
  for (const auto& s : spaced) {
    INFO(s);
    const auto e = parse_threshold_expression(s);
    CHECK(e.source == s);
    CHECK(e.agg == agg::percentile);
    CHECK(e.percentile == 95.0);
    CHECK(e.op == cmp::lt);
    CHECK(e.rhs == 2000.0);
  }
  CHECK(parse_threshold_expression(" rate >= 0.95 ").source == " rate >= 0.95 ");
  CHECK(parse_threshold_expression("count\t!=\t0").op == cmp::ne);
}

TEST_CASE("threshold expression: numbers are Go floats", "[threshold]") {
  auto rhs = [](std::string_view s) { return parse_threshold_expression(s).rhs; };
  CHECK(rhs("rate<0.01") == 0.01);
  CHECK(rhs("avg<.5") == 0.5);
  CHECK(rhs("avg<5.") == 5.0);
  CHECK(rhs("avg<1e3") == 1000.0);
  CHECK(rhs("avg<1E3") == 1000.0);
  CHECK(rhs("avg<1e+3") == 1000.0);
  CHECK(rhs("avg<2.5e-3") == 0.0025);
  CHECK(rhs("avg<+5") == 5.0);
  CHECK(rhs("avg<007") == 7.0);
  CHECK(rhs("avg<1_000") == 1000.0);
  CHECK(rhs("avg<1_000.000_5") == 1000.0005);
  CHECK(rhs("avg<0x1p4") == 16.0);
  CHECK(rhs("avg<0X1.8P1") == 3.0);
  CHECK(rhs("avg<0x_1p4") == 16.0);
  CHECK(rhs("avg<123456789012345678901234567890") == 123456789012345678901234567890.0);
  CHECK(rhs("avg<1e-400") == 0.0);  // underflow is a silent zero in Go
  CHECK(rhs("avg<1.7976931348623157e308") == std::numeric_limits<double>::max());
  // Infinities and NaN are Go floats too.
  CHECK(rhs("avg<inf") == std::numeric_limits<double>::infinity());
  CHECK(rhs("avg<+Inf") == std::numeric_limits<double>::infinity());
  CHECK(rhs("avg<Infinity") == std::numeric_limits<double>::infinity());
  CHECK(rhs("avg>-INF") == -std::numeric_limits<double>::infinity());
  CHECK(std::isnan(rhs("avg!=NaN")));
  CHECK(std::isnan(rhs("avg!=nan")));
}

TEST_CASE("threshold expression: negative numbers", "[threshold]") {
  auto e = parse_threshold_expression("value>-1");
  CHECK(e.op == cmp::gt);
  CHECK(e.rhs == -1.0);
  e = parse_threshold_expression("value>=-0.5");
  CHECK(e.op == cmp::ge);
  CHECK(e.rhs == -0.5);
  e = parse_threshold_expression("value <= -1e-3");
  CHECK(e.op == cmp::le);
  CHECK(e.rhs == -0.001);
  e = parse_threshold_expression("value<-2");
  CHECK(e.op == cmp::lt);
  CHECK(e.rhs == -2.0);
  e = parse_threshold_expression("value==-3");
  CHECK(e.op == cmp::eq);
  CHECK(e.rhs == -3.0);
  e = parse_threshold_expression("value!=-4");
  CHECK(e.op == cmp::ne);
  CHECK(e.rhs == -4.0);
}

TEST_CASE("threshold expression: operator search order is k6's", "[threshold]") {
  // ">=" is tried before ">", "===" before "==".
  CHECK(parse_threshold_expression("count>=5").op == cmp::ge);
  CHECK(parse_threshold_expression("count<=5").op == cmp::le);
  CHECK(parse_threshold_expression("count===5").rhs == 5.0);
  CHECK(parse_threshold_expression("count==5").rhs == 5.0);
  // The first operator of the list that occurs anywhere splits at its first occurrence.
  CHECK_THAT(expression_error("count<5<6"), Catch::Contains("right hand side \"5<6\""));
  CHECK_THAT(expression_error("count < = 5"), Catch::Contains("right hand side \"= 5\""));
  CHECK_THAT(expression_error("count<=>5"), Catch::Contains("right hand side \">5\""));
  CHECK_THAT(expression_error("p(95)=<5"),
             Catch::Contains("unknown aggregation method \"p(95)=\""));
  CHECK_THAT(expression_error("count!==5"),
             Catch::Contains("unknown aggregation method \"count!\""));
  CHECK_THAT(expression_error("5>count"), Catch::Contains("unknown aggregation method \"5\""));
}

TEST_CASE("threshold expression: malformed input is a config error naming it", "[threshold]") {
  SECTION("full message shape") {
    CHECK(expression_error("p(95)<2s") ==
          "invalid threshold expression (right hand side \"2s\" is not a number; units are not "
          "accepted): \"p(95)<2s\" (expected aggregation operator number, e.g. p(99)<5000, "
          "rate<0.01 or count>=100; aggregations: count, rate, value, avg, min, max, med, p(N) "
          "with 0 <= N <= 100; operators: <, <=, >, >=, ==, ===, !=; the number has no unit "
          "(time in milliseconds, data in bytes))");
  }
  SECTION("every error names the expression and the accepted form") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"p(95)", "no comparison operator"},
        {"", "no comparison operator"},
        {"p(95)=2000", "no comparison operator"},
        {"p(95) = = 2000", "no comparison operator"},
        {"p(95) => 2000", "unknown aggregation method \"p(95) =\""},
        {"<2000", "missing aggregation method"},
        {"  <= 1", "missing aggregation method"},
        {"p95<2000", "unknown aggregation method \"p95\""},
        {"P(95)<2000", "unknown aggregation method \"P(95)\""},
        {"AVG<2000", "unknown aggregation method \"AVG\""},
        {"average<2000", "unknown aggregation method \"average\""},
        {"mean<2000", "unknown aggregation method \"mean\""},
        {"p<2000", "unknown aggregation method \"p\""},
        {"p (95)<2000", "unknown aggregation method \"p (95)\""},
        {"p(95<2000", "unknown aggregation method \"p(95\""},
        {"percentile(95)<2000", "unknown aggregation method \"percentile(95)\""},
        {"p( 95 )<2000", "malformed percentile value \" 95 \""},
        {"p(95 )<2000", "malformed percentile value \"95 \""},
        {"p()<2000", "malformed percentile value \"\""},
        {"p(abc)<2000", "malformed percentile value \"abc\""},
        {"p(95%)<2000", "malformed percentile value \"95%\""},
        {"p(95))<2000", "malformed percentile value \"95)\""},
        {"p(9__9)<2000", "malformed percentile value \"9__9\""},
        {"p(95)<", "right hand side \"\" is not a number"},
        {"p(95)<2s", "units are not accepted"},
        {"p(95)<2000ms", "units are not accepted"},
        {"data_sent<1kB", "unknown aggregation method \"data_sent\""},
        {"count<1kB", "units are not accepted"},
        {"p(95)<abc", "right hand side \"abc\" is not a number"},
        {"p(95)<2 000", "right hand side \"2 000\" is not a number"},
        {"p(95)<2,5", "right hand side \"2,5\" is not a number"},
        {"p(95)<1e", "right hand side \"1e\" is not a number"},
        {"p(95)<1e+", "right hand side \"1e+\" is not a number"},
        {"p(95)<.", "right hand side \".\" is not a number"},
        {"p(95)<-", "right hand side \"-\" is not a number"},
        {"p(95)<--1", "right hand side \"--1\" is not a number"},
        {"p(95)<0x10", "right hand side \"0x10\" is not a number"},
        {"p(95)<0x", "right hand side \"0x\" is not a number"},
        {"p(95)<1e400", "right hand side \"1e400\" is not a number"},
        {"p(95)<-1e400", "right hand side \"-1e400\" is not a number"},
        {"p(95)<+nan", "right hand side \"+nan\" is not a number"},
        {"p(95)<infin", "right hand side \"infin\" is not a number"},
        {"p(95)<_1", "right hand side \"_1\" is not a number"},
        {"p(95)<1_", "right hand side \"1_\" is not a number"},
        {"p(95)<1__0", "right hand side \"1__0\" is not a number"},
        {"p(95)<1._5", "right hand side \"1._5\" is not a number"},
        {"p(95)<1.2.3", "right hand side \"1.2.3\" is not a number"},
        {"p(95)<true", "right hand side \"true\" is not a number"},
    };
    for (const auto& [src, reason] : cases) {
      INFO(src);
      const std::string msg = expression_error(src);
      CHECK_THAT(msg, Catch::StartsWith("invalid threshold expression ("));
      CHECK_THAT(msg, Catch::Contains(reason));
      CHECK_THAT(msg, Catch::Contains("\"" + src + "\""));
      CHECK_THAT(msg, Catch::Contains("p(99)<5000"));
      CHECK_THAT(msg, Catch::Contains("rate<0.01"));
      CHECK_THAT(msg, Catch::Contains("count>=100"));
    }
  }
  SECTION("the config_error carries the expression as its value") {
    try {
      parse_threshold_expression("avg<5 s");
      FAIL("accepted");
    } catch (const config_error& e) {
      CHECK(e.value() == "avg<5 s");
      CHECK_THAT(e.accepted(), Catch::Contains("p(99)<5000"));
    }
  }
}

TEST_CASE("threshold expression: percentiles outside 0..100 are rejected", "[threshold]") {
  for (const char* src : {"p(150)<1", "p(100.001)<1", "p(-1)<1", "p(-0.5)<1", "p(1e3)<1",
                          "p(NaN)<1", "p(inf)<1", "p(-Inf)<1", "p(101)<1"}) {
    INFO(src);
    const std::string msg = expression_error(src);
    CHECK_THAT(msg, Catch::Contains("is outside 0..100"));
    CHECK_THAT(msg, Catch::Contains(std::string("\"") + src + "\""));
    CHECK_THAT(msg, Catch::Contains("p(N) with 0 <= N <= 100"));
  }
  CHECK_THAT(expression_error("p(150)<1"), Catch::Contains("percentile 150 is outside 0..100"));
  // Boundaries are in range.
  CHECK_NOTHROW(parse_threshold_expression("p(0)<1"));
  CHECK_NOTHROW(parse_threshold_expression("p(100)<1"));
  CHECK_NOTHROW(parse_threshold_expression("p(-0)<1"));
}

// ---------------------------------------------------------------------------------------
// Selectors

TEST_CASE("metric selector: plain metric names", "[threshold][selector]") {
  auto s = parse_selector("http_req_duration");
  CHECK(s.metric == "http_req_duration");
  CHECK(s.key == "http_req_duration");
  CHECK(s.tags.empty());
  CHECK_FALSE(s.is_submetric());
  // No trimming outside braces: such a name simply will not be found among the metrics.
  CHECK(parse_selector(" my metric ").metric == " my metric ");
}

TEST_CASE("metric selector: submetrics with one and several tags", "[threshold][selector]") {
  auto s = parse_selector("http_req_duration{status:200}");
  CHECK(s.metric == "http_req_duration");
  CHECK(s.key == "http_req_duration{status:200}");
  CHECK(s.is_submetric());
  CHECK(s.tags == pacer::metrics::tag_set{{"status", "200"}});

  s = parse_selector("http_req_duration{scenario:bulk_renewal,method:GET,status:200}");
  CHECK(s.metric == "http_req_duration");
  CHECK(s.key == "http_req_duration{scenario:bulk_renewal,method:GET,status:200}");
  CHECK(s.tags == pacer::metrics::tag_set{
                      {"scenario", "bulk_renewal"}, {"method", "GET"}, {"status", "200"}});
}

TEST_CASE("metric selector: whitespace and quotes", "[threshold][selector]") {
  auto s = parse_selector("http_req_duration{ status : 200 ,\tmethod:GET }");
  CHECK(s.metric == "http_req_duration");
  // Only the whitespace just inside the braces leaves the name.
  CHECK(s.key == "http_req_duration{status : 200 ,\tmethod:GET}");
  CHECK(s.tags == pacer::metrics::tag_set{{"status", "200"}, {"method", "GET"}});

  s = parse_selector("checks{check:\"status is 200\"}");
  CHECK(s.tags == pacer::metrics::tag_set{{"check", "status is 200"}});
  CHECK(s.key == "checks{check:\"status is 200\"}");

  s = parse_selector("checks{'check':'status is 200'}");
  CHECK(s.tags == pacer::metrics::tag_set{{"check", "status is 200"}});

  // Whitespace is trimmed before quotes, so spaces inside quotes stay.
  s = parse_selector("m{k:\" padded \"}");
  CHECK(s.tags == pacer::metrics::tag_set{{"k", " padded "}});
  // Any run of either quote character goes.
  s = parse_selector("m{k:\"'mixed\"'}");
  CHECK(s.tags == pacer::metrics::tag_set{{"k", "mixed"}});

  // Values may contain spaces, colons and comparison-looking text, all literal.
  s = parse_selector("checks{step:My Orders API}");
  CHECK(s.tags == pacer::metrics::tag_set{{"step", "My Orders API"}});
  s = parse_selector("http_req_duration{url:http://example.com:8080/x}");
  CHECK(s.tags == pacer::metrics::tag_set{{"url", "http://example.com:8080/x"}});
  s = parse_selector("http_reqs{status:>=500}");
  CHECK(s.tags == pacer::metrics::tag_set{{"status", ">=500"}});
  s = parse_selector("m{a:{b}}");
  CHECK(s.metric == "m");
  CHECK(s.tags == pacer::metrics::tag_set{{"a", "{b}"}});

  // Unicode whitespace is trimmed like ASCII whitespace.
  s = parse_selector("m{\xC2\xA0k\xC2\xA0:\xE2\x80\x80v\xE3\x80\x80}");
  CHECK(s.tags == pacer::metrics::tag_set{{"k", "v"}});
  CHECK(s.key == "m{k\xC2\xA0:\xE2\x80\x80v}");

  // A repeated tag key keeps the last value.
  s = parse_selector("m{a:1,a:2}");
  CHECK(s.tags == pacer::metrics::tag_set{{"a", "2"}});

  // k6 only requires the raw value to be non-empty, so whitespace becomes an empty value.
  s = parse_selector("m{a: }");
  CHECK(s.tags == pacer::metrics::tag_set{{"a", ""}});
}

TEST_CASE("metric selector: malformed keys are config errors", "[threshold][selector]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http_req_duration{status:200", "unmatched opening/closing curly brace"},
      {"http_req_duration status:200}", "unmatched opening/closing curly brace"},
      {"http_req_duration}status:200{", "closing curly brace appears before the opening one"},
      {"http_req_duration{status:200}x", "the closing curly brace must be the last character"},
      {"http_req_duration{status:200} ", "the closing curly brace must be the last character"},
      {"http_req_duration{}", "tag expression \"\" is malformed"},
      {"http_req_duration{ }", "tag expression \" \" is malformed"},
      {"http_req_duration{status}", "tag expression \"status\" is malformed"},
      {"http_req_duration{status:}", "tag expression \"status:\" is malformed"},
      {"http_req_duration{status:200,}", "tag expression \"\" is malformed"},
      {"http_req_duration{,status:200}", "tag expression \"\" is malformed"},
      {"http_req_duration{status:200,,method:GET}", "tag expression \"\" is malformed"},
      {"http_req_duration{status=200}", "tag expression \"status=200\" is malformed"},
      {"{status:200}", "the metric name is empty"},
      {"", "the metric name is empty"},
  };
  for (const auto& [key, reason] : cases) {
    INFO(key);
    const std::string msg = selector_error(key);
    CHECK_THAT(msg, Catch::StartsWith("invalid threshold metric (parsing metric name failed: "));
    CHECK_THAT(msg, Catch::Contains(reason));
    CHECK_THAT(msg, Catch::Contains("\"" + key + "\""));
    CHECK_THAT(msg, Catch::EndsWith("(expected metric_name or metric_name{tag:value,...})"));
  }
}

// ---------------------------------------------------------------------------------------
// Aggregation methods per metric type

TEST_CASE("validate_for: k6's aggregation table", "[threshold]") {
  struct row {
    const char* src;
    bool counter, gauge, rate, trend;
  };
  const std::vector<row> table = {
      {"count>0", true, false, false, false}, {"rate>0", true, false, true, false},
      {"value>0", false, true, false, false}, {"avg>0", false, false, false, true},
      {"min>0", false, false, false, true},   {"max>0", false, false, false, true},
      {"med>0", false, false, false, true},   {"p(95)>0", false, false, false, true},
  };
  for (const auto& r : table) {
    const auto e = parse_threshold_expression(r.src);
    const std::pair<metric_type, bool> types[] = {{metric_type::counter, r.counter},
                                                  {metric_type::gauge, r.gauge},
                                                  {metric_type::rate, r.rate},
                                                  {metric_type::trend, r.trend}};
    for (const auto& [t, ok] : types) {
      INFO(r.src << " on " << pacer::metrics::to_string(t));
      if (ok)
        CHECK_NOTHROW(pacer::validate_for(e, t, "m"));
      else
        CHECK_THROWS_AS(pacer::validate_for(e, t, "m"), config_error);
    }
  }
}

TEST_CASE("validate_for: the message names the threshold, metric and supported methods",
          "[threshold]") {
  auto msg = error_of([] {
    pacer::validate_for(parse_threshold_expression("p(95) < 200"), metric_type::counter,
                        "http_reqs{status:200}");
  });
  CHECK(msg ==
        "invalid threshold on metric http_reqs{status:200} (unsupported aggregation method "
        "p(95) on metric of type counter): \"p(95) < 200\" (expected one of the supported "
        "aggregation methods for this metric: count, rate)");

  msg = error_of([] {
    pacer::validate_for(parse_threshold_expression("count>0"), metric_type::rate, "checks");
  });
  CHECK_THAT(msg, Catch::Contains("unsupported aggregation method count on metric of type rate"));
  CHECK_THAT(msg, Catch::Contains("for this metric: rate)"));

  msg = error_of(
      [] { pacer::validate_for(parse_threshold_expression("avg<1"), metric_type::gauge, "vus"); });
  CHECK_THAT(msg, Catch::Contains("metric of type gauge"));
  CHECK_THAT(msg, Catch::Contains("for this metric: value)"));

  msg = error_of([] {
    pacer::validate_for(parse_threshold_expression("rate<1"), metric_type::trend,
                        "http_req_duration");
  });
  CHECK_THAT(msg, Catch::Contains("metric of type trend"));
  CHECK_THAT(msg, Catch::Contains("for this metric: avg, min, max, med, p(N))"));
}

// ---------------------------------------------------------------------------------------
// Evaluation

TEST_CASE("evaluation: counter count and rate", "[threshold][eval]") {
  sink s;
  s.add_counter(3);
  s.add_counter(2);
  CHECK(aggregate_of("count>0", metric_type::counter, value_kind::plain, s) == 5.0);
  CHECK(aggregate_of("rate>0", metric_type::counter, value_kind::plain, s, 10) == 0.5);
  CHECK(aggregate_of("rate>0", metric_type::counter, value_kind::plain, s, 2.5) == 2.0);
  CHECK(passes("count>=5", metric_type::counter, value_kind::plain, s));
  CHECK_FALSE(passes("count>5", metric_type::counter, value_kind::plain, s));
  CHECK(passes("rate<1", metric_type::counter, value_kind::plain, s));
  CHECK(passes("rate==0.5", metric_type::counter, value_kind::plain, s));
  // Data counters compare bytes.
  sink bytes;
  bytes.add_counter(1'000'000);
  CHECK(passes("count<=1000000", metric_type::counter, value_kind::data, bytes));
  CHECK(passes("rate==100000", metric_type::counter, value_kind::data, bytes));
  // Go's float division: nothing elapsed yet gives Inf.
  CHECK(std::isinf(aggregate_of("rate>0", metric_type::counter, value_kind::plain, s, 0)));
}

TEST_CASE("evaluation: gauge value is the last sample", "[threshold][eval]") {
  sink s;
  s.add_gauge(5);
  s.add_gauge(9);
  s.add_gauge(2);
  CHECK(aggregate_of("value>0", metric_type::gauge, value_kind::plain, s) == 2.0);
  CHECK(passes("value==2", metric_type::gauge, value_kind::plain, s));
  CHECK(passes("value<3", metric_type::gauge, value_kind::plain, s));
  CHECK_FALSE(passes("value>2", metric_type::gauge, value_kind::plain, s));
  sink negative;
  negative.add_gauge(-4);
  CHECK(passes("value>-5", metric_type::gauge, value_kind::plain, negative));
  CHECK(passes("value===-4", metric_type::gauge, value_kind::plain, negative));
}

TEST_CASE("evaluation: rate is non-zero samples over all samples", "[threshold][eval]") {
  sink s;
  s.add_rate(true);
  s.add_rate(true);
  s.add_rate(false);
  s.add_rate(true);
  CHECK(aggregate_of("rate>0", metric_type::rate, value_kind::plain, s) == 0.75);
  CHECK(passes("rate>=0.75", metric_type::rate, value_kind::plain, s));
  CHECK_FALSE(passes("rate>0.75", metric_type::rate, value_kind::plain, s));
  CHECK(passes("rate<0.76", metric_type::rate, value_kind::plain, s));
  CHECK_FALSE(passes("rate<0.01", metric_type::rate, value_kind::plain, s));
}

TEST_CASE("evaluation: every operator at, below and above the boundary", "[threshold][eval]") {
  sink s;
  s.add_gauge(5);
  struct row {
    const char* op;
    bool below, at, above;  // results for values 4, 5 and 6 on the right
  };
  const row rows[] = {{"<", false, false, true},  {"<=", false, true, true},
                      {">", true, false, false},  {">=", true, true, false},
                      {"==", false, true, false}, {"===", false, true, false},
                      {"!=", true, false, true}};
  for (const auto& r : rows) {
    INFO(r.op);
    CHECK(passes(std::string("value") + r.op + "4", metric_type::gauge, value_kind::plain, s) ==
          r.below);
    CHECK(passes(std::string("value") + r.op + "5", metric_type::gauge, value_kind::plain, s) ==
          r.at);
    CHECK(passes(std::string("value") + r.op + "6", metric_type::gauge, value_kind::plain, s) ==
          r.above);
  }
  // NaN compares like in Go: only != holds.
  CHECK_FALSE(passes("value==NaN", metric_type::gauge, value_kind::plain, s));
  CHECK_FALSE(passes("value<NaN", metric_type::gauge, value_kind::plain, s));
  CHECK(passes("value!=NaN", metric_type::gauge, value_kind::plain, s));
  CHECK(passes("value<Inf", metric_type::gauge, value_kind::plain, s));
}

TEST_CASE("evaluation: plain trends compare the values recorded", "[threshold][eval]") {
  sink s;
  // Plain trends keep thousandths, as the recorder stores them.
  for (double v : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    s.add_trend(pacer::metrics::to_trend_units(v, value_kind::plain));
  auto val = [&](const char* src) {
    return aggregate_of(src, metric_type::trend, value_kind::plain, s);
  };
  CHECK(val("min>0") == 1.0);
  CHECK(val("max>0") == 10.0);
  CHECK(val("avg>0") == 5.5);
  CHECK(val("med>0") == Approx(5.5).epsilon(0.001));
  CHECK(val("p(50)>0") == Approx(5.5).epsilon(0.001));
  CHECK(val("p(0)>0") == 1.0);
  CHECK(val("p(100)>0") == 10.0);
  CHECK(val("p(90)>0") ==
        Approx(9.1).epsilon(
            0.001));  // histogram: within 0.1 %  // i = 0.9 * 9 = 8.1 -> 9 + 0.1 * (10 - 9)
  CHECK(val("p(99.9)>0") == Approx(9.991).epsilon(0.001));
  CHECK(passes("p(90)<9.2", metric_type::trend, value_kind::plain, s));
  CHECK_FALSE(passes("p(90)<9", metric_type::trend, value_kind::plain, s));
  CHECK(passes("med>5.49", metric_type::trend, value_kind::plain, s));
  CHECK(passes("med<5.51", metric_type::trend, value_kind::plain, s));
  CHECK(passes("avg>=5.5", metric_type::trend, value_kind::plain, s));
  // Data trends compare bytes, like plain ones.
  CHECK(aggregate_of("max>0", metric_type::trend, value_kind::data, s) == 10.0);
}

TEST_CASE("evaluation: time trends compare milliseconds", "[threshold][eval]") {
  sink s;
  s.add_trend(100'000'000);  // 100 ms in ns
  s.add_trend(200'000'000);
  s.add_trend(300'000'000);
  s.add_trend(400'000'000);
  auto val = [&](const char* src) {
    return aggregate_of(src, metric_type::trend, value_kind::time, s);
  };
  CHECK(val("min>0") == 100.0);
  CHECK(val("max>0") == 400.0);
  CHECK(val("avg>0") == 250.0);
  CHECK(val("p(0)>0") == 100.0);
  CHECK(val("p(100)>0") == 400.0);
  // Interior ranks come from the histogram, within its 0.1 % bound.
  CHECK(val("med>0") == Approx(250.0).epsilon(1e-3));
  CHECK(val("p(90)>0") == Approx(370.0).epsilon(1e-3));
  CHECK(passes("p(95)<500", metric_type::trend, value_kind::time, s));
  CHECK_FALSE(passes("p(95)<300", metric_type::trend, value_kind::time, s));
  CHECK(passes("avg<=250", metric_type::trend, value_kind::time, s));
  CHECK(passes("max==400", metric_type::trend, value_kind::time, s));
  // Sub-millisecond values keep their fraction.
  sink fine;
  fine.add_trend(1'500'000);
  CHECK(aggregate_of("avg>0", metric_type::trend, value_kind::time, fine) == 1.5);
  fine.add_trend(1'234);
  CHECK(aggregate_of("min>0", metric_type::trend, value_kind::time, fine) == 0.001234);
}

TEST_CASE("evaluation: metrics without samples", "[threshold][eval]") {
  const sink empty;
  SECTION("trend: every aggregate is 0") {
    for (const char* src :
         {"min==0", "max==0", "avg==0", "med==0", "p(95)==0", "p(0)==0", "p(100)==0", "p(95)<2000"})
      CHECK(passes(src, metric_type::trend, value_kind::time, empty));
    CHECK_FALSE(passes("avg>0", metric_type::trend, value_kind::time, empty));
    CHECK_FALSE(passes("p(99)>0", metric_type::trend, value_kind::plain, empty));
  }
  SECTION("counter: count and rate are 0") {
    CHECK(passes("count==0", metric_type::counter, value_kind::plain, empty));
    CHECK(passes("rate==0", metric_type::counter, value_kind::plain, empty));
    CHECK_FALSE(passes("count>0", metric_type::counter, value_kind::plain, empty));
    CHECK_FALSE(passes("rate>0", metric_type::counter, value_kind::plain, empty));
  }
  SECTION("gauge: value is 0") {
    CHECK(passes("value==0", metric_type::gauge, value_kind::plain, empty));
    CHECK_FALSE(passes("value>0", metric_type::gauge, value_kind::plain, empty));
  }
  SECTION("rate: no value, so the threshold passes whatever the operator") {
    CHECK(std::isnan(aggregate_of("rate>0", metric_type::rate, value_kind::plain, empty)));
    for (const char* src :
         {"rate>0.99", "rate<0", "rate==0.5", "rate===1", "rate!=0", "rate<=-1", "rate>=2"})
      CHECK(passes(src, metric_type::rate, value_kind::plain, empty));
  }
}

TEST_CASE("evaluation: an aggregation the type lacks is a config error", "[threshold][eval]") {
  const sink s;
  CHECK_THROWS_AS(aggregate_of("p(95)<1", metric_type::counter, value_kind::plain, s),
                  config_error);
  CHECK_THROWS_AS(passes("count<1", metric_type::rate, value_kind::plain, s), config_error);
  CHECK_THROWS_AS(passes("value<1", metric_type::trend, value_kind::time, s), config_error);
}

// ---------------------------------------------------------------------------------------
// Object form

TEST_CASE("threshold: string, typed and abortOnFail forms", "[threshold]") {
  using pacer::abort_on_fail;
  using pacer::threshold;

  threshold plain = "p(95)<200";
  CHECK(plain.expr.source == "p(95)<200");
  CHECK_FALSE(plain.abort_on_fail);
  CHECK(plain.delay_abort_eval == 0ns);

  const std::vector<threshold> list = {
      "p(95)<200",
      std::string("rate<0.01"),
      pacer::p(99) < 1s,
      abort_on_fail("rate<0.01"),
      abort_on_fail("p(99)<5000", 10s),
      abort_on_fail(pacer::avg() < 300ms, 1min),
      abort_on_fail("count>0", "1m30s"),
  };
  CHECK(list[1].expr.source == "rate<0.01");
  CHECK(list[2].expr.source == "p(99)<1000");
  CHECK_FALSE(list[2].abort_on_fail);
  CHECK(list[3].abort_on_fail);
  CHECK(list[3].delay_abort_eval == 0ns);
  CHECK(list[4].abort_on_fail);
  CHECK(list[4].delay_abort_eval == 10s);
  CHECK(list[5].expr.source == "avg<300");
  CHECK(list[5].delay_abort_eval == 60s);
  CHECK(list[6].delay_abort_eval == 90s);

  CHECK_THROWS_AS(threshold("p(95)<2s"), config_error);
  CHECK_THROWS_AS(abort_on_fail("rate<"), config_error);
  CHECK_THAT(error_of([] { abort_on_fail("rate<0.01", "ten seconds"); }),
             Catch::Contains("invalid delayAbortEval: \"ten seconds\""));
  CHECK_THAT(error_of([] { abort_on_fail("rate<0.01", -1s); }),
             Catch::Contains("invalid delayAbortEval: \"-1s\""));
}

TEST_CASE("threshold: when a failing abortOnFail threshold stops the test", "[threshold]") {
  using pacer::threshold_aborts_test;
  const pacer::threshold no_abort = "rate<0.01";
  CHECK_FALSE(threshold_aborts_test(no_abort, 1h));
  const auto now = pacer::abort_on_fail("rate<0.01");
  CHECK(threshold_aborts_test(now, 0ns));
  CHECK(threshold_aborts_test(now, 2s));
  const auto delayed = pacer::abort_on_fail("rate<0.01", 10s);
  CHECK_FALSE(threshold_aborts_test(delayed, 2s));
  CHECK_FALSE(threshold_aborts_test(delayed, 10s));  // k6 needs strictly longer
  CHECK(threshold_aborts_test(delayed, 10s + 1ns));
}

// ---------------------------------------------------------------------------------------
// Typed form

TEST_CASE("typed form: canonical k6 text", "[threshold][typed]") {
  using namespace pacer;
  CHECK((p(99) < std::chrono::seconds(5)).source == "p(99)<5000");
  CHECK((p(95) < 2000.0).source == "p(95)<2000");
  CHECK((rate() < 0.01).source == "rate<0.01");
  CHECK((avg() <= 200ms).source == "avg<=200");
  CHECK((count() > 10).source == "count>10");
  CHECK((med() >= 1.5).source == "med>=1.5");
  CHECK((pacer::min() == 0).source == "min==0");
  CHECK((pacer::max() != 3).source == "max!=3");
  CHECK((value() > -2).source == "value>-2");
  CHECK((p(99.9) < 1500us).source == "p(99.9)<1.5");
  CHECK((p(0) < 1ns).source == "p(0)<0.000001");
  CHECK((p(100) < 2min).source == "p(100)<120000");
  CHECK((count() >= 100u).source == "count>=100");
  CHECK((count() < 1e21).source == "count<1e+21");
  CHECK((count() < 1.5e300).source == "count<1.5e+300");
  CHECK((rate() > 1e-7).source == "rate>1e-7");
  CHECK((rate() > 0.000001).source == "rate>0.000001");
  CHECK((count() < 123456789012.0).source == "count<123456789012");
  CHECK((value() < std::numeric_limits<double>::infinity()).source == "value<Infinity");
  CHECK((value() > -std::numeric_limits<double>::infinity()).source == "value>-Infinity");
  CHECK((value() != std::numeric_limits<double>::quiet_NaN()).source == "value!=NaN");
  CHECK((value() > -0.0).source == "value>0");
}

TEST_CASE("typed form: same expression as parsing its text", "[threshold][typed]") {
  using namespace pacer;
  const std::vector<threshold_expression> typed = {
      p(99) < 5s,   p(95) < 2000.0, rate() < 0.01,     avg() <= 200ms,
      count() > 10, med() >= 0.1,   pacer::min() == 1, pacer::max() != 2,
      value() > -2, p(99.9) < 0.3,  p(12.345) < 1e6,   rate() > 1.0 / 3.0};
  for (const auto& e : typed) {
    INFO(e.source);
    CHECK(e == parse_threshold_expression(e.source));
  }
  const auto e = p(99.9) < 1500us;
  CHECK(e.agg == agg::percentile);
  CHECK(e.percentile == 99.9);
  CHECK(e.op == cmp::lt);
  CHECK(e.rhs == 1.5);
  CHECK((avg() < 200ms).rhs == 200.0);
  CHECK((rate() > 1.0 / 3.0).rhs == 1.0 / 3.0);
}

TEST_CASE("typed form: out-of-range percentiles are rejected", "[threshold][typed]") {
  CHECK_THAT(error_of([] { (void)pacer::p(150); }),
             Catch::Contains("invalid threshold percentile: \"p(150)\" (expected p(N) with 0 <= "
                             "N <= 100)"));
  CHECK_THROWS_AS(pacer::p(-1), config_error);
  CHECK_THROWS_AS(pacer::p(100.0001), config_error);
  CHECK_THROWS_AS(pacer::p(std::numeric_limits<double>::quiet_NaN()), config_error);
  CHECK_NOTHROW(pacer::p(0));
  CHECK_NOTHROW(pacer::p(100));
}

TEST_CASE("typed form: evaluates like the string form", "[threshold][typed]") {
  using namespace pacer;
  sink s;
  s.add_trend(100'000'000);
  s.add_trend(300'000'000);
  CHECK(threshold_passes(max() <= 300ms, metric_type::trend, value_kind::time, s, 1));
  CHECK_FALSE(threshold_passes(max() < 0.3s, metric_type::trend, value_kind::time, s, 1));
  CHECK(threshold_passes(avg() == 200, metric_type::trend, value_kind::time, s, 1));
  validate_for(p(95) < 1s, metric_type::trend, "http_req_duration");
  CHECK_THROWS_AS(validate_for(p(95) < 1s, metric_type::rate, "checks"), config_error);
}

TEST_CASE("typed form: names coexist with <algorithm>", "[threshold][typed]") {
  using namespace pacer;
  CHECK(std::min(1, 2) == 1);
  CHECK(std::max(1, 2) == 2);
  const std::vector<int> v = {1, 2, 2};
  CHECK(std::count(v.begin(), v.end(), 2) == 2);
  {
    using namespace std;
    CHECK(min(3, 4) == 3);
    CHECK(max(3, 4) == 4);
    CHECK(count(v.begin(), v.end(), 1) == 1);
    CHECK((min() < 5).source == "min<5");
    CHECK((max() < 5).source == "max<5");
    CHECK((count() < 5).source == "count<5");
  }
  CHECK((min() > 1).source == "min>1");
}
