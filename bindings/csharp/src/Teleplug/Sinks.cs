// The native event sink (FFI.md §4 B2/B3): one static trampoline per callback type, its delegate
// held in a static readonly field for the process lifetime; user_data is an integer key into a
// map with monotonic, never-reused keys. Callbacks copy the bytes, enqueue, return, and never
// let an exception unwind into native frames.
using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;

namespace Teleplug
{
    internal static class Sinks
    {
        static long nextKey;
        static long finalized;
        static readonly ConcurrentDictionary<long, ClientCore> live = new ConcurrentDictionary<long, ClientCore>();

        static readonly Native.EventFn eventFn = OnEvent;
        static readonly Native.FreeFn freeFn = OnFree;
        internal static readonly IntPtr EventPtr = Marshal.GetFunctionPointerForDelegate(eventFn);
        internal static readonly IntPtr FreePtr = Marshal.GetFunctionPointerForDelegate(freeFn);

        internal static long Register(ClientCore core)
        {
            long key = Interlocked.Increment(ref nextKey);
            live[key] = core;
            return key;
        }

        /// <summary>Removes a registration whose tp_client_new failed (no finalizer will run).</summary>
        internal static void Unregister(long key)
        {
            ClientCore _;
            live.TryRemove(key, out _);
        }

        /// <summary>Registrations whose native finalizer has not run yet (tests: leaks).</summary>
        internal static int LiveCount { get { return live.Count; } }

        /// <summary>How many native finalizers ran (tests: exactly once per client).</summary>
        internal static long FinalizedCount { get { return Interlocked.Read(ref finalized); } }

        [AOT.MonoPInvokeCallback(typeof(Native.EventFn))]
        static void OnEvent(IntPtr userData, IntPtr buf, UIntPtr len)
        {
            try
            {
                ClientCore core;
                if (!live.TryGetValue(userData.ToInt64(), out core)) return;
                var bytes = Native.Copy(buf, len);
                core.Receive(bytes);
            }
            catch (Exception e)
            {
                TeleplugDiagnostics.ReportHandlerException(e);
            }
        }

        [AOT.MonoPInvokeCallback(typeof(Native.FreeFn))]
        static void OnFree(IntPtr userData)
        {
            try
            {
                ClientCore core;
                if (!live.TryRemove(userData.ToInt64(), out core)) return;
                Interlocked.Increment(ref finalized);
                core.Finish();
            }
            catch (Exception e)
            {
                TeleplugDiagnostics.ReportHandlerException(e);
            }
        }
    }

    /// <summary>Owns a tp_client; freed once (Dispose or finalizer), never while a call uses it.</summary>
    internal sealed class ClientHandle : SafeHandle
    {
        internal ClientHandle() : base(IntPtr.Zero, true) { }
        internal void Set(IntPtr h) { SetHandle(h); }
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            // Idempotent in the library; waits for a running callback of this client (ours only
            // enqueue), then the finalizer (Sinks.OnFree) runs exactly once.
            Native.tp_client_free(handle);
            return true;
        }
    }

    /// <summary>
    /// What the native sink reaches: the incoming queue, the pending requests and a weak reference
    /// to the <see cref="Client"/> (so an undisposed client can still be garbage collected, and its
    /// handle finalizer frees it). Messages are decoded off the native thread, one at a time.
    /// </summary>
    internal sealed class ClientCore
    {
        sealed class Pending
        {
            internal Pending(string request, TaskCompletionSourceOfMessage tcs) { Request = request; Tcs = tcs; }
            internal readonly string Request;
            internal readonly TaskCompletionSourceOfMessage Tcs;
        }

        readonly WeakReference client;
        readonly ConcurrentQueue<byte[]> incoming = new ConcurrentQueue<byte[]>();
        readonly ConcurrentDictionary<uint, Pending> pending = new ConcurrentDictionary<uint, Pending>();
        static readonly byte[] FinishMark = new byte[0];
        int scheduled;
        int nextId;
        volatile bool finished;

        internal ClientCore(Client client) { this.client = new WeakReference(client); }

        /// <summary>Sees every message before it is decoded (tests: the JSON round trip).</summary>
        internal static volatile Action<byte[]> Tap = null;

        internal bool Finished { get { return finished; } }

        internal uint NextId()
        {
            uint id = unchecked((uint)Interlocked.Increment(ref nextId));
            if (id == 0) id = unchecked((uint)Interlocked.Increment(ref nextId));
            return id;
        }

        internal System.Threading.Tasks.Task<Message> AddPending(uint id, string request)
        {
            var tcs = new TaskCompletionSourceOfMessage();
            pending[id] = new Pending(request, tcs);
            if (finished) FailPending();
            return tcs.Task;
        }

        internal void RemovePending(uint id)
        {
            Pending _;
            pending.TryRemove(id, out _);
        }

        // ---- native thread: copy, enqueue, return ----------------------------------------------

        internal void Receive(byte[] bytes)
        {
            incoming.Enqueue(bytes);
            Schedule();
        }

        /// <summary>The native finalizer ran: nothing more will arrive.</summary>
        internal void Finish()
        {
            incoming.Enqueue(FinishMark);
            Schedule();
        }

        void Schedule()
        {
            if (Interlocked.CompareExchange(ref scheduled, 1, 0) == 0)
                ThreadPool.QueueUserWorkItem(_ => Drain());
        }

        // ---- thread pool: decode, update state, complete requests, post events -----------------

        void Drain()
        {
            while (true)
            {
                byte[] bytes;
                while (incoming.TryDequeue(out bytes))
                {
                    try
                    {
                        Handle(bytes);
                    }
                    catch (Exception e)
                    {
                        TeleplugDiagnostics.ReportHandlerException(e);
                    }
                }
                Volatile.Write(ref scheduled, 0);
                if (incoming.IsEmpty || Interlocked.CompareExchange(ref scheduled, 1, 0) != 0) return;
            }
        }

        void Handle(byte[] bytes)
        {
            if (ReferenceEquals(bytes, FinishMark))
            {
                finished = true;
                FailPending();
                return;
            }
            var tap = Tap;
            if (tap != null) tap(bytes);
            var m = Json.Decode(bytes);
            var c = client.Target as Client;
            if (m.Id == 0)
            {
                if (c != null) c.OnEvent(m);
                return;
            }
            Pending p;
            if (!pending.TryRemove(m.Id, out p)) return;
            if (m.Kind == "error")
            {
                var e = m.BodyObject;
                p.Tcs.TrySetException(new TeleplugRequestException(
                    (ErrorCode)ProtoEnum.ErrorCode.Value(Json.Field(e, "code")), p.Request, Json.Str(e, "message")));
                return;
            }
            if (c != null) c.OnReply(p.Request, m);
            p.Tcs.TrySetResult(m);
        }

        void FailPending()
        {
            foreach (var id in pending.Keys)
            {
                Pending p;
                if (pending.TryRemove(id, out p))
                    p.Tcs.TrySetException(new ObjectDisposedException("Client",
                        "the client was disposed before the library answered " + p.Request));
            }
        }
    }

    /// <summary>Continuations never run on the thread that completes the request.</summary>
    internal sealed class TaskCompletionSourceOfMessage : System.Threading.Tasks.TaskCompletionSource<Message>
    {
        internal TaskCompletionSourceOfMessage()
            : base(System.Threading.Tasks.TaskCreationOptions.RunContinuationsAsynchronously) { }
    }
}
