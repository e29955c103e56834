/*
 * bcryptprimitives.dll for wine prefixes that lack it (wine 8.0, Debian 12's). Windows 10 and
 * later ship it, and every Rust program since Rust 1.78 imports its ProcessPrng to seed hash
 * maps: without it, wine refuses to start teleplug.exe and programs using teleplug.dll.
 * scripts/test-windows.sh builds it into its own wine prefix only when wine has none. This is
 * test scaffolding, never shipped: ProcessPrng over BCryptGenRandom, which wine has.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
