using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    /// <summary>Options of a <see cref="Client"/>.</summary>
    public sealed class ClientOptions
    {
        /// <summary>The context to create the client in; null: the client creates and owns a
        /// private context (disposed with the client).</summary>
        public TeleplugContext Context { get; set; }

        /// <summary>Where event handlers run; null: <see cref="EventDelivery.Capture"/> at creation
        /// (the current SynchronizationContext, else a thread-pool queue).</summary>
        public EventDelivery Delivery { get; set; }
    }

    /// <summary>
    /// A Buttplug client: connects to the embedded server (the default) or to a remote one, finds
    /// devices and drives them. Methods return Tasks completed by the library's replies; events
    /// run through the client's <see cref="EventDelivery"/>. Dispose stops every device of the
    /// connection; it is idempotent, thread-safe and legal inside event handlers.
    /// </summary>
    public sealed class Client : IDisposable, IClientOwner
    {
        readonly ClientHandle handle = new ClientHandle();
        readonly ClientCore core;
        readonly bool ownsContext;
        readonly object gate = new object();
        readonly Dictionary<uint, Device> devices = new Dictionary<uint, Device>();
        readonly EventDelivery delivery;
        volatile bool disposed;
        ServerInfo serverInfo;
        bool connected;
        bool closed;

        public Client(string name) : this(name, null) { }

        /// <summary>Creates a client named <paramref name="name"/> (sent in the handshake).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="TeleplugLoadException">The native library is missing or of another ABI.</exception>
        /// <exception cref="TeleplugStatusException">The context is shut down.</exception>
        /// <exception cref="ObjectDisposedException">The context is disposed.</exception>
        public Client(string name, ClientOptions options)
        {
            if (name == null) throw new ArgumentNullException("name");
            options = options ?? new ClientOptions();
            Name = name;
            delivery = options.Delivery ?? EventDelivery.Capture();
            Simulator = new Simulator(this);
            core = new ClientCore(this, Native.FormatJson, "Client", "client");
            Context = core.Open(handle, options.Context, name);
            ownsContext = options.Context == null;
        }

        public string Name { get; private set; }

        /// <summary>The context the client lives in.</summary>
        public TeleplugContext Context { get; private set; }

        /// <summary>Simulated devices of the embedded server.</summary>
        public Simulator Simulator { get; private set; }

        public bool IsDisposed { get { return disposed; } }

        /// <summary>Whether the client is connected (after ConnectAsync, until a disconnect).</summary>
        public bool Connected { get { lock (gate) return connected; } }

        /// <summary>The server of the current connection, or null.</summary>
        public ServerInfo ServerInfo { get { lock (gate) return connected ? serverInfo : null; } }

        /// <summary>The devices of the current connection, by index (updated before the events about them run).</summary>
        public IReadOnlyList<Device> Devices
        {
            get { lock (gate) return devices.Values.OrderBy(d => d.Index).ToList().AsReadOnly(); }
        }

        /// <summary>The device with this index, or null.</summary>
        public Device GetDevice(uint index)
        {
            lock (gate)
            {
                Device d;
                return devices.TryGetValue(index, out d) ? d : null;
            }
        }

        // ---- events --------------------------------------------------------------------------

        public event EventHandler<DeviceEventArgs> DeviceAdded;
        public event EventHandler<DeviceEventArgs> DeviceRemoved;
        /// <summary>The device list changed (after the added/removed events of that change).</summary>
        public event EventHandler<DeviceListEventArgs> DeviceListChanged;
        public event EventHandler ScanningFinished;
        /// <summary>A reading of a subscribed input.</summary>
        public event EventHandler<InputReadingEventArgs> InputReadingReceived;
        /// <summary>An error not tied to a request (e.g. the server's ping timeout).</summary>
        public event EventHandler<TeleplugErrorEventArgs> ErrorReceived;
        /// <summary>The connection ended; the client may connect again.</summary>
        public event EventHandler<ServerDisconnectedEventArgs> ServerDisconnected;
        /// <summary>A log record, after <see cref="SubscribeLogsAsync"/>.</summary>
        public event EventHandler<LogEventArgs> LogReceived;
        /// <summary>What an observed simulated device went through.</summary>
        public event EventHandler<SimulatorOperationEventArgs> SimulatorOperation;
        /// <summary>The context shut down; nothing follows.</summary>
        public event EventHandler<ClosedEventArgs> Closed;

        // ---- requests ------------------------------------------------------------------------

        /// <summary>Connects to the embedded server with default options (every transport).</summary>
        public Task<ServerInfo> ConnectAsync()
        {
            return Connect(new JObject());
        }

        /// <summary>Connects to the embedded server.</summary>
        public Task<ServerInfo> ConnectAsync(EmbeddedOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            return Connect(new JObject { { "embedded", options.ToJson() } });
        }

        /// <summary>Connects to a remote Buttplug server (Intiface, <c>teleplug serve</c>) at a ws:// URL.</summary>
        public Task<ServerInfo> ConnectAsync(string url)
        {
            if (url == null) throw new ArgumentNullException("url");
            return Connect(new JObject { { "remote", new JObject { { "url", url } } } });
        }

        async Task<ServerInfo> Connect(JObject body)
        {
            var m = await Request("connect", body).ConfigureAwait(false);
            return ServerInfo.Read(Expect(m, "connected", "connect"));
        }

        /// <summary>Disconnects (every device stops). The client may connect again.</summary>
        public Task DisconnectAsync() { return RequestOk("disconnect", new JObject()); }

        public Task StartScanningAsync() { return RequestOk("startScanning", new JObject()); }

        public Task StopScanningAsync() { return RequestOk("stopScanning", new JObject()); }

        /// <summary>Asks the server for its device list (also updates <see cref="Devices"/>).</summary>
        public async Task<IReadOnlyList<Device>> RequestDeviceListAsync()
        {
            var m = await Request("requestDeviceList", new JObject()).ConfigureAwait(false);
            Expect(m, "deviceList", "requestDeviceList");
            return Devices;
        }

        public Task PingAsync() { return RequestOk("ping", new JObject()); }

        /// <summary>Receive the library's log records up to <paramref name="maxLevel"/> as
        /// <see cref="LogReceived"/> events (<see cref="LogLevel.Off"/> stops them).</summary>
        public Task SubscribeLogsAsync(LogLevel maxLevel)
        {
            return RequestOk("subscribeLogs", new JObject { { "maxLevel", EnumToken(ProtoEnum.LogLevel, (int)maxLevel) } });
        }

        /// <summary>Stops every device.</summary>
        public Task StopAllDevicesAsync() { return StopAsync(null, null); }

        /// <summary>Stops one device (<paramref name="featureIndex"/> null) or one feature.</summary>
        public Task StopAsync(uint? deviceIndex, uint? featureIndex, bool inputs = true, bool outputs = true)
        {
            if (featureIndex.HasValue && !deviceIndex.HasValue)
                throw new ArgumentException("a feature index needs a device index", "featureIndex");
            var o = new JObject();
            if (deviceIndex.HasValue) o["deviceIndex"] = deviceIndex.Value;
            if (featureIndex.HasValue) o["featureIndex"] = featureIndex.Value;
            // Optional fields: written only when they differ from "unset" (true).
            if (!inputs) o["inputs"] = false;
            if (!outputs) o["outputs"] = false;
            return RequestOk("stop", o);
        }

        /// <summary>Drives an output at a fraction of its range; the library converts it to steps.</summary>
        public Task RunOutputAsync(uint deviceIndex, uint featureIndex, OutputType type, double fraction, uint durationMs = 0)
        {
            var o = OutputBody(deviceIndex, featureIndex, type, durationMs);
            o["fraction"] = fraction;
            return RequestOk("output", o);
        }

        /// <summary>Drives an output with a value in its step range.</summary>
        public Task RunOutputStepsAsync(uint deviceIndex, uint featureIndex, OutputType type, int steps, uint durationMs = 0)
        {
            var o = OutputBody(deviceIndex, featureIndex, type, durationMs);
            o["steps"] = steps;
            return RequestOk("output", o);
        }

        static JObject OutputBody(uint deviceIndex, uint featureIndex, OutputType type, uint durationMs)
        {
            var o = new JObject
            {
                { "deviceIndex", deviceIndex }, { "featureIndex", featureIndex },
                { "type", EnumToken(ProtoEnum.OutputType, (int)type) },
            };
            if (durationMs != 0) o["durationMs"] = durationMs;
            return o;
        }

        /// <summary>Reads an input once.</summary>
        public async Task<int> ReadInputAsync(uint deviceIndex, uint featureIndex, InputType type)
        {
            var m = await Request("input", InputBody(deviceIndex, featureIndex, type, InputCommandType.Read))
                .ConfigureAwait(false);
            return InputReading.Read(Expect(m, "inputReading", "input")).Value;
        }

        /// <summary>Subscribes to or unsubscribes from an input.</summary>
        public Task InputCommandAsync(uint deviceIndex, uint featureIndex, InputType type, InputCommandType command)
        {
            return RequestOk("input", InputBody(deviceIndex, featureIndex, type, command));
        }

        static JObject InputBody(uint deviceIndex, uint featureIndex, InputType type, InputCommandType command)
        {
            return new JObject
            {
                { "deviceIndex", deviceIndex }, { "featureIndex", featureIndex },
                { "type", EnumToken(ProtoEnum.InputType, (int)type) },
                { "command", EnumToken(ProtoEnum.InputCommandType, (int)command) },
            };
        }

        /// <summary>A schema enum as its name; values this wrapper does not know go as integers, so
        /// the library (not the wrapper) decides whether they are valid.</summary>
        static JToken EnumToken(ProtoEnum e, int value)
        {
            try
            {
                return e.Name(value);
            }
            catch (ArgumentOutOfRangeException)
            {
                return value;
            }
        }

        // ---- plumbing ------------------------------------------------------------------------

        internal Task RequestOk(string kind, JObject body)
        {
            return Request(kind, body);
        }

        /// <summary>Sends one request; the task completes with its reply (error replies fault it
        /// with <see cref="TeleplugRequestException"/>, refused sends with
        /// <see cref="TeleplugStatusException"/>).</summary>
        internal Task<Message> Request(string kind, JToken body)
        {
            if (disposed) throw new ObjectDisposedException("Client");
            return core.Request(handle, kind, body);
        }

        /// <summary>Sends a debug request (test hooks; needs a context with <see cref="ContextFlags.Debug"/>).</summary>
        internal Task<Message> DebugAsync(JObject action)
        {
            return Request("debug", action);
        }

        static JObject Expect(Message m, string kind, string request)
        {
            if (m.Kind != kind)
                throw new TeleplugProtocolException(string.Format("{0}: expected a {1} reply, got {2}", request, kind,
                    m.Kind ?? "an empty body"));
            return m.BodyObject;
        }

        // ---- messages (called in order from the client's decode queue) -------------------------

        void IClientOwner.OnFrame(string text, JArray frame) { }

        void IClientOwner.OnFinished() { }

        void IClientOwner.OnReply(string request, Message m)
        {
            lock (gate)
            {
                switch (m.Kind)
                {
                    case "connected":
                        var o = m.BodyObject;
                        serverInfo = ServerInfo.Read(o);
                        connected = true;
                        SetDevices(Json.Arr(o, "devices"));
                        break;
                    case "deviceList":
                        SetDevices(Json.Arr(m.BodyObject, "devices"));
                        break;
                    case "ok":
                        if (request == "disconnect")
                        {
                            connected = false;
                            devices.Clear();
                        }
                        break;
                }
            }
        }

        void SetDevices(JArray list)
        {
            devices.Clear();
            foreach (var d in list.OfType<JObject>())
            {
                var dev = new Device(this, d);
                devices[dev.Index] = dev;
            }
        }

        void IClientOwner.OnEvent(Message m)
        {
            var o = m.BodyObject;
            switch (m.Kind)
            {
                case "deviceAdded":
                {
                    var dev = new Device(this, Json.Obj(o, "device") ?? new JObject());
                    lock (gate) devices[dev.Index] = dev;
                    delivery.Raise(this, () => DeviceAdded, new DeviceEventArgs(dev));
                    break;
                }
                case "deviceRemoved":
                {
                    var dev = new Device(this, Json.Obj(o, "device") ?? new JObject());
                    lock (gate) devices.Remove(dev.Index);
                    delivery.Raise(this, () => DeviceRemoved, new DeviceEventArgs(dev));
                    break;
                }
                case "deviceListChanged":
                {
                    IReadOnlyList<Device> list;
                    lock (gate)
                    {
                        SetDevices(Json.Arr(o, "devices"));
                        list = devices.Values.OrderBy(d => d.Index).ToList().AsReadOnly();
                    }
                    delivery.Raise(this, () => DeviceListChanged, new DeviceListEventArgs(list));
                    break;
                }
                case "scanningFinished":
                    delivery.Raise(this, () => ScanningFinished, EventArgs.Empty);
                    break;
                case "inputReading":
                    delivery.Raise(this, () => InputReadingReceived, new InputReadingEventArgs(InputReading.Read(o)));
                    break;
                case "error":
                    delivery.Raise(this, () => ErrorReceived, TeleplugErrorEventArgs.Read(o));
                    break;
                case "serverDisconnected":
                    lock (gate)
                    {
                        connected = false;
                        devices.Clear();
                    }
                    delivery.Raise(this, () => ServerDisconnected, new ServerDisconnectedEventArgs(Json.Str(o, "reason")));
                    break;
                case "log":
                    delivery.Raise(this, () => LogReceived, new LogEventArgs(LogRecord.Read(o)));
                    break;
                case "simulatorOp":
                    delivery.Raise(this, () => SimulatorOperation, SimulatorOperationEventArgs.Read(o));
                    break;
                case "closed":
                    lock (gate)
                    {
                        connected = false;
                        closed = true;
                        devices.Clear();
                    }
                    delivery.Raise(this, () => Closed, new ClosedEventArgs(Json.Str(o, "reason")));
                    break;
                default:
                    // A newer library's event: ignored (forward compatibility).
                    break;
            }
        }

        /// <summary>Whether the context shut down (the <see cref="Closed"/> event came).</summary>
        public bool IsClosed { get { lock (gate) return closed; } }

        // ---- lifetime ------------------------------------------------------------------------

        /// <summary>
        /// Frees the client: its connection closes and every device stops; requests still pending
        /// fail with <see cref="ObjectDisposedException"/>; no handler of this client starts after
        /// it returns. A client that owns its context also shuts that down. Idempotent, thread-safe,
        /// and legal inside this client's event handlers (they never run inside a native callback).
        /// </summary>
        public void Dispose()
        {
            lock (gate)
            {
                if (disposed) return;
                disposed = true;
            }
            handle.Dispose();
            if (ownsContext) Context.Dispose();
        }
    }
}
