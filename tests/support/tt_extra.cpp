// A shared library that only the build directory has: a master linked
// against it ships a program its targets cannot load.
int tt_extra_answer() {
    return 42;
}
