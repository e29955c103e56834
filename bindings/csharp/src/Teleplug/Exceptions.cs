using System;

namespace Teleplug
{
    /// <summary>The base of every error Teleplug reports. <see cref="Code"/> is the numeric code:
    /// a <see cref="Status"/> for failed native calls, an <see cref="ErrorCode"/> for error replies.</summary>
    public abstract class TeleplugException : Exception
    {
        protected TeleplugException(string message, Exception inner = null) : base(message, inner) { }

        /// <summary>The numeric error code (a Status, or an ErrorCode of an error reply).</summary>
        public abstract int Code { get; }
    }

    /// <summary>A native call returned an error status (bad handle, undecodable message, shut down...).</summary>
    public sealed class TeleplugStatusException : TeleplugException
    {
        public TeleplugStatusException(Status status, string function, string statusText, string detail)
            : base(string.Format("{0} failed: {1} ({2}){3}", function, statusText, (int)status,
                string.IsNullOrEmpty(detail) ? "" : ": " + detail))
        {
            Status = status;
            Function = function;
            Detail = detail ?? "";
        }

        public Status Status { get; private set; }
        /// <summary>The native function that failed.</summary>
        public string Function { get; private set; }
        /// <summary>The library's last-error text for that call.</summary>
        public string Detail { get; private set; }
        public override int Code { get { return (int)Status; } }
    }

    /// <summary>The library answered a request with an error (device errors, not connected, bad
    /// value, connect failure...).</summary>
    public sealed class TeleplugRequestException : TeleplugException
    {
        public TeleplugRequestException(ErrorCode errorCode, string request, string detail)
            : base(string.Format("{0} failed: {1}: {2}", request, errorCode, detail))
        {
            ErrorCode = errorCode;
            Request = request;
            Detail = detail ?? "";
        }

        public ErrorCode ErrorCode { get; private set; }
        /// <summary>The request body that failed (e.g. "output", "connect").</summary>
        public string Request { get; private set; }
        /// <summary>The library's error text.</summary>
        public string Detail { get; private set; }
        public override int Code { get { return (int)ErrorCode; } }
    }

    /// <summary>The native library is missing or of another ABI version.</summary>
    public sealed class TeleplugLoadException : TeleplugException
    {
        public TeleplugLoadException(string message, Exception inner = null) : base(message, inner) { }
        public override int Code { get { return (int)Status.Internal; } }
    }

    /// <summary>A message from the library could not be understood (a newer or broken library).</summary>
    public sealed class TeleplugProtocolException : TeleplugException
    {
        public TeleplugProtocolException(string message, Exception inner = null) : base(message, inner) { }
        public override int Code { get { return (int)Status.Decode; } }
    }
}
