// The enums of include/teleplug.h and proto/teleplug.proto, with the proto3 JSON names of the
// schema enums. Tests check both files against these declarations.
using System;
using System.Collections.Generic;

namespace Teleplug
{
    /// <summary>Status codes of the native calls (TP_* in teleplug.h).</summary>
    public enum Status
    {
        Ok = 0,
        Timeout = 7001,
        Closed = 7002,
        NullArg = 7101,
        InvalidArg = 7102,
        Decode = 7103,
        InvalidHandle = 7104,
        Shutdown = 7105,
        Panic = 7106,
        Busy = 7107,
        Internal = 7108,
    }

    /// <summary>Flags of <see cref="TeleplugContext"/>.</summary>
    [Flags]
    public enum ContextFlags : uint
    {
        None = 0,
        /// <summary>Honour debug requests (test hooks such as injected panics).</summary>
        Debug = 1,
    }

    /// <summary>Error codes of error replies and error events (schema ErrorCode).</summary>
    public enum ErrorCode
    {
        Unknown = 0,
        Init = 1,
        Ping = 2,
        Message = 3,
        Device = 4,
        NotConnected = 10,
        AlreadyConnected = 11,
        InvalidArgument = 12,
        ConnectFailed = 13,
        Unsupported = 14,
        Panic = 15,
        Shutdown = 16,
    }

    public enum OutputType
    {
        Unspecified = 0,
        Vibrate = 1,
        Rotate = 2,
        Oscillate = 3,
        Constrict = 4,
        Temperature = 5,
        Led = 6,
        Spray = 7,
        Position = 8,
        HwPositionWithDuration = 9,
    }

    public enum InputType
    {
        Unspecified = 0,
        Battery = 1,
        Rssi = 2,
        Pressure = 3,
        Button = 4,
        Depth = 5,
        Position = 6,
    }

    public enum InputCommandType
    {
        Unspecified = 0,
        Read = 1,
        Subscribe = 2,
        Unsubscribe = 3,
    }

    /// <summary>Log levels (TP_LOG_* and schema LogLevel).</summary>
    public enum LogLevel
    {
        Off = 0,
        Error = 1,
        Warn = 2,
        Info = 3,
        Debug = 4,
        Trace = 5,
    }

    public enum SimulatorOpKind
    {
        Unspecified = 0,
        /// <summary>The server identified the device (Protocol, Name).</summary>
        Connected = 1,
        /// <summary>Bytes written (Endpoint, Data, WriteWithResponse).</summary>
        Write = 2,
        Read = 3,
        Subscribe = 4,
        Unsubscribe = 5,
        Disconnected = 6,
    }

    /// <summary>Hardware transports an embedded server can skip (schema TransportBit).</summary>
    [Flags]
    public enum Transports : uint
    {
        None = 0,
        Bluetooth = 1,
        Serial = 2,
        Hid = 4,
        All = Bluetooth | Serial | Hid,
    }

    /// <summary>The proto3 JSON names of a schema enum (names out; names or integers in).</summary>
    internal sealed class ProtoEnum
    {
        readonly Dictionary<int, string> names = new Dictionary<int, string>();
        readonly Dictionary<string, int> values = new Dictionary<string, int>(StringComparer.Ordinal);
        internal readonly string ProtoName;

        ProtoEnum(string protoName, string prefix, params string[] members)
        {
            ProtoName = protoName;
            // members: "NAME=value" pairs, or plain names numbered from 0.
            int next = 0;
            foreach (var m in members)
            {
                string name = m;
                int eq = m.IndexOf('=');
                if (eq >= 0)
                {
                    name = m.Substring(0, eq);
                    next = int.Parse(m.Substring(eq + 1));
                }
                names[next] = prefix + name;
                values[prefix + name] = next;
                next++;
            }
        }

        internal IEnumerable<KeyValuePair<string, int>> Members { get { return values; } }

        internal string Name(int value)
        {
            string n;
            if (names.TryGetValue(value, out n)) return n;
            throw new ArgumentOutOfRangeException("value", value, "not a value of " + ProtoName);
        }

        /// <summary>The value of a name or integer; unknown names read as 0 (forward compatibility).</summary>
        internal int Value(Newtonsoft.Json.Linq.JToken token)
        {
            if (token == null) return 0;
            if (token.Type == Newtonsoft.Json.Linq.JTokenType.Integer) return (int)(long)token;
            if (token.Type == Newtonsoft.Json.Linq.JTokenType.String)
            {
                string s = (string)token;
                int v;
                if (values.TryGetValue(s, out v)) return v;
                if (int.TryParse(s, out v)) return v;
            }
            return 0;
        }

        internal static readonly ProtoEnum OutputType = new ProtoEnum("OutputType", "OUTPUT_TYPE_",
            "UNSPECIFIED", "VIBRATE", "ROTATE", "OSCILLATE", "CONSTRICT", "TEMPERATURE", "LED", "SPRAY",
            "POSITION", "HW_POSITION_WITH_DURATION");

        internal static readonly ProtoEnum InputType = new ProtoEnum("InputType", "INPUT_TYPE_",
            "UNSPECIFIED", "BATTERY", "RSSI", "PRESSURE", "BUTTON", "DEPTH", "POSITION");

        internal static readonly ProtoEnum InputCommandType = new ProtoEnum("InputCommandType",
            "INPUT_COMMAND_TYPE_", "UNSPECIFIED", "READ", "SUBSCRIBE", "UNSUBSCRIBE");

        internal static readonly ProtoEnum ErrorCode = new ProtoEnum("ErrorCode", "ERROR_CODE_",
            "UNKNOWN", "INIT", "PING", "MESSAGE", "DEVICE", "NOT_CONNECTED=10", "ALREADY_CONNECTED",
            "INVALID_ARGUMENT", "CONNECT_FAILED", "UNSUPPORTED", "PANIC", "SHUTDOWN");

        internal static readonly ProtoEnum LogLevel = new ProtoEnum("LogLevel", "LOG_LEVEL_",
            "OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE");

        internal static readonly ProtoEnum SimulatorOpKind = new ProtoEnum("SimulatorOpKind",
            "SIMULATOR_OP_KIND_", "UNSPECIFIED", "CONNECTED", "WRITE", "READ", "SUBSCRIBE",
            "UNSUBSCRIBE", "DISCONNECTED");

        internal static readonly ProtoEnum TransportBit = new ProtoEnum("TransportBit", "TRANSPORT_BIT_",
            "NONE", "BLUETOOTH", "SERIAL", "HID=4");

        internal static readonly ProtoEnum PanicSite = new ProtoEnum("PanicSite", "PANIC_SITE_",
            "TASK", "SEND");

        internal static readonly ProtoEnum SchemaVersion = new ProtoEnum("SchemaVersion", "SCHEMA_VERSION_",
            "UNSPECIFIED", "CURRENT");

        /// <summary>Every schema enum the wrapper knows (checked against the .proto by a test).</summary>
        internal static readonly ProtoEnum[] All =
        {
            OutputType, InputType, InputCommandType, ErrorCode, LogLevel, SimulatorOpKind,
            TransportBit, PanicSite, SchemaVersion,
        };
    }
}
