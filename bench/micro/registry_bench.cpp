// Tag lookup and series resolution: a response's tag set is resolved to series ids once per
// new combination (status, error, TLS version), then every sample is recorded by id.
#include <pacer/scenario/run.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

// The flagship's registry: every built-in plus the submetrics its thresholds declare.
pacer::metrics::registry flagship_registry() {
  auto reg = pacer::detail::builtin_registry();
  reg.submetric("http_req_duration", {{"scenario", "bulk_renewal"}},
                "http_req_duration{scenario:bulk_renewal}");
  reg.submetric("http_req_failed", {{"scenario", "bulk_renewal"}},
                "http_req_failed{scenario:bulk_renewal}");
  return reg;
}

// The tags of one of its responses, as the engine builds them.
pacer::metrics::tag_set response_tags() {
  pacer::metrics::tag_set t;
  t.set("scenario", "bulk_renewal");
  t.set("group", "");
  t.set("method", "POST");
  t.set("url", "https://127.0.0.1:8443/api/v1/certificates/bulk-renew");
  t.set("name", "https://127.0.0.1:8443/api/v1/certificates/bulk-renew");
  t.set("status", "200");
  t.set("expected_response", "true");
  t.set("proto", "HTTP/1.1");
  t.set("tls_version", "tls1.3");
  return t;
}

void tag_set_find(benchmark::State& state) {
  const auto tags = response_tags();
  for (auto _ : state)
    benchmark::DoNotOptimize(tags.find("status"));
}
BENCHMARK(tag_set_find);

void registry_resolve(benchmark::State& state) {
  const auto reg = flagship_registry();
  const auto tags = response_tags();
  for (auto _ : state)
    benchmark::DoNotOptimize(reg.resolve("http_req_duration", tags));
}
BENCHMARK(registry_resolve);

// What a new combination of response tags costs: the tag set built, the nine HTTP metrics
// resolved.
void registry_resolve_response(benchmark::State& state) {
  using namespace pacer::metrics::builtin;
  const auto reg = flagship_registry();
  const auto base = response_tags();
  for (auto _ : state) {
    pacer::metrics::tag_set t = base;
    t.set("status", "503");
    t.set("expected_response", "false");
    t.set("error_code", "1503");
    for (auto metric : {http_reqs, http_req_duration, http_req_blocked, http_req_connecting,
                        http_req_tls_handshaking, http_req_sending, http_req_waiting,
                        http_req_receiving, http_req_failed})
      benchmark::DoNotOptimize(reg.resolve(metric, t));
  }
}
BENCHMARK(registry_resolve_response);

// What every response costs once its series are known: one counter, seven trends and one rate
// recorded into the shard's store.
void store_record_response(benchmark::State& state) {
  using namespace pacer::metrics::builtin;
  const auto reg = flagship_registry();
  const auto tags = response_tags();
  pacer::metrics::store store(reg.size());
  const auto reqs = reg.resolve(http_reqs, tags);
  const auto duration = reg.resolve(http_req_duration, tags);
  const auto blocked = reg.resolve(http_req_blocked, tags);
  const auto connecting = reg.resolve(http_req_connecting, tags);
  const auto tls = reg.resolve(http_req_tls_handshaking, tags);
  const auto sending = reg.resolve(http_req_sending, tags);
  const auto waiting = reg.resolve(http_req_waiting, tags);
  const auto receiving = reg.resolve(http_req_receiving, tags);
  const auto failed = reg.resolve(http_req_failed, tags);
  std::uint64_t ns = 350'000;
  for (auto _ : state) {
    store.add_counter(reqs, 1);
    store.add_trend(duration, ns);
    store.add_trend(blocked, 0);
    store.add_trend(connecting, 0);
    store.add_trend(tls, 0);
    store.add_trend(sending, ns / 50);
    store.add_trend(waiting, ns - ns / 25);
    store.add_trend(receiving, ns / 50);
    store.add_rate(failed, false);
    ns = ns >= 2'000'000 ? 350'000 : ns + 1'013;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(store_record_response);

}  // namespace
