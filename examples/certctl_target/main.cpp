// certctl-target: the reference target of the bulk-renewal load test (see --help).
//
//   certctl-target [--port 8443] [--db certctl-target.db] [--seed 10000] [--plain-http]
#include "certctl_target/cli.hpp"
#include "certctl_target/server.hpp"

#include <signal.h>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  using namespace certctl_target;
  command_line cl;
  try {
    cl = parse_command_line(argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "certctl-target: " << e.what() << "\n";
    return 2;
  }
  if (cl.help) {
    std::cout << usage_text;
    return 0;
  }

  // Blocked before any thread starts, so every thread inherits the mask and the signals wait
  // for sigwait below instead of interrupting a worker.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    server s(cl.cfg);
    const auto& seed = s.seeded();
    if (seed.seeded)
      std::cerr << "seeded " << cl.cfg.db.string() << " with " << seed.bulk_certificates
                << " bulk-renewal certificates and " << seed.other_certificates << " others\n";
    else
      std::cerr << "using the existing database " << cl.cfg.db.string() << " (not seeded)\n";
    if (s.created_certificate())
      std::cerr << "created the self-signed certificate " << s.cert_file().string() << "\n";
    std::cout << "listening on " << s.url() << std::endl;

    int received = 0;
    sigwait(&stop_signals, &received);
    std::cerr << "stopping (" << (received == SIGINT ? "SIGINT" : "SIGTERM") << ")\n";
    s.stop();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "certctl-target: " << e.what() << "\n";
    return 1;
  }
}
