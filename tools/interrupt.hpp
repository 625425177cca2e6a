// Ctrl-C, SIGTERM and SIGHUP for the tool. Blocked in every thread and taken
// by one thread of their own, so a signal never lands on the broker thread.
// The first asks every target to stop (remote commands killed, contexts shut
// down); a second one ends the process at once (children die with it).
#pragma once

namespace tether::cli {

// Blocks the signals and starts the thread that takes them. Call before any
// other thread exists.
void install_interrupt_handler();
// True once a stop signal arrived. Any thread.
bool interrupted();

}  // namespace tether::cli
