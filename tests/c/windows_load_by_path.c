/*
 * Loads teleplug.dll by the full path given on the command line, as Python's ctypes, C#'s
 * P/Invoke and Unity do, and calls it: the path may hold spaces and any Unicode characters
 * (wmain and LoadLibraryExW take UTF-16). Run by tests/windows.rs under wine.
 *
 * usage: windows_load_by_path.exe C:\path\to\teleplug.dll
 * Prints "loaded teleplug VERSION (ABI N)" and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <windows.h>

#include "teleplug.h"

typedef uint32_t (*abi_version_fn)(void);
typedef const char *(*version_string_fn)(void);

int wmain(int argc, wchar_t **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: windows_load_by_path PATH\\teleplug.dll\n");
        return 2;
    }
    /* The DLL's own directory is searched for what it loads, as for an application's DLL. */
    HMODULE lib = LoadLibraryExW(argv[1], NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (lib == NULL) {
        fprintf(stderr, "LoadLibraryExW failed: error %lu\n", GetLastError());
        return 1;
    }
    abi_version_fn abi = (abi_version_fn)(void (*)(void))GetProcAddress(lib, "tp_abi_version");
    version_string_fn version =
        (version_string_fn)(void (*)(void))GetProcAddress(lib, "tp_version_string");
    if (abi == NULL || version == NULL) {
        fprintf(stderr, "teleplug.dll lacks tp_abi_version or tp_version_string\n");
        return 1;
    }
    if (abi() != TP_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %u\n", abi(), TP_ABI_VERSION);
        return 1;
    }
    printf("loaded teleplug %s (ABI %u)\n", version(), abi());
    return 0;
}
