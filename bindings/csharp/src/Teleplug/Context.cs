using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace Teleplug
{
    /// <summary>Owns a tp_context; freed once (Dispose or finalizer), never while a call uses it.</summary>
    internal sealed class ContextHandle : SafeHandle
    {
        long key;

        internal ContextHandle() : base(IntPtr.Zero, true) { }

        internal void Set(IntPtr h, long registryKey)
        {
            key = registryKey;
            SetHandle(h);
        }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            // Shuts down (bounded, 5 s) and frees every client handle still open in the context.
            Native.tp_context_free(handle);
            TeleplugContext.Forget(key);
            return true;
        }
    }

    /// <summary>
    /// A library context: the async runtime, the embedded server and the thread that runs
    /// callbacks (docs/FFI.md A1). A <see cref="Client"/> created without one owns a private context.
    /// Dispose (or <see cref="Shutdown"/>) stops every device of it; live contexts are shut down
    /// when the process exits or the AppDomain unloads (Unity: also on quit and when play mode
    /// ends), so no native thread calls into an unloaded domain.
    /// </summary>
    public sealed class TeleplugContext : IDisposable
    {
        static long nextKey;
        static readonly ConcurrentDictionary<long, WeakReference> live = new ConcurrentDictionary<long, WeakReference>();
        static int hooked;

        readonly ContextHandle handle = new ContextHandle();
        readonly object gate = new object();
        readonly long key;
        bool disposed;

        public TeleplugContext() : this(ContextFlags.None) { }

        /// <summary>Creates a context (2 runtime threads and a dispatcher thread).</summary>
        /// <exception cref="TeleplugLoadException">The native library is missing or of another ABI.</exception>
        /// <exception cref="TeleplugStatusException">The library could not create the context.</exception>
        public TeleplugContext(ContextFlags flags)
        {
            Native.EnsureLoaded();
            HookProcessExit();
            Flags = flags;
            IntPtr ctx;
            int st = Native.tp_context_new((uint)flags, out ctx);
            if (st != 0) throw Native.StatusError(st, "tp_context_new");
            key = Interlocked.Increment(ref nextKey);
            handle.Set(ctx, key);
            live[key] = new WeakReference(handle);
        }

        public ContextFlags Flags { get; private set; }

        /// <summary>The native library's version ("major.minor.patch").</summary>
        public static string LibraryVersion
        {
            get
            {
                Native.EnsureLoaded();
                return Native.StaticString(Native.tp_version_string());
            }
        }

        /// <summary>The native library's ABI version (checked against the wrapper's at load).</summary>
        public static uint AbiVersion
        {
            get
            {
                Native.EnsureLoaded();
                return Native.tp_abi_version();
            }
        }

        public bool IsDisposed { get { lock (gate) return disposed; } }

        /// <summary>
        /// Shuts the context down within <paramref name="timeout"/>: pending requests are answered
        /// with <see cref="ErrorCode.Shutdown"/>, devices stop, every client gets a final
        /// <see cref="Client.Closed"/> event, and no callback of this context runs afterwards.
        /// Idempotent. Client objects stay usable for Dispose; their requests then fail with
        /// <see cref="Status.Shutdown"/>.
        /// </summary>
        public void Shutdown(TimeSpan timeout)
        {
            uint ms = ToMs(timeout);
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                Native.Check(Native.tp_context_shutdown(handle.DangerousGetHandle(), ms), "tp_context_shutdown");
            }
            catch (ObjectDisposedException)
            {
                throw new ObjectDisposedException("TeleplugContext");
            }
            finally
            {
                if (added) handle.DangerousRelease();
            }
        }

        /// <summary>Shuts down (5 s bound) and frees the context. Idempotent; safe from any thread,
        /// including event handlers.</summary>
        public void Dispose()
        {
            lock (gate)
            {
                if (disposed) return;
                disposed = true;
            }
            handle.Dispose();
        }

        internal static void Forget(long key)
        {
            WeakReference _;
            live.TryRemove(key, out _);
        }

        /// <summary>Adds a reference for the duration of a native call (throws when disposed).</summary>
        internal IntPtr AddRef(ref bool added)
        {
            try
            {
                handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                throw new ObjectDisposedException("TeleplugContext");
            }
            return handle.DangerousGetHandle();
        }

        internal void Release(bool added)
        {
            if (added) handle.DangerousRelease();
        }

        /// <summary>
        /// Shuts down every live context synchronously (each within <paramref name="timeout"/>) and
        /// detaches the process-wide log callback (<see cref="TeleplugLog"/>), so no native thread
        /// calls into managed code afterwards. Called at process exit and AppDomain unload; the
        /// Unity integration also calls it on Application.quitting, when play mode ends and before
        /// an assembly reload. Contexts created afterwards work normally.
        /// </summary>
        public static void ShutdownAll(TimeSpan timeout)
        {
            uint ms = ToMs(timeout);
            TeleplugLog.Detach();
            foreach (var kv in live)
            {
                var h = kv.Value.Target as ContextHandle;
                if (h == null) continue;
                bool added = false;
                try
                {
                    h.DangerousAddRef(ref added);
                    Native.tp_context_shutdown(h.DangerousGetHandle(), ms);
                }
                catch (ObjectDisposedException)
                {
                    // Freed meanwhile: nothing left to stop.
                }
                finally
                {
                    if (added) h.DangerousRelease();
                }
            }
        }

        /// <summary>The number of contexts not yet disposed or collected (diagnostics, tests).</summary>
        internal static int LiveCount
        {
            get
            {
                int n = 0;
                foreach (var kv in live)
                {
                    var h = kv.Value.Target as ContextHandle;
                    if (h != null && !h.IsClosed) n++;
                }
                return n;
            }
        }

        static void HookProcessExit()
        {
            if (Interlocked.Exchange(ref hooked, 1) != 0) return;
            EventHandler onExit = (s, e) => ShutdownAll(TimeSpan.FromSeconds(3));
            AppDomain.CurrentDomain.ProcessExit += onExit;
            AppDomain.CurrentDomain.DomainUnload += onExit;
        }

        internal static uint ToMs(TimeSpan timeout)
        {
            if (timeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException("timeout", "negative timeout");
            double ms = Math.Ceiling(timeout.TotalMilliseconds);
            return ms >= uint.MaxValue ? uint.MaxValue : (uint)ms;
        }
    }
}
