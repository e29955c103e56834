// Plain data read from the library's messages. Everything here is marshalling: ranges, feature
// lists and values come from the library as they are.
using System;
using System.Collections.Generic;
using System.Linq;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    /// <summary>An inclusive range of steps (or milliseconds).</summary>
    public struct ValueRange
    {
        public ValueRange(int min, int max) { Min = min; Max = max; }
        public int Min;
        public int Max;
        public override string ToString() { return "[" + Min + ", " + Max + "]"; }

        internal static ValueRange Read(JObject o)
        {
            return o == null ? new ValueRange() : new ValueRange(Json.I32(o, "min"), Json.I32(o, "max"));
        }
    }

    /// <summary>One output of a feature (vibrate, rotate, position...).</summary>
    public sealed class OutputDescription
    {
        public OutputType Type { get; private set; }
        /// <summary>The step range a command value must lie in.</summary>
        public ValueRange Value { get; private set; }
        /// <summary>The duration range in ms (HwPositionWithDuration only).</summary>
        public ValueRange Duration { get; private set; }

        internal static OutputDescription Read(JObject o)
        {
            return new OutputDescription
            {
                Type = (OutputType)ProtoEnum.OutputType.Value(Json.Field(o, "type")),
                Value = ValueRange.Read(Json.Obj(o, "value")),
                Duration = ValueRange.Read(Json.Obj(o, "duration")),
            };
        }

        public override string ToString() { return Type + " " + Value; }
    }

    /// <summary>One input of a feature (battery, pressure, button...).</summary>
    public sealed class InputDescription
    {
        public InputType Type { get; private set; }
        /// <summary>The commands this input accepts (read, subscribe, unsubscribe).</summary>
        public IReadOnlyList<InputCommandType> Commands { get; private set; }
        /// <summary>The value range of each channel of a reading.</summary>
        public IReadOnlyList<ValueRange> Values { get; private set; }

        internal static InputDescription Read(JObject o)
        {
            return new InputDescription
            {
                Type = (InputType)ProtoEnum.InputType.Value(Json.Field(o, "type")),
                Commands = Json.Arr(o, "commands")
                    .Select(t => (InputCommandType)ProtoEnum.InputCommandType.Value(t)).ToList().AsReadOnly(),
                Values = Json.Arr(o, "value").OfType<JObject>().Select(ValueRange.Read).ToList().AsReadOnly(),
            };
        }

        public override string ToString() { return Type + " (" + string.Join(", ", Commands) + ")"; }
    }

    /// <summary>The server a client is connected to.</summary>
    public sealed class ServerInfo
    {
        public string ServerName { get; private set; }
        public uint MaxPingTimeMs { get; private set; }
        public uint ProtocolVersionMajor { get; private set; }
        public uint ProtocolVersionMinor { get; private set; }

        internal static ServerInfo Read(JObject o)
        {
            return new ServerInfo
            {
                ServerName = Json.Str(o, "serverName"),
                MaxPingTimeMs = Json.U32(o, "maxPingTimeMs"),
                ProtocolVersionMajor = Json.U32(o, "protocolVersionMajor"),
                ProtocolVersionMinor = Json.U32(o, "protocolVersionMinor"),
            };
        }
    }

    /// <summary>A value read from an input (a reply to a read, or a subscription event).</summary>
    public sealed class InputReading
    {
        public uint DeviceIndex { get; private set; }
        public uint FeatureIndex { get; private set; }
        public InputType Type { get; private set; }
        public int Value { get; private set; }

        internal static InputReading Read(JObject o)
        {
            return new InputReading
            {
                DeviceIndex = Json.U32(o, "deviceIndex"),
                FeatureIndex = Json.U32(o, "featureIndex"),
                Type = (InputType)ProtoEnum.InputType.Value(Json.Field(o, "type")),
                Value = Json.I32(o, "value"),
            };
        }

        public override string ToString()
        {
            return string.Format("device {0} feature {1} {2} = {3}", DeviceIndex, FeatureIndex, Type, Value);
        }
    }

    /// <summary>A log record of the library.</summary>
    public sealed class LogRecord
    {
        public LogRecord(LogLevel level, string target, string message)
        {
            Level = level;
            Target = target ?? "";
            Message = message ?? "";
        }

        public LogLevel Level { get; private set; }
        /// <summary>The module that logged (empty for the process-wide log callback).</summary>
        public string Target { get; private set; }
        public string Message { get; private set; }

        internal static LogRecord Read(JObject o)
        {
            return new LogRecord((LogLevel)ProtoEnum.LogLevel.Value(Json.Field(o, "level")),
                Json.Str(o, "target"), Json.Str(o, "message"));
        }

        public override string ToString() { return Level + " " + Target + ": " + Message; }
    }

    /// <summary>Something an observed simulated device went through (what it received).</summary>
    public sealed class SimulatorOperation
    {
        public string Address { get; private set; }
        public SimulatorOpKind Kind { get; private set; }
        public string Endpoint { get; private set; }
        public byte[] Data { get; private set; }
        /// <summary><see cref="Data"/> as text when it is valid UTF-8, else empty.</summary>
        public string Text { get; private set; }
        public bool WriteWithResponse { get; private set; }
        public string Protocol { get; private set; }
        public string Name { get; private set; }

        internal static SimulatorOperation Read(JObject o)
        {
            return new SimulatorOperation
            {
                Address = Json.Str(o, "address"),
                Kind = (SimulatorOpKind)ProtoEnum.SimulatorOpKind.Value(Json.Field(o, "kind")),
                Endpoint = Json.Str(o, "endpoint"),
                Data = Json.Bytes(o, "data"),
                Text = Json.Str(o, "text"),
                WriteWithResponse = Json.Bool(o, "writeWithResponse"),
                Protocol = Json.Str(o, "protocol"),
                Name = Json.Str(o, "name"),
            };
        }

        public override string ToString()
        {
            return string.Format("{0} {1} {2} {3}", Address, Kind, Endpoint,
                Text.Length > 0 ? Text : BitConverter.ToString(Data));
        }
    }

    /// <summary>Options of the embedded server (schema EmbeddedOptions).</summary>
    public sealed class EmbeddedOptions
    {
        public EmbeddedOptions()
        {
            SerialPorts = new List<string>();
            AllowedClients = new List<string>();
        }

        /// <summary>ServerName in the handshake; null or empty: "Teleplug Server".</summary>
        public string ServerName { get; set; }
        /// <summary>Clients must ping at least this often (ms); 0: no ping required.</summary>
        public uint MaxPingTimeMs { get; set; }
        /// <summary>Hardware transports switched off; <see cref="Transports.All"/>: simulated devices only.</summary>
        public Transports DisabledTransports { get; set; }
        /// <summary>Serial ports to open besides enumerated ones.</summary>
        public List<string> SerialPorts { get; private set; }
        /// <summary>A replacement device database (device-config JSON text); null: the embedded one.</summary>
        public string DeviceConfigJson { get; set; }
        /// <summary>A user device config (JSON text); null: none.</summary>
        public string UserConfigJson { get; set; }
        /// <summary>If not empty, only these client names may connect.</summary>
        public List<string> AllowedClients { get; private set; }
        /// <summary>Scans of simulated devices end after this many ms; 0: scan until stopped.</summary>
        public uint SimulatorScanMs { get; set; }
        /// <summary>Serve the Lovense local API (games that speak Lovense) on 127.0.0.1 at this port; 0: off.</summary>
        public uint LovenseApiPort { get; set; }

        internal JObject ToJson()
        {
            var o = new JObject();
            if (!string.IsNullOrEmpty(ServerName)) o["serverName"] = ServerName;
            if (MaxPingTimeMs != 0) o["maxPingTimeMs"] = MaxPingTimeMs;
            if (DisabledTransports != 0) o["disabledTransports"] = (uint)DisabledTransports;
            Json.PutArray(o, "serialPorts", SerialPorts, "SerialPorts", s => s);
            if (!string.IsNullOrEmpty(DeviceConfigJson)) o["deviceConfigJson"] = DeviceConfigJson;
            if (!string.IsNullOrEmpty(UserConfigJson)) o["userConfigJson"] = UserConfigJson;
            Json.PutArray(o, "allowedClients", AllowedClients, "AllowedClients", s => s);
            if (SimulatorScanMs != 0) o["simulatorScanMs"] = SimulatorScanMs;
            if (LovenseApiPort != 0) o["lovenseApiPort"] = LovenseApiPort;
            return o;
        }
    }

    /// <summary>Bluetooth manufacturer data of a simulated device.</summary>
    public sealed class ManufacturerData
    {
        public ManufacturerData(ushort company, byte[] data) { Company = company; Data = data ?? new byte[0]; }
        public ushort Company { get; private set; }
        public byte[] Data { get; private set; }
    }

    /// <summary>When exactly <see cref="OnWrite"/> is written, the device notifies <see cref="Reply"/> on <see cref="Endpoint"/>.</summary>
    public sealed class AutoReply
    {
        public AutoReply(byte[] onWrite, string endpoint, byte[] reply)
        {
            if (endpoint == null) throw new ArgumentNullException("endpoint");
            OnWrite = onWrite ?? new byte[0];
            Endpoint = endpoint;
            Reply = reply ?? new byte[0];
        }
        public byte[] OnWrite { get; private set; }
        public string Endpoint { get; private set; }
        public byte[] Reply { get; private set; }
    }

    /// <summary>A simulated BLE device, matched against the device database like real hardware.</summary>
    public sealed class SimulatedDeviceSpec
    {
        public SimulatedDeviceSpec(string name, string address)
        {
            if (name == null) throw new ArgumentNullException("name");
            if (address == null) throw new ArgumentNullException("address");
            Name = name;
            Address = address;
            Services = new List<string>();
            ManufacturerData = new List<ManufacturerData>();
            AutoReplies = new List<AutoReply>();
            ReadValues = new Dictionary<string, byte[]>();
        }

        /// <summary>Advertised name.</summary>
        public string Name { get; private set; }
        /// <summary>Unique address; names the device in later simulator requests and events.</summary>
        public string Address { get; private set; }
        /// <summary>Advertised service UUIDs.</summary>
        public List<string> Services { get; private set; }
        public List<ManufacturerData> ManufacturerData { get; private set; }
        public List<AutoReply> AutoReplies { get; private set; }
        /// <summary>The answer to reads of an endpoint when no read reply is queued.</summary>
        public Dictionary<string, byte[]> ReadValues { get; private set; }
        /// <summary>The transport's default message gap (ms).</summary>
        public uint MessageGapMs { get; set; }

        internal JObject ToJson()
        {
            var o = new JObject();
            o["name"] = Name;
            o["address"] = Address;
            Json.PutArray(o, "services", Services, "Services", s => s);
            Json.PutArray(o, "manufacturerData", ManufacturerData, "ManufacturerData",
                m => new JObject { { "company", (uint)m.Company }, { "data", Json.Base64(m.Data) } });
            Json.PutArray(o, "autoReplies", AutoReplies, "AutoReplies", r => new JObject
            {
                { "onWrite", Json.Base64(r.OnWrite) }, { "endpoint", r.Endpoint }, { "reply", Json.Base64(r.Reply) },
            });
            Json.PutArray(o, "readValues", ReadValues, "ReadValues",
                kv => new JObject { { "endpoint", kv.Key }, { "data", Json.Base64(kv.Value) } });
            if (MessageGapMs != 0) o["messageGapMs"] = MessageGapMs;
            return o;
        }
    }
}
