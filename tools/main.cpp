// tether: run commands, copy files and look at contexts across many targets
// from the shell. An ordinary tether program: the same binary is the child
// in every target (tools/remote.cpp holds the functions it calls there).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "tether/tether.hpp"
#include "tools/command_line.hpp"
#include "tools/commands.hpp"
#include "tools/interrupt.hpp"
#include "tools/inventory.hpp"
#include "tools/password.hpp"

namespace {

using namespace tether::cli;

// copy's TARGETS:/DEST arguments: the targets of each, each with its path.
void resolve_copy(const std::vector<std::string>& arguments, const Inventory& inventory,
                  std::vector<Target>& targets, std::vector<std::string>& destinations) {
    std::vector<std::string> written, paths;
    for (const std::string& argument : arguments) {
        auto split = argument.find(":/");
        if (split == std::string::npos || split == 0) {
            throw UsageError("copy destination '" + argument +
                             "' is written TARGETS:/ABSOLUTE/PATH");
        }
        written.push_back(argument.substr(0, split));
        paths.push_back(argument.substr(split + 1));
    }
    std::vector<std::size_t> argument_of;
    targets = resolve_targets(written, inventory, &argument_of);
    for (std::size_t index : argument_of) {
        destinations.push_back(paths[index]);
    }
}

void set_passwords(const CommandLine& line, const std::vector<Target>& targets,
                   ConnectSettings& settings) {
    bool ssh = false, become = false;
    for (const Target& t : targets) {
        for (const Hop& h : t.hops) {
            ssh |= h.method == Method::ssh;
            become |=
                h.method == Method::sudo || h.method == Method::su || h.method == Method::doas;
        }
    }
    if (line.ask_pass && ssh) {
        settings.ssh_password = ask_password("SSH password: ");
    } else if (line.pass_fd >= 0) {
        settings.ssh_password = read_password(line.pass_fd);
    }
    if (line.ask_become_pass && become) {
        settings.become_password = ask_password("sudo/su password: ");
    } else if (line.become_pass_fd >= 0) {
        settings.become_password = read_password(line.become_pass_fd);
    }
}

int run(const CommandLine& line) {
    Inventory inventory;
    if (!line.inventory.empty()) {
        inventory = Inventory::load(line.inventory);
    }
    std::vector<Target> targets;
    std::vector<std::string> destinations;
    if (line.command == "copy") {
        resolve_copy(line.targets, inventory, targets, destinations);
    } else {
        targets = resolve_targets(line.targets, inventory);
    }
    ConnectSettings settings = line.connect;
    set_passwords(line, targets, settings);

    install_interrupt_handler();
    tether::Broker broker;
    int status = 0;
    {
        tether::Router router(broker);
        Connector connector(router, settings, targets);
        Run run{line, std::move(targets), connector, std::move(destinations)};
        if (line.command == "exec") {
            status = run_exec(run);
        } else if (line.command == "ping") {
            status = run_ping(run);
        } else if (line.command == "copy") {
            status = run_copy(run);
        } else {
            status = run_tree(run);
        }
    }  // the router shuts down every context still up, and waits for them
    broker.shutdown();
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    // Ctrl-C on a terminal signals the whole foreground process group, local
    // contexts and sudo included. Contexts ignore it (this is still their
    // main) and leave stopping to the tool, which then stops every target.
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGHUP, SIG_IGN);
    tether::init(argc, argv);  // started as a child: serves its parent, never returns
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGHUP, SIG_DFL);
    try {
        CommandLine line = parse_command_line(argc, argv);
        if (line.help) {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (line.version) {
            std::puts("tether " TETHER_VERSION);
            return 0;
        }
        if (line.verbose > 0) {
            tether::set_log_level(line.verbose == 1 ? "debug" : "io");
        } else if (!std::getenv("TETHER_LOG_LEVEL")) {
            // The tool's own output is the point; tether's info lines are noise.
            tether::set_log_level("warning");
        }
        return run(line);
    } catch (const UsageError& e) {
        std::cerr << "tether: " << e.what() << "\n(tether --help for the syntax)\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tether: " << e.what() << "\n";
        return 1;
    }
}
