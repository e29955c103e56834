# CMake toolchain file: the C++ binding's tests and examples for Windows (x86_64), built on Linux
# with Debian's mingw-w64 (g++-mingw-w64-x86-64, the posix thread model for std::thread), against
# teleplug.dll built by `cargo build --target x86_64-pc-windows-gnu`:
#
#   cmake -S bindings/cpp -B build-cpp-windows \
#         -DCMAKE_TOOLCHAIN_FILE=bindings/cpp/mingw-w64.cmake \
#         -DTELEPLUG_LIB=target/x86_64-pc-windows-gnu/debug/teleplug.dll
#
# The programs link mingw's C++ and GCC runtime statically (no libstdc++-6.dll to ship) and find
# teleplug.dll beside them (CMakeLists.txt copies it into the build directory).
# bindings/cpp/test.sh (TELEPLUG_CPP_TARGET=windows) builds with it and runs everything under
# wine; there nlohmann/json comes from the host's headers, alone (see that script).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
# Libraries and headers of the Windows sysroot only; programs (cmake's own tools) of the host.
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++ -static")
