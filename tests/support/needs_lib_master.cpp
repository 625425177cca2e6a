// A master whose program needs libtt_extra.so, found here only through
// LD_LIBRARY_PATH (which sudo removes): starts a context under sudo as the
// user named by argv[1] and prints what the ConnectError says.
#include <tether/tether.hpp>

#include <iostream>

int tt_extra_answer();

int main(int argc, char** argv) {
    if (argc < 2 || tt_extra_answer() != 42) {
        std::cerr << "usage: needs_lib_master <user>\n";
        return 2;
    }
    std::string user = argv[1];
    return tether::run_with_router(argc, argv, [&](tether::Router& router) {
        try {
            router.sudo({.username = user});
            std::cout << "STARTED\n";
            return 1;
        } catch (const tether::ConnectError& e) {
            std::cout << e.what() << "\n";
            return 0;
        }
    });
}
