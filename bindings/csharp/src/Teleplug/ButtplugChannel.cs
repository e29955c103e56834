// The raw Buttplug channel (TP_FORMAT_BUTTPLUG_JSON): Buttplug spec JSON frames with the embedded
// server, in-process. Frames go to the server as they are and come back as the server wrote them;
// the library does the Buttplug side (every spec version), this file only carries bytes. Control
// requests of the schema (server options, simulated devices) travel on the same tp_client as
// TP_FORMAT_JSON objects. The plumbing is the clients' (Sinks.cs: the static trampolines, the
// decode queue, the pending requests), with a ClientCore of format TP_FORMAT_BUTTPLUG_JSON.
using System;
using System.Collections.Generic;
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
    public sealed class ButtplugChannel : IDisposable, IClientOwner
    {
        readonly ClientHandle handle = new ClientHandle();
        readonly ClientCore core;
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
            core = new ClientCore(this, Native.FormatButtplugJson, "ButtplugChannel", "channel");
            Context = core.Open(handle, options.Context, name);
            ownsContext = options.Context == null;
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
                return Json.Utf8.GetBytes(text);
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
            if (Json.FirstNonSpace(bytes) != (byte)'[')
                throw new ArgumentException("a Buttplug frame is a JSON array of messages (control requests " +
                    "go through RequestAsync)", param);
            if (disposed) throw new ObjectDisposedException("ButtplugChannel");
            var error = core.Send(handle, bytes, "tp_client_send(frame)");
            if (error != null) throw error;
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
            return RequestAsync("simulatorAdvertise", Simulator.LovenseBody(address, battery, typeReply, observe));
        }

        /// <summary>Advertises a simulated BLE device, matched against the device database.</summary>
        public Task SimulatorAdvertiseAsync(SimulatedDeviceSpec spec, bool observe = true)
        {
            return RequestAsync("simulatorAdvertise", Simulator.SpecBody(spec, observe));
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
            return Reply(core.Request(handle, bodyKey, body ?? new JObject()));
        }

        static async Task<JObject> Reply(Task<Message> request)
        {
            var m = await request.ConfigureAwait(false);
            var reply = new JObject { { "id", m.Id } };
            if (m.Kind != null) reply[m.Kind] = m.Body;
            return reply;
        }

        // ---- messages (called in order from the channel's decode queue) ------------------------

        void IClientOwner.OnReply(string request, Message m) { }

        void IClientOwner.OnFrame(string text, JArray frame)
        {
            if (frames != null) frames.Add((JArray)frame.DeepClone());
            delivery.Raise(this, () => FrameReceived, new ButtplugFrameEventArgs(text, frame));
        }

        void IClientOwner.OnEvent(Message m)
        {
            var o = m.BodyObject;
            switch (m.Kind)
            {
                case "simulatorOp":
                    delivery.Raise(this, () => SimulatorOperation, SimulatorOperationEventArgs.Read(o));
                    break;
                case "log":
                    delivery.Raise(this, () => LogReceived, new LogEventArgs(LogRecord.Read(o)));
                    break;
                case "error":
                    delivery.Raise(this, () => ErrorReceived, TeleplugErrorEventArgs.Read(o));
                    break;
                case "serverDisconnected":
                    delivery.Raise(this, () => ServerDisconnected, new ServerDisconnectedEventArgs(Json.Str(o, "reason")));
                    break;
                case "closed":
                    OnFinished();
                    delivery.Raise(this, () => Closed, new ClosedEventArgs(Json.Str(o, "reason")));
                    break;
                default:
                    // Events of the client API (device lists...) do not apply to raw channels;
                    // a newer library's events are ignored too (forward compatibility).
                    break;
            }
        }

        void IClientOwner.OnFinished() { OnFinished(); }

        /// <summary>Nothing more will arrive (the closed event, or the native finalizer ran).</summary>
        void OnFinished()
        {
            lock (gate) closed = true;
            if (frames != null) frames.End(() => new TeleplugStatusException(Status.Closed, "ReceiveAsync",
                Native.StatusName((int)Status.Closed), "the channel is closed"), false);
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
}
