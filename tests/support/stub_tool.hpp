// A stand-in for a container tool that cannot run here (docker without a
// daemon, kubectl without a cluster, lxc without LXD), as Mitogen's tests
// do: tests/support/stubs/<tool>, a script that checks the exact argv it
// gets (exit 99 and what differed on stderr otherwise), answers for a
// missing container or pod in the tool's own words, and otherwise runs the
// command it was asked to run in a chroot with a container's bare
// environment. Its expectations are files beside the link that starts it.
// Resource: owns that directory.
#pragma once

#include <string>
#include <vector>

namespace tt {

class StubTool {
  public:
    // `tool`: "docker", "kubectl", "lxc". `root`: the chroot the command
    // runs in. `existing`: the containers or pods that exist.
    StubTool(const std::string& tool, const std::string& root, std::vector<std::string> existing);
    ~StubTool();
    StubTool(const StubTool&) = delete;
    StubTool& operator=(const StubTool&) = delete;

    // The next run must have exactly `argv` (after argv[0]) before
    // `/bin/sh -c ...`, and names `target` (looked up in `existing`).
    void expect(const std::vector<std::string>& argv, const std::string& target);

    // The *_path option: <dir>/<tool>, a link to the stub.
    const std::string& path() const { return path_; }

  private:
    std::string dir_;
    std::string path_;
};

}  // namespace tt
