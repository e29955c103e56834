// The raw Buttplug channel (TP_FORMAT_BUTTPLUG_JSON): Buttplug spec JSON frames with the embedded
// server, in-process. Frames go to the server as they are and come back as the server wrote them;
// the library does the Buttplug side (every spec version), this file only carries bytes. Control
// requests of the schema (server options, simulated devices) travel on the same tp_client as
// TP_FORMAT_JSON objects. The plumbing follows Client/Sinks: a static trampoline with an integer
// user_data key, copy-and-enqueue in the callback, decoding on the thread pool, handlers through
// an EventDelivery, requests completed through TaskCompletionSources.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    /// <summary>Options of a <see cref="ButtplugChannel"/>.</summary>
    public sealed class ButtplugChannelOptions
    {
        /// <summary>The context to create the channel in; null: the channel creates and owns a
        /// private context (disposed with the channel).</summary>
        public TeleplugContext Context { get; set; }

        /// <summary>Where event handlers run; null: <see cref="EventDelivery.Capture"/> at creation.</summary>
        public EventDelivery Delivery { get; set; }

        /// <summary>Also keep every frame for <see cref="ButtplugChannel.ReceiveAsync(CancellationToken)"/>
        /// (pull style). Off by default, so a channel read only through
        /// <see cref="ButtplugChannel.FrameReceived"/> does not accumulate frames.</summary>
        public bool QueueFrames { get; set; }
    }

    /// <summary>A frame of Buttplug spec messages the server sent.</summary>
    public sealed class ButtplugFrameEventArgs : EventArgs
    {
        internal ButtplugFrameEventArgs(string text, JArray frame) { Text = text; Frame = frame; }

        /// <summary>The frame exactly as the server wrote it (JSON text), for Buttplug libraries
        /// that parse frames themselves.</summary>
        public string Text { get; private set; }

        /// <summary>The frame parsed: one JSON object per message, e.g. <c>{"Ok":{"Id":1}}</c>
        /// (shared by the handlers of this event).</summary>
        public JArray Frame { get; private set; }
    }

    /// <summary>
    /// A raw Buttplug channel to an embedded server of its own: send Buttplug spec frames (JSON
    /// arrays of messages, any spec version v0–v4) and receive the server's frames, in-process and
    /// without a WebSocket; for code that already speaks Buttplug (a client library, a test
    /// harness). The server starts with default options at the first frame unless
    /// <see cref="ConfigureAsync"/> came first. Control requests (server options, simulated
    /// devices) return Tasks; frames and events run through the channel's
    /// <see cref="EventDelivery"/>. Dispose ends the connection (every device stops); it is
    /// idempotent, thread-safe and legal inside event handlers.
    /// </summary>
    public sealed class ButtplugChannel : IDisposable
    {
        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        readonly ClientHandle handle = new ClientHandle();
        readonly ChannelCore core;
        readonly bool ownsContext;
        readonly object gate = new object();
        readonly EventDelivery delivery;
        readonly FrameQueue frames;
        volatile bool disposed;
        bool closed;

        public ButtplugChannel(string name) : this(name, null) { }

        /// <summary>Creates a channel; <paramref name="name"/> is the client name the library
        /// reports (the frames carry their own ClientName).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="TeleplugLoadException">The native library is missing or of another ABI.</exception>
        /// <exception cref="TeleplugStatusException">The context is shut down.</exception>
        /// <exception cref="ObjectDisposedException">The context is disposed.</exception>
        public ButtplugChannel(string name, ButtplugChannelOptions options)
        {
            if (name == null) throw new ArgumentNullException("name");
            options = options ?? new ButtplugChannelOptions();
            Name = name;
            delivery = options.Delivery ?? EventDelivery.Capture();
            if (options.QueueFrames) frames = new FrameQueue();
            if (options.Context != null)
            {
                Context = options.Context;
            }
            else
            {
                Context = new TeleplugContext();
                ownsContext = true;
            }
            core = new ChannelCore(this);
            try
            {
                Create(Encoding.UTF8.GetBytes(name));
            }
            catch
            {
                if (ownsContext) Context.Dispose();
                throw;
            }
        }

        void Create(byte[] name)
        {
            long key = ChannelSinks.Register(core);
            bool added = false;
            var pin = GCHandle.Alloc(name, GCHandleType.Pinned);
            try
            {
                IntPtr ctx = Context.AddRef(ref added);
                IntPtr c;
                int st = Native.tp_client_new(ctx, Native.FormatButtplugJson, pin.AddrOfPinnedObject(),
                    new UIntPtr((uint)name.Length), ChannelSinks.EventPtr, new IntPtr(key), ChannelSinks.FreePtr, out c);
                if (st != 0)
                {
                    var error = Native.StatusError(st, "tp_client_new");
                    ChannelSinks.Unregister(key);
                    throw error;
                }
                handle.Set(c);
            }
            catch (ObjectDisposedException)
            {
                ChannelSinks.Unregister(key);
                throw;
            }
            finally
            {
                pin.Free();
                Context.Release(added);
            }
        }

        public string Name { get; private set; }

        /// <summary>The context the channel lives in.</summary>
        public TeleplugContext Context { get; private set; }

        public bool IsDisposed { get { return disposed; } }

        /// <summary>Whether the channel ended: its context shut down (the <see cref="Closed"/>
        /// event came) or the library finished it.</summary>
        public bool IsClosed { get { lock (gate) return closed; } }

        // ---- events --------------------------------------------------------------------------

        /// <summary>A frame from the server (replies, DeviceList/DeviceAdded events, Error messages...).</summary>
        public event EventHandler<ButtplugFrameEventArgs> FrameReceived;
        /// <summary>What an observed simulated device went through (e.g. the bytes written to it).</summary>
        public event EventHandler<SimulatorOperationEventArgs> SimulatorOperation;
        /// <summary>A log record, after a <c>subscribeLogs</c> request.</summary>
        public event EventHandler<LogEventArgs> LogReceived;
        /// <summary>An error of the library not tied to a request (e.g. the server could not start
        /// at the first frame). Errors of the Buttplug protocol come as Error frames instead.</summary>
        public event EventHandler<TeleplugErrorEventArgs> ErrorReceived;
        /// <summary>The embedded server went away; the next frame starts a new one.</summary>
        public event EventHandler<ServerDisconnectedEventArgs> ServerDisconnected;
        /// <summary>The context shut down; nothing follows.</summary>
        public event EventHandler<ClosedEventArgs> Closed;

        // ---- frames --------------------------------------------------------------------------

        /// <summary>Sends one Buttplug frame given as JSON text (<c>[{"Ping":{"Id":2}}]</c>). The
        /// server answers in later frames; a frame that is not valid JSON is answered with a
        /// Buttplug Error message and the channel goes on.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="frameJson"/> is null.</exception>
        /// <exception cref="ArgumentException">The text is not a JSON array (control requests go
        /// through <see cref="RequestAsync"/>) or has a lone surrogate (no UTF-8 form).</exception>
        /// <exception cref="TeleplugStatusException">The library refused it (<see cref="Status.Shutdown"/>,
        /// <see cref="Status.Busy"/>...).</exception>
        /// <exception cref="ObjectDisposedException">The channel is disposed.</exception>
        public void Send(string frameJson)
        {
            if (frameJson == null) throw new ArgumentNullException("frameJson");
            SendFrame(Utf8(frameJson, "frameJson"), "frameJson");
        }

        /// <summary>Sends one Buttplug frame: an array of messages
        /// (<c>new JArray(new JObject { { "Ping", new JObject { { "Id", 2 } } } })</c>).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="frame"/> is null.</exception>
        /// <exception cref="TeleplugStatusException">The library refused it.</exception>
        /// <exception cref="ObjectDisposedException">The channel is disposed.</exception>
        public void Send(JArray frame)
        {
            if (frame == null) throw new ArgumentNullException("frame");
            SendFrame(Utf8(frame.ToString(Formatting.None), "frame"), "frame");
        }

        static byte[] Utf8(string text, string param)
        {
            try
            {
                return StrictUtf8.GetBytes(text);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("the frame has a lone surrogate: it has no UTF-8 form", param, e);
            }
        }

        /// <summary>Sends one Buttplug frame given as UTF-8 JSON bytes, as they are.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="utf8Frame"/> is null.</exception>
        /// <exception cref="ArgumentException">The bytes do not start with a JSON array.</exception>
        /// <exception cref="TeleplugStatusException">The library refused them:
        /// <see cref="Status.Decode"/> when they are not UTF-8.</exception>
        /// <exception cref="ObjectDisposedException">The channel is disposed.</exception>
        public void Send(byte[] utf8Frame)
        {
            if (utf8Frame == null) throw new ArgumentNullException("utf8Frame");
            SendFrame(utf8Frame, "utf8Frame");
        }

        void SendFrame(byte[] bytes, string param)
        {
            if (FirstNonSpace(bytes) != (byte)'[')
                throw new ArgumentException("a Buttplug frame is a JSON array of messages (control requests " +
                    "go through RequestAsync)", param);
            int st = SendBytes(bytes);
            if (st != 0) throw Native.StatusError(st, "tp_client_send(frame)");
        }

        static int FirstNonSpace(byte[] bytes)
        {
            foreach (byte b in bytes)
            {
                if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\n' && b != (byte)'\r') return b;
            }
            return -1;
        }

        /// <summary>One tp_client_send holding a reference on the handle (a concurrent Dispose frees
        /// it only after the call returns); the status, error text left on this thread.</summary>
        int SendBytes(byte[] bytes)
        {
            if (disposed) throw new ObjectDisposedException("ButtplugChannel");
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
                    throw new ObjectDisposedException("ButtplugChannel");
                }
                return Native.tp_client_send(handle.DangerousGetHandle(), pin.AddrOfPinnedObject(),
                    new UIntPtr((uint)bytes.Length));
            }
            finally
            {
                if (added) handle.DangerousRelease();
                pin.Free();
            }
        }

        /// <summary>The next frame the server sent (channels created with
        /// <see cref="ButtplugChannelOptions.QueueFrames"/>). Faults with
        /// <see cref="TeleplugStatusException"/> (<see cref="Status.Closed"/>) once the channel is
        /// closed and every frame was received, with <see cref="ObjectDisposedException"/> when the
        /// channel is disposed, and is cancelled through <paramref name="cancellationToken"/>.</summary>
        /// <exception cref="InvalidOperationException">The channel does not queue frames.</exception>
        public Task<JArray> ReceiveAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return ReceiveAsync(Timeout.InfiniteTimeSpan, cancellationToken);
        }

        /// <summary>As <see cref="ReceiveAsync(CancellationToken)"/>, faulting with a
        /// <see cref="TimeoutException"/> when no frame came within <paramref name="timeout"/>.</summary>
        public Task<JArray> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
                throw new ArgumentOutOfRangeException("timeout", "negative timeout");
            if (frames == null)
                throw new InvalidOperationException("this channel delivers frames through FrameReceived only: " +
                    "create it with ButtplugChannelOptions.QueueFrames = true to use ReceiveAsync");
            if (disposed) throw new ObjectDisposedException("ButtplugChannel");
            return frames.Take(timeout, cancellationToken);
        }

        // ---- control requests ----------------------------------------------------------------

        /// <summary>Starts the embedded server with these options; only before the first frame
        /// (afterwards, or twice: <see cref="ErrorCode.AlreadyConnected"/>).</summary>
        public Task ConfigureAsync(EmbeddedOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            return RequestAsync("connect", new JObject { { "embedded", options.ToJson() } });
        }

        /// <summary>Advertises a simulated Lovense toy (found by the next scan) that answers
        /// "DeviceType;" with <paramref name="typeReply"/> (null: a Hush). With
        /// <paramref name="observe"/> what it receives comes as <see cref="SimulatorOperation"/> events.</summary>
        public Task SimulatorAdvertiseLovenseAsync(string address, uint battery = 0, string typeReply = null,
            bool observe = true)
        {
            if (address == null) throw new ArgumentNullException("address");
            var lovense = new JObject { { "address", address } };
            if (!string.IsNullOrEmpty(typeReply)) lovense["typeReply"] = typeReply;
            if (battery != 0) lovense["battery"] = battery;
            return Advertise(new JObject { { "lovense", lovense } }, observe);
        }

        /// <summary>Advertises a simulated BLE device, matched against the device database.</summary>
        public Task SimulatorAdvertiseAsync(SimulatedDeviceSpec spec, bool observe = true)
        {
            if (spec == null) throw new ArgumentNullException("spec");
            return Advertise(new JObject { { "spec", spec.ToJson() } }, observe);
        }

        Task Advertise(JObject body, bool observe)
        {
            if (observe) body["observe"] = true;
            return RequestAsync("simulatorAdvertise", body);
        }

        /// <summary>
        /// One control request of the schema, <c>{"id": n, bodyKey: body}</c> in proto3 JSON (e.g.
        /// <c>RequestAsync("simulatorDisconnect", new JObject { { "address", "toy" } })</c>). The task
        /// completes with the reply as the library wrote it (<c>{"id":n,"ok":{}}</c>); an error reply
        /// faults it with <see cref="TeleplugRequestException"/>, a send the library refuses with
        /// <see cref="TeleplugStatusException"/>, and disposing the channel with
        /// <see cref="ObjectDisposedException"/>.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The channel is disposed.</exception>
        public Task<JObject> RequestAsync(string bodyKey, JObject body)
        {
            if (bodyKey == null) throw new ArgumentNullException("bodyKey");
            if (disposed) throw new ObjectDisposedException("ButtplugChannel");
            uint id = core.NextId();
            var bytes = Json.Encode(new JObject { { "id", id }, { bodyKey, body ?? new JObject() } });
            var task = core.AddPending(id, bodyKey);
            int st;
            try
            {
                st = SendBytes(bytes);
            }
            catch
            {
                core.RemovePending(id);
                throw;
            }
            if (st != 0)
            {
                var error = Native.StatusError(st, "tp_client_send(" + bodyKey + ")");
                core.RemovePending(id);
                var failed = new TaskCompletionSource<JObject>();
                failed.SetException(error);
                return failed.Task;
            }
            return task;
        }

        // ---- messages (called in order from the channel's decode queue) ------------------------

        internal void OnFrame(string text, JArray frame)
        {
            if (frames != null) frames.Add((JArray)frame.DeepClone());
            Raise(() => FrameReceived, new ButtplugFrameEventArgs(text, frame));
        }

        internal void OnEvent(Message m)
        {
            var o = m.BodyObject;
            switch (m.Kind)
            {
                case "simulatorOp":
                    Raise(() => SimulatorOperation, new SimulatorOperationEventArgs(Teleplug.SimulatorOperation.Read(o)));
                    break;
                case "log":
                    Raise(() => LogReceived, new LogEventArgs(LogRecord.Read(o)));
                    break;
                case "error":
                    Raise(() => ErrorReceived, new TeleplugErrorEventArgs(
                        (ErrorCode)ProtoEnum.ErrorCode.Value(Json.Field(o, "code")), Json.Str(o, "message")));
                    break;
                case "serverDisconnected":
                    Raise(() => ServerDisconnected, new ServerDisconnectedEventArgs(Json.Str(o, "reason")));
                    break;
                case "closed":
                    OnFinished();
                    Raise(() => Closed, new ClosedEventArgs(Json.Str(o, "reason")));
                    break;
                default:
                    // Events of the client API (device lists...) do not apply to raw channels;
                    // a newer library's events are ignored too (forward compatibility).
                    break;
            }
        }

        /// <summary>Nothing more will arrive (the closed event, or the native finalizer ran).</summary>
        internal void OnFinished()
        {
            lock (gate) closed = true;
            if (frames != null) frames.End(() => new TeleplugStatusException(Status.Closed, "ReceiveAsync",
                Native.StatusName((int)Status.Closed), "the channel is closed"), false);
        }

        void Raise<T>(Func<EventHandler<T>> which, T args) where T : EventArgs
        {
            delivery.Post(() =>
            {
                if (disposed) return;
                var h = which();
                if (h != null) h(this, args);
            });
        }

        // ---- lifetime ------------------------------------------------------------------------

        /// <summary>
        /// Frees the channel: its connection ends and every device stops; pending requests and
        /// receives fail with <see cref="ObjectDisposedException"/>; no handler of this channel
        /// starts after it returns. A channel that owns its context also shuts that down.
        /// Idempotent, thread-safe, and legal inside this channel's event handlers.
        /// </summary>
        public void Dispose()
        {
            lock (gate)
            {
                if (disposed) return;
                disposed = true;
            }
            if (frames != null) frames.End(() => new ObjectDisposedException("ButtplugChannel"), true);
            handle.Dispose();
            if (ownsContext) Context.Dispose();
        }

        public override string ToString()
        {
            return "ButtplugChannel " + Name + (disposed ? " (disposed)" : IsClosed ? " (closed)" : "");
        }
    }

    /// <summary>Frames waiting for <see cref="ButtplugChannel.ReceiveAsync(CancellationToken)"/>,
    /// and the receives waiting for frames; an item goes to exactly one receiver.</summary>
    internal sealed class FrameQueue
    {
        readonly object gate = new object();
        readonly Queue<JArray> items = new Queue<JArray>();
        readonly LinkedList<TaskCompletionSource<JArray>> waiters = new LinkedList<TaskCompletionSource<JArray>>();
        Func<Exception> end;

        internal void Add(JArray frame)
        {
            lock (gate)
            {
                if (end != null) return;
                if (waiters.Count > 0)
                {
                    var w = waiters.First.Value;
                    waiters.RemoveFirst();
                    w.TrySetResult(frame);
                    return;
                }
                items.Enqueue(frame);
            }
        }

        /// <summary>No more frames: every receive after the queued frames fails with
        /// <paramref name="error"/> (the first end wins); <paramref name="discard"/> (Dispose) also
        /// drops the queued frames and replaces the error.</summary>
        internal void End(Func<Exception> error, bool discard)
        {
            lock (gate)
            {
                if (discard) items.Clear();
                if (end != null)
                {
                    if (discard) end = error;
                    return;
                }
                end = error;
                foreach (var w in waiters) w.TrySetException(error());
                waiters.Clear();
            }
        }

        internal Task<JArray> Take(TimeSpan timeout, CancellationToken token)
        {
            TaskCompletionSource<JArray> tcs;
            LinkedListNode<TaskCompletionSource<JArray>> node;
            lock (gate)
            {
                if (items.Count > 0) return Task.FromResult(items.Dequeue());
                if (end != null)
                {
                    var failed = new TaskCompletionSource<JArray>();
                    failed.SetException(end());
                    return failed.Task;
                }
                if (token.IsCancellationRequested)
                {
                    var cancelled = new TaskCompletionSource<JArray>();
                    cancelled.SetCanceled();
                    return cancelled.Task;
                }
                tcs = new TaskCompletionSource<JArray>(TaskCreationOptions.RunContinuationsAsynchronously);
                node = waiters.AddLast(tcs);
            }
            if (timeout == Timeout.InfiniteTimeSpan && !token.CanBeCanceled) return tcs.Task;
            var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
            var registration = cts.Token.Register(() =>
            {
                lock (gate)
                {
                    // Still waiting (not handed a frame nor failed by the end): give up.
                    if (node.List == null) return;
                    waiters.Remove(node);
                }
                if (token.IsCancellationRequested) tcs.TrySetCanceled();
                else tcs.TrySetException(new TimeoutException("no Buttplug frame within " + timeout));
            });
            if (timeout != Timeout.InfiniteTimeSpan) cts.CancelAfter(timeout);
            tcs.Task.ContinueWith(_ =>
            {
                registration.Dispose();
                cts.Dispose();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return tcs.Task;
        }
    }

    /// <summary>The native sink of raw channels: its own static trampolines and integer keys (as
    /// <see cref="Sinks"/> for clients), reaching a <see cref="ChannelCore"/>.</summary>
    internal static class ChannelSinks
    {
        static long nextKey;
        static long finalized;
        static readonly ConcurrentDictionary<long, ChannelCore> live = new ConcurrentDictionary<long, ChannelCore>();

        static readonly Native.EventFn eventFn = OnEvent;
        static readonly Native.FreeFn freeFn = OnFree;
        internal static readonly IntPtr EventPtr = Marshal.GetFunctionPointerForDelegate(eventFn);
        internal static readonly IntPtr FreePtr = Marshal.GetFunctionPointerForDelegate(freeFn);

        internal static long Register(ChannelCore core)
        {
            long key = Interlocked.Increment(ref nextKey);
            live[key] = core;
            return key;
        }

        internal static void Unregister(long key)
        {
            ChannelCore _;
            live.TryRemove(key, out _);
        }

        /// <summary>Registrations whose native finalizer has not run yet (tests: leaks).</summary>
        internal static int LiveCount { get { return live.Count; } }

        /// <summary>How many native finalizers ran (tests: exactly once per channel).</summary>
        internal static long FinalizedCount { get { return Interlocked.Read(ref finalized); } }

        [AOT.MonoPInvokeCallback(typeof(Native.EventFn))]
        static void OnEvent(IntPtr userData, IntPtr buf, UIntPtr len)
        {
            try
            {
                ChannelCore core;
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
                ChannelCore core;
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

    /// <summary>
    /// What the channel sink reaches: the incoming queue, the pending control requests and a weak
    /// reference to the <see cref="ButtplugChannel"/> (an undisposed channel can be collected; its
    /// handle finalizer frees it). Messages are sorted off the native thread, one at a time:
    /// arrays are Buttplug frames, objects are schema Responses (replies by id, events without).
    /// </summary>
    internal sealed class ChannelCore
    {
        sealed class Pending
        {
            internal Pending(string request, TaskCompletionSource<JObject> tcs) { Request = request; Tcs = tcs; }
            internal readonly string Request;
            internal readonly TaskCompletionSource<JObject> Tcs;
        }

        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);
        static readonly byte[] FinishMark = new byte[0];
        readonly WeakReference channel;
        readonly ConcurrentQueue<byte[]> incoming = new ConcurrentQueue<byte[]>();
        readonly ConcurrentDictionary<uint, Pending> pending = new ConcurrentDictionary<uint, Pending>();
        int scheduled;
        int nextId;
        volatile bool finished;

        internal ChannelCore(ButtplugChannel channel) { this.channel = new WeakReference(channel); }

        internal uint NextId()
        {
            uint id = unchecked((uint)Interlocked.Increment(ref nextId));
            if (id == 0) id = unchecked((uint)Interlocked.Increment(ref nextId));
            return id;
        }

        internal Task<JObject> AddPending(uint id, string request)
        {
            // Continuations never run on the thread that completes the request.
            var tcs = new TaskCompletionSource<JObject>(TaskCreationOptions.RunContinuationsAsynchronously);
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

        // ---- thread pool: sort, complete requests, post frames and events ----------------------

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
            var c = channel.Target as ButtplugChannel;
            if (ReferenceEquals(bytes, FinishMark))
            {
                finished = true;
                FailPending();
                if (c != null) c.OnFinished();
                return;
            }
            if (IsFrame(bytes))
            {
                string text;
                try
                {
                    text = StrictUtf8.GetString(bytes);
                }
                catch (ArgumentException e)
                {
                    throw new TeleplugProtocolException("a Buttplug frame from the library is not UTF-8", e);
                }
                var frame = ParseFrame(text);
                if (c != null) c.OnFrame(text, frame);
                return;
            }
            // A schema Response, encoded as the client API's (so it joins the JSON round-trip check).
            var tap = ClientCore.Tap;
            if (tap != null) tap(bytes);
            var m = Json.Decode(bytes);
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
            var reply = new JObject { { "id", m.Id } };
            if (m.Kind != null) reply[m.Kind] = m.Body;
            p.Tcs.TrySetResult(reply);
        }

        static bool IsFrame(byte[] bytes)
        {
            foreach (byte b in bytes)
            {
                if (b == (byte)' ' || b == (byte)'\t' || b == (byte)'\n' || b == (byte)'\r') continue;
                return b == (byte)'[';
            }
            return false;
        }

        static JArray ParseFrame(string text)
        {
            try
            {
                using (var r = new JsonTextReader(new StringReader(text)))
                {
                    // Strings stay strings (no date guessing), as for the schema's messages.
                    r.DateParseHandling = DateParseHandling.None;
                    r.FloatParseHandling = FloatParseHandling.Double;
                    var a = JArray.Load(r);
                    if (r.Read()) throw new JsonReaderException("trailing data after the frame");
                    return a;
                }
            }
            catch (JsonException e)
            {
                throw new TeleplugProtocolException("a Buttplug frame from the library is not a JSON array: " + text, e);
            }
        }

        void FailPending()
        {
            foreach (var id in pending.Keys)
            {
                Pending p;
                if (pending.TryRemove(id, out p))
                    p.Tcs.TrySetException(new ObjectDisposedException("ButtplugChannel",
                        "the channel was disposed before the library answered " + p.Request));
            }
        }
    }
}
