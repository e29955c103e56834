using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Teleplug
{
    /// <summary>
    /// The process-wide log callback of the library (docs/FFI.md A14): replaceable and clearable at any
    /// time. Records are copied on the library's log thread and handed to the callback through an
    /// <see cref="EventDelivery"/>. For per-client log events use <see cref="Client.SubscribeLogsAsync"/>.
    /// </summary>
    public static class TeleplugLog
    {
        sealed class Sink
        {
            internal Action<LogRecord> Callback;
            internal EventDelivery Delivery;
        }

        static readonly object gate = new object();
        static readonly ConcurrentDictionary<long, Sink> sinks = new ConcurrentDictionary<long, Sink>();
        static long nextKey;
        static long current;

        static readonly Native.LogFn logFn = OnLog;
        static readonly IntPtr LogPtr = Marshal.GetFunctionPointerForDelegate(logFn);

        /// <summary>
        /// Sets or replaces the callback: records up to <paramref name="maxLevel"/> go to
        /// <paramref name="callback"/> through <paramref name="delivery"/> (null:
        /// <see cref="EventDelivery.Capture"/>). The previous callback gets nothing logged after this returns.
        /// </summary>
        public static void SetCallback(Action<LogRecord> callback, LogLevel maxLevel, EventDelivery delivery = null)
        {
            if (callback == null) throw new ArgumentNullException("callback");
            Native.EnsureLoaded();
            var sink = new Sink { Callback = callback, Delivery = delivery ?? EventDelivery.Capture() };
            lock (gate)
            {
                long key = Interlocked.Increment(ref nextKey);
                sinks[key] = sink;
                int st = Native.tp_log_set_callback(LogPtr, new IntPtr(key), (int)maxLevel);
                if (st != 0)
                {
                    var error = Native.StatusError(st, "tp_log_set_callback");
                    Sink _;
                    sinks.TryRemove(key, out _);
                    throw error;
                }
                Forget(current);
                current = key;
            }
        }

        /// <summary>Clears the callback: the library logs nowhere.</summary>
        public static void Clear()
        {
            Native.EnsureLoaded();
            lock (gate)
            {
                Native.Check(Native.tp_log_set_callback(IntPtr.Zero, IntPtr.Zero, 0), "tp_log_set_callback");
                Forget(current);
                current = 0;
            }
        }

        /// <summary>Clears the native callback if one is set (process exit, domain reload).</summary>
        internal static void Detach()
        {
            lock (gate)
            {
                if (current == 0) return;
                Native.tp_log_set_callback(IntPtr.Zero, IntPtr.Zero, 0);
                Forget(current);
                current = 0;
            }
        }

        static void Forget(long key)
        {
            Sink _;
            if (key != 0) sinks.TryRemove(key, out _);
        }

        [AOT.MonoPInvokeCallback(typeof(Native.LogFn))]
        static void OnLog(IntPtr userData, int level, IntPtr msg, UIntPtr len)
        {
            try
            {
                Sink sink;
                if (!sinks.TryGetValue(userData.ToInt64(), out sink)) return;
                var bytes = Native.Copy(msg, len);
                var record = new LogRecord((LogLevel)level, "", Encoding.UTF8.GetString(bytes));
                var cb = sink.Callback;
                sink.Delivery.Post(() => cb(record));
            }
            catch (Exception e)
            {
                TeleplugDiagnostics.ReportHandlerException(e);
            }
        }
    }
}
