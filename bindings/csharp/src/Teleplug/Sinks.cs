// The native event sink (docs/FFI.md §4 B2/B3) of clients and raw channels: one static trampoline per
// callback type, its delegate held in a static readonly field for the process lifetime; user_data
// is an integer key into a map with monotonic, never-reused keys. Callbacks copy the bytes,
// enqueue, return, and never let an exception unwind into native frames.
using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    internal static class Sinks
    {
        static long nextKey;
        // By client format (Native.FormatJson, Native.FormatButtplugJson).
        static readonly long[] finalized = new long[Native.FormatButtplugJson + 1];
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

        /// <summary>Registrations of this format whose native finalizer has not run yet (tests: leaks).</summary>
        internal static int LiveCount(int format)
        {
            int n = 0;
            foreach (var core in live.Values)
            {
                if (core.Format == format) n++;
            }
            return n;
        }

        /// <summary>How many native finalizers of this format ran (tests: exactly once per client).</summary>
        internal static long FinalizedCount(int format) { return Interlocked.Read(ref finalized[format]); }

        [AOT.MonoPInvokeCallback(typeof(Native.EventFn))]
        static void OnEvent(IntPtr userData, IntPtr buf, UIntPtr len)
        {
            try
            {
                ClientCore core;
                if (!live.TryGetValue(userData.ToInt64(), out core)) return;
                core.Receive(Native.Copy(buf, len));
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
                Interlocked.Increment(ref finalized[core.Format]);
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

    /// <summary>What a <see cref="ClientCore"/> hands its owner (<see cref="Client"/>,
    /// <see cref="ButtplugChannel"/>), in order, on the core's decode queue.</summary>
    internal interface IClientOwner
    {
        /// <summary>Disposed: its events are no longer raised.</summary>
        bool IsDisposed { get; }
        /// <summary>A reply to <paramref name="request"/>, before the request's task completes.</summary>
        void OnReply(string request, Message m);
        /// <summary>A message without an id.</summary>
        void OnEvent(Message m);
        /// <summary>A Buttplug frame (raw channels only).</summary>
        void OnFrame(string text, JArray frame);
        /// <summary>The native finalizer ran: nothing more will arrive.</summary>
        void OnFinished();
    }

    /// <summary>
    /// What the native sink reaches: the incoming queue, the pending requests and a weak reference
    /// to the owner (so an undisposed client or channel can still be garbage collected, and its
    /// handle finalizer frees it). Messages are decoded off the native thread, one at a time: JSON
    /// objects are schema Responses (replies by id, events without); on a raw channel
    /// (<see cref="Native.FormatButtplugJson"/>) JSON arrays are Buttplug frames.
    /// </summary>
    internal sealed class ClientCore
    {
        sealed class Pending
        {
            internal Pending(string request, TaskCompletionSourceOfMessage tcs) { Request = request; Tcs = tcs; }
            internal readonly string Request;
            internal readonly TaskCompletionSourceOfMessage Tcs;
        }

        readonly WeakReference owner;
        readonly string objectName;
        readonly string noun;
        // Decoding happens here, one message at a time, in order, on the thread pool.
        readonly SerialQueue incoming = new SerialQueue(drain => ThreadPool.QueueUserWorkItem(_ => drain()));
        readonly ConcurrentDictionary<uint, Pending> pending = new ConcurrentDictionary<uint, Pending>();
        int nextId;
        volatile bool finished;

        /// <summary>A core of a tp_client of <paramref name="format"/> (Native.FormatJson,
        /// Native.FormatButtplugJson); <paramref name="objectName"/> ("Client") and
        /// <paramref name="noun"/> ("client") name the owner in errors.</summary>
        internal ClientCore(IClientOwner owner, int format, string objectName, string noun)
        {
            this.owner = new WeakReference(owner);
            Format = format;
            this.objectName = objectName;
            this.noun = noun;
        }

        /// <summary>Sees every schema Response before it is decoded (tests: the JSON round trip).</summary>
        internal static volatile Action<byte[]> Tap = null;

        internal int Format { get; private set; }

        /// <summary>Creates the tp_client into <paramref name="handle"/>, in <paramref name="context"/>
        /// or (null) in a new private context, disposed again when the creation fails; the context.</summary>
        internal TeleplugContext Open(ClientHandle handle, TeleplugContext context, string name)
        {
            var ctx = context ?? new TeleplugContext();
            try
            {
                Create(handle, ctx, Encoding.UTF8.GetBytes(name));
            }
            catch
            {
                if (context == null) ctx.Dispose();
                throw;
            }
            return ctx;
        }

        void Create(ClientHandle handle, TeleplugContext context, byte[] name)
        {
            long key = Sinks.Register(this);
            bool added = false;
            var pin = GCHandle.Alloc(name, GCHandleType.Pinned);
            try
            {
                IntPtr ctx = context.AddRef(ref added);
                IntPtr c;
                int st = Native.tp_client_new(ctx, Format, pin.AddrOfPinnedObject(),
                    new UIntPtr((uint)name.Length), Sinks.EventPtr, new IntPtr(key), Sinks.FreePtr, out c);
                if (st != 0)
                {
                    var error = Native.StatusError(st, "tp_client_new");
                    Sinks.Unregister(key);
                    throw error;
                }
                handle.Set(c);
            }
            catch (ObjectDisposedException)
            {
                Sinks.Unregister(key);
                throw;
            }
            finally
            {
                pin.Free();
                context.Release(added);
            }
        }

        // ---- caller's thread: send -------------------------------------------------------------

        /// <summary>Sends one request; the task completes with its reply (error replies fault it
        /// with <see cref="TeleplugRequestException"/>, refused sends with
        /// <see cref="TeleplugStatusException"/>, the end of the client with
        /// <see cref="ObjectDisposedException"/>).</summary>
        internal Task<Message> Request(ClientHandle handle, string kind, JToken body)
        {
            uint id = NextId();
            var bytes = Json.Encode(new JObject { { "id", id }, { kind, body } });
            var tcs = new TaskCompletionSourceOfMessage();
            pending[id] = new Pending(kind, tcs);
            if (finished) FailPending();
            TeleplugStatusException error;
            try
            {
                error = Send(handle, bytes, "tp_client_send(" + kind + ")");
            }
            catch
            {
                RemovePending(id);
                throw;
            }
            if (error == null) return tcs.Task;
            RemovePending(id);
            var failed = new TaskCompletionSource<Message>();
            failed.SetException(error);
            return failed.Task;
        }

        /// <summary>One tp_client_send holding a reference on the handle (a concurrent Dispose frees
        /// it only after the call returns); null, or the refusal with the error text of this thread.</summary>
        internal TeleplugStatusException Send(ClientHandle handle, byte[] bytes, string what)
        {
            bool added = false;
            var pin = GCHandle.Alloc(bytes, GCHandleType.Pinned);
            try
            {
                try
                {
                    handle.DangerousAddRef(ref added);
                }
                catch (ObjectDisposedException)
                {
                    throw new ObjectDisposedException(objectName);
                }
                int st = Native.tp_client_send(handle.DangerousGetHandle(), pin.AddrOfPinnedObject(),
                    new UIntPtr((uint)bytes.Length));
                return st == 0 ? null : Native.StatusError(st, what);
            }
            finally
            {
                if (added) handle.DangerousRelease();
                pin.Free();
            }
        }

        uint NextId()
        {
            uint id = unchecked((uint)Interlocked.Increment(ref nextId));
            if (id == 0) id = unchecked((uint)Interlocked.Increment(ref nextId));
            return id;
        }

        void RemovePending(uint id)
        {
            Pending _;
            pending.TryRemove(id, out _);
        }

        // ---- native thread: copy, enqueue, return ----------------------------------------------

        internal void Receive(byte[] bytes)
        {
            incoming.Enqueue(() => Handle(bytes));
        }

        /// <summary>The native finalizer ran: nothing more will arrive.</summary>
        internal void Finish()
        {
            incoming.Enqueue(Finished);
        }

        // ---- thread pool: decode, complete requests, hand the owner replies, events, frames ----

        void Finished()
        {
            finished = true;
            FailPending();
            var o = owner.Target as IClientOwner;
            if (o != null) o.OnFinished();
        }

        void Handle(byte[] bytes)
        {
            var o = owner.Target as IClientOwner;
            if (Format == Native.FormatButtplugJson && Json.FirstNonSpace(bytes) == (byte)'[')
            {
                string text = Json.Text(bytes, "a Buttplug frame");
                var frame = Json.DecodeFrame(text);
                if (o != null) o.OnFrame(text, frame);
                return;
            }
            var tap = Tap;
            if (tap != null) tap(bytes);
            var m = Json.Decode(bytes);
            if (m.Id == 0)
            {
                if (o != null) o.OnEvent(m);
                return;
            }
            Pending p;
            if (!pending.TryRemove(m.Id, out p)) return;
            if (m.Kind == "error")
            {
                var e = m.BodyObject;
                p.Tcs.TrySetException(new TeleplugRequestException(Json.Code(e), p.Request, Json.Str(e, "message")));
                return;
            }
            if (o != null) o.OnReply(p.Request, m);
            p.Tcs.TrySetResult(m);
        }

        void FailPending()
        {
            foreach (var id in pending.Keys)
            {
                Pending p;
                if (pending.TryRemove(id, out p))
                    p.Tcs.TrySetException(new ObjectDisposedException(objectName,
                        "the " + noun + " was disposed before the library answered " + p.Request));
            }
        }
    }

    /// <summary>Continuations never run on the thread that completes the request.</summary>
    internal sealed class TaskCompletionSourceOfMessage : TaskCompletionSource<Message>
    {
        internal TaskCompletionSourceOfMessage() : base(TaskCreationOptions.RunContinuationsAsynchronously) { }
    }
}
