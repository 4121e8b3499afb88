#include "khsweep/runner/signals.hpp"

#include <csignal>
#include <initializer_list>

namespace khsweep::runner {

namespace {
volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_requests = 0;

extern "C" void on_stop_signal(int signal) {
  g_signal = signal;
  g_requests = g_requests + 1;
}
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaction(s, &action, nullptr);
}

int stop_signal() { return g_signal; }
int stop_requests() { return g_requests; }

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace khsweep::runner
