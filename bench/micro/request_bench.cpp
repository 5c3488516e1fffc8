// Request serialisation: a template's bytes are built once, and again for every redirect hop;
// this is the serialiser both use.
#include <pacer/http/request.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

// The flagship's request: a JSON POST with a bearer token.
pacer::http::request flagship() {
  return pacer::http::post("https://127.0.0.1:8443/api/v1/certificates/bulk-renew")
      .json({{"team_id", "t-platform"}, {"issuer_id", "iss-local"}})
      .bearer(pacer::secret("load-test-token"));
}

void serialise(benchmark::State& state, const pacer::http::request& req) {
  std::string out;
  // A 307 hop to the request's own URL keeps method, body and credentials: wire()'s bytes.
  req.redirect_wire(req.target(), 307, out);
  if (out != req.wire()) {
    state.SkipWithError("redirect_wire differs from wire()");
    return;
  }
  for (auto _ : state) {
    req.redirect_wire(req.target(), 307, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void request_serialise_post_json(benchmark::State& state) {
  serialise(state, flagship());
}
BENCHMARK(request_serialise_post_json);

void request_serialise_get(benchmark::State& state) {
  serialise(state, pacer::http::get("http://127.0.0.1:8080/"));
}
BENCHMARK(request_serialise_get);

// What an iteration pays for the template: the cached bytes.
void request_wire_cached(benchmark::State& state) {
  const auto req = flagship();
  for (auto _ : state)
    benchmark::DoNotOptimize(req.wire().data());
}
BENCHMARK(request_wire_cached);

}  // namespace
