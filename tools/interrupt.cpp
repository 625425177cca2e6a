#include "tools/interrupt.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace tether::cli {
namespace {

std::atomic<bool> g_interrupted{false};

}  // namespace

void install_interrupt_handler() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
        for (int count = 0;; ++count) {
            int signal = 0;
            if (::sigwait(&set, &signal) != 0) {
                continue;
            }
            if (count > 0) {
                static const char again[] = "\ntether: stopped at once\n";
                [[maybe_unused]] ssize_t ignored = ::write(2, again, sizeof again - 1);
                _exit(130);
            }
            static const char first[] =
                "\ntether: interrupted: stopping every target (again to quit at once)\n";
            [[maybe_unused]] ssize_t ignored = ::write(2, first, sizeof first - 1);
            g_interrupted = true;
        }
    }).detach();
}

bool interrupted() {
    return g_interrupted.load();
}

}  // namespace tether::cli
