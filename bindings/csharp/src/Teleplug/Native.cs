// P/Invoke declarations of include/teleplug.h (docs/FFI.md §4 B1): explicit Cdecl, blittable types
// only (IntPtr, integers, UIntPtr for size_t, out integers/pointers), no string or bool
// marshalling. A test (NativeDeclarationsMatchHeader) checks every export against the header.
using System;
using System.Runtime.InteropServices;
using System.Text;

#if !UNITY_5_3_OR_NEWER
namespace AOT
{
    /// <summary>
    /// Marks a static method called from native code. Unity defines this attribute in UnityEngine;
    /// Mono full-AOT and IL2CPP look it up by name, so this copy serves non-Unity builds.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type type) { Type = type; }
        public Type Type { get; private set; }
    }
}
#endif

namespace Teleplug
{
    /// <summary>A library-owned buffer (tp_buffer).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TpBuffer
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    internal static partial class Native
    {
#if (UNITY_IOS || UNITY_WEBGL) && !UNITY_EDITOR
        internal const string Lib = "__Internal";
#else
        internal const string Lib = "teleplug";
#endif

        // The header's constants (AbiVersion, Format*, Context*) are generated into Enums.cs.

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void EventFn(IntPtr userData, IntPtr buf, UIntPtr len);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void FreeFn(IntPtr userData);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogFn(IntPtr userData, int level, IntPtr msg, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern uint tp_abi_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr tp_version_string();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr tp_status_string(int status);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr tp_last_error_message(IntPtr buf, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_context_new(uint flags, out IntPtr ctx);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_context_shutdown(IntPtr ctx, uint timeoutMs);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void tp_context_free(IntPtr ctx);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_client_new(IntPtr ctx, int format, IntPtr name, UIntPtr nameLen,
            IntPtr onEvent, IntPtr userData, IntPtr userDataFree, out IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_client_send(IntPtr client, IntPtr msg, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_client_poll(IntPtr client, uint timeoutMs, out TpBuffer buf);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void tp_buffer_free(TpBuffer buf);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void tp_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int tp_log_set_callback(IntPtr cb, IntPtr userData, int maxLevel);

        // ---- helpers ---------------------------------------------------------------------------

        static readonly object loadGate = new object();
        static bool loaded;

        /// <summary>
        /// Loads the library and checks its ABI version (docs/FFI.md A11). Throws
        /// <see cref="TeleplugLoadException"/> when the library is missing or of another ABI.
        /// </summary>
        internal static void EnsureLoaded()
        {
            if (loaded) return;
            lock (loadGate)
            {
                if (loaded) return;
                uint abi;
                try
                {
                    abi = tp_abi_version();
                }
                catch (DllNotFoundException e)
                {
                    throw new TeleplugLoadException(
                        "the native Teleplug library (libteleplug.so / teleplug.dll / libteleplug.dylib) " +
                        "was not found: put it next to the application, on the library search path " +
                        "(LD_LIBRARY_PATH), or in the Unity Plugins folder", e);
                }
                catch (BadImageFormatException e)
                {
                    throw new TeleplugLoadException("the native Teleplug library is for another CPU architecture", e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new TeleplugLoadException("the library named 'teleplug' is not Teleplug", e);
                }
                if (abi != AbiVersion)
                {
                    throw new TeleplugLoadException(string.Format(
                        "the native Teleplug library has ABI version {0}, this wrapper needs {1}: " +
                        "use the library and the wrapper of the same release", abi, AbiVersion));
                }
                loaded = true;
            }
        }

        /// <summary>A static NUL-terminated UTF-8 string of the library.</summary>
        internal static string StaticString(IntPtr p)
        {
            if (p == IntPtr.Zero) return "";
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            return Encoding.UTF8.GetString(Copy(p, n));
        }

        /// <summary>A managed copy of <paramref name="len"/> bytes the library lends during a callback.</summary>
        internal static byte[] Copy(IntPtr p, UIntPtr len)
        {
            return Copy(p, checked((int)len.ToUInt64()));
        }

        static byte[] Copy(IntPtr p, int n)
        {
            var bytes = new byte[n];
            if (n > 0) Marshal.Copy(p, bytes, 0, n);
            return bytes;
        }

        /// <summary>The calling thread's last error message (copied right after a failed call).</summary>
        internal static string LastError()
        {
            int n = (int)(ulong)tp_last_error_message(IntPtr.Zero, UIntPtr.Zero);
            if (n == 0) return "";
            var bytes = new byte[n];
            var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            try
            {
                int m = (int)(ulong)tp_last_error_message(pin.AddrOfPinnedObject(), new UIntPtr((uint)n));
                return Encoding.UTF8.GetString(bytes, 0, Math.Min(n, m));
            }
            finally
            {
                pin.Free();
            }
        }

        internal static string StatusName(int status)
        {
            return StaticString(tp_status_string(status));
        }

        /// <summary>Throws a <see cref="TeleplugStatusException"/> for a non-OK status.</summary>
        internal static void Check(int status, string function)
        {
            if (status == 0) return;
            throw StatusError(status, function);
        }

        internal static TeleplugStatusException StatusError(int status, string function)
        {
            string detail = LastError();
            return new TeleplugStatusException((Status)status, function, StatusName(status), detail);
        }
    }
}
