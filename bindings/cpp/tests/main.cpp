// Runs the tests named on the command line (ctest runs one per process), or every test.
// Ends with the line "N passed, N failed".
#include <cstdio>
#include <cstring>
#include <exception>

#include "harness.hpp"

int main(int argc, char** argv) {
    int passed = 0, failed = 0;
    auto& tests = th::registry();
    for (int i = 1; i < argc; ++i) {
        bool known = false;
        for (auto& t : tests) known = known || t.first == argv[i];
        if (!known) {
            std::fprintf(stderr, "no test named %s\n", argv[i]);
            return 2;
        }
    }
    for (auto& [name, fn] : tests) {
        bool selected = argc == 1;
        for (int i = 1; i < argc; ++i) selected = selected || name == argv[i];
        if (!selected) continue;
        std::printf("test %s ... ", name.c_str());
        std::fflush(stdout);
        try {
            fn();
            ++passed;
            std::printf("ok\n");
        } catch (const std::exception& e) {
            ++failed;
            std::printf("FAILED\n  %s\n", e.what());
        } catch (...) {
            ++failed;
            std::printf("FAILED\n  a non-standard exception\n");
        }
        std::fflush(stdout);
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
