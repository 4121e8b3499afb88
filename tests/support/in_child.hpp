#pragma once
// Test helper: a call that might block forever (reading a FIFO, say) run in a forked child that an
// alarm ends, so a test of "refused at once" fails quickly instead of hanging when the code is wrong.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <exception>
#include <string>

#include "khsweep/core/error.hpp"

namespace khsweep::testing {

// The message of the khsweep::Error `call` throws, run in a child process that is killed after
// `seconds`; fails the test (and returns "") if the child hangs, throws nothing or something else.
template <class F>
std::string error_in_child(F&& call, unsigned seconds = 5) {
  int pipe_ends[2];
  BOOST_REQUIRE(::pipe(pipe_ends) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {  // only async-signal-safe exits from here: no Boost.Test, no atexit handlers
    ::close(pipe_ends[0]);
    // The alarm must kill the child: Boost.Test may have installed a handler of its own.
    ::signal(SIGALRM, SIG_DFL);
    sigset_t alarm_only;
    sigemptyset(&alarm_only);
    sigaddset(&alarm_only, SIGALRM);
    ::sigprocmask(SIG_UNBLOCK, &alarm_only, nullptr);
    ::alarm(seconds);
    std::string message = "!nothing was thrown";
    int code = 1;
    try {
      call();
    } catch (const khsweep::Error& e) {
      message = e.what();
      code = 0;
    } catch (const std::exception& e) {
      message = std::string("!another exception: ") + e.what();
    }
    for (std::size_t done = 0; done < message.size();) {
      const ssize_t n = ::write(pipe_ends[1], message.data() + done, message.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(code);
  }
  ::close(pipe_ends[1]);
  std::string message;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_ends[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0) break;
    message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_ends[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) {
    BOOST_ERROR("the call did not return within " << seconds << " s (signal " << WTERMSIG(status) << "): it blocked");
    return "";
  }
  if (WEXITSTATUS(status) != 0) {
    BOOST_ERROR("expected khsweep::Error: " << message.substr(1));
    return "";
  }
  return message;
}

}  // namespace khsweep::testing
