#pragma once
// SIGTERM, SIGINT and SIGUSR1 ask a sweep to stop handing out work, checkpoint what runs, commit
// and exit with kExitInterrupted. The handlers only set a flag; the loops poll it between
// minibatches (every 20 ms) and between epochs. Ctrl-C or SIGTERM to Open MPI's mpirun reaches the
// ranks as SIGTERM one second later, and SIGKILL follows a second after that (docs/store.md).
namespace khsweep::runner {

void install_stop_handlers();
// The signal that asked for a stop (0 when none) and how many stop signals arrived.
[[nodiscard]] int stop_signal();
[[nodiscard]] int stop_requests();
// "SIGTERM", "SIGINT", "SIGUSR1".
[[nodiscard]] const char* signal_name(int signal);

}  // namespace khsweep::runner
