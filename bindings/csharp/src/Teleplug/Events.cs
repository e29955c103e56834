using System;
using System.Collections.Generic;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    public sealed class DeviceEventArgs : EventArgs
    {
        internal DeviceEventArgs(Device device) { Device = device; }
        public Device Device { get; private set; }
    }

    public sealed class DeviceListEventArgs : EventArgs
    {
        internal DeviceListEventArgs(IReadOnlyList<Device> devices) { Devices = devices; }
        public IReadOnlyList<Device> Devices { get; private set; }
    }

    public sealed class InputReadingEventArgs : EventArgs
    {
        internal InputReadingEventArgs(InputReading reading) { Reading = reading; }
        public InputReading Reading { get; private set; }
    }

    /// <summary>An error event (id 0), e.g. a ping timeout or a transport that could not start.</summary>
    public sealed class TeleplugErrorEventArgs : EventArgs
    {
        internal TeleplugErrorEventArgs(ErrorCode code, string message) { Code = code; Message = message; }

        internal static TeleplugErrorEventArgs Read(JObject o)
        {
            return new TeleplugErrorEventArgs(Json.Code(o), Json.Str(o, "message"));
        }

        public ErrorCode Code { get; private set; }
        public string Message { get; private set; }
    }

    public sealed class ServerDisconnectedEventArgs : EventArgs
    {
        internal ServerDisconnectedEventArgs(string reason) { Reason = reason; }
        public string Reason { get; private set; }
    }

    public sealed class LogEventArgs : EventArgs
    {
        internal LogEventArgs(LogRecord record) { Record = record; }
        public LogRecord Record { get; private set; }
    }

    public sealed class SimulatorOperationEventArgs : EventArgs
    {
        internal SimulatorOperationEventArgs(SimulatorOperation operation) { Operation = operation; }

        internal static SimulatorOperationEventArgs Read(JObject o)
        {
            return new SimulatorOperationEventArgs(SimulatorOperation.Read(o));
        }

        public SimulatorOperation Operation { get; private set; }
    }

    /// <summary>The last event of a client: its context shut down.</summary>
    public sealed class ClosedEventArgs : EventArgs
    {
        internal ClosedEventArgs(string reason) { Reason = reason; }
        public string Reason { get; private set; }
    }
}
