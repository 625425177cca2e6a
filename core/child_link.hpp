// The router's view of a child it started itself (a Connection, in parent/):
// enough to shut it down without core knowing how it was started. Internal.
#pragma once

#include <cstdint>

namespace tether::detail {

class ChildLink {
  public:
    virtual ~ChildLink() = default;
    // Broker thread. Graceful: SHUTDOWN, then SIGTERM, then SIGKILL, each
    // after a bounded wait. The router hears context_gone() when it is reaped.
    virtual void begin_shutdown() = 0;
    // Broker thread. At once: close the stream and kill the process.
    virtual void abort() = 0;
    // Broker thread, last resort when shutdown ran out of time: kill and
    // reap the process now, and let go of everything.
    virtual void release() = 0;
};

}  // namespace tether::detail
