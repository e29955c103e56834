using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug.Tests
{
    static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition) throw new Exception("assertion failed: " + what);
        }

        public static void Equal<T>(T expected, T actual, string what = "value")
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new Exception(string.Format("{0}: expected {1}, got {2}", what, expected, actual));
        }

        /// <summary>The exception <paramref name="action"/> throws, synchronously or through its task.</summary>
        public static TException Throws<TException>(Func<Task> action, string what = null) where TException : Exception
        {
            Exception caught = null;
            try
            {
                Support.Await(action());
            }
            catch (Exception e)
            {
                caught = e;
            }
            var typed = caught as TException;
            if (typed == null)
                throw new Exception(string.Format("{0}: expected {1}, got {2}", what ?? "call", typeof(TException).Name,
                    caught == null ? "no exception" : caught.ToString()));
            return typed;
        }

        public static TException Throws<TException>(Action action, string what = null) where TException : Exception
        {
            return Throws<TException>(() => { action(); return Task.FromResult(0); }, what);
        }

        public static void RequestError(ErrorCode code, Func<Task> action, string what)
        {
            var e = Throws<TeleplugRequestException>(action, what);
            Equal(code, e.ErrorCode, what + ": error code");
            Equal((int)code, e.Code, what + ": numeric code");
            True(e.Message.Length > 0, what + ": has a message");
        }

        public static void StatusError(Status status, Func<Task> action, string what)
        {
            var e = Throws<TeleplugStatusException>(action, what);
            Equal(status, e.Status, what + ": status");
            Equal((int)status, e.Code, what + ": numeric code");
        }
    }

    static class Support
    {
        public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

        /// <summary>The repository root (TELEPLUG_ROOT, or found above the test assembly).</summary>
        public static string Root
        {
            get
            {
                var env = Environment.GetEnvironmentVariable("TELEPLUG_ROOT");
                if (!string.IsNullOrEmpty(env)) return env;
                var dir = Path.GetDirectoryName(typeof(Support).Assembly.Location);
                while (dir != null && !File.Exists(Path.Combine(dir, "include", "teleplug.h")))
                    dir = Path.GetDirectoryName(dir);
                if (dir == null) throw new Exception("repository root not found: set TELEPLUG_ROOT");
                return dir;
            }
        }

        public static T Await<T>(Task<T> task, TimeSpan? timeout = null)
        {
            Await((Task)task, timeout);
            return task.Result;
        }

        public static void Await(Task task, TimeSpan? timeout = null)
        {
            try
            {
                if (!task.Wait(timeout ?? Wait)) throw new TimeoutException("no result within " + (timeout ?? Wait));
            }
            catch (AggregateException e)
            {
                if (e.InnerExceptions.Count == 1) throw Rethrow(e.InnerException);
                throw;
            }
        }

        static Exception Rethrow(Exception e)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
            return e;
        }

        /// <summary>Runs the .NET program <paramref name="exe"/> under mono, its output redirected.</summary>
        public static ProcessStartInfo Mono(string exe, string args)
        {
            return new ProcessStartInfo("mono", "\"" + exe + "\" " + args)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
        }

        /// <summary>Embedded server with simulated devices only.</summary>
        public static ServerInfo ConnectSimulated(Client c, uint scanMs = 0)
        {
            return Await(c.ConnectAsync(new EmbeddedOptions
            {
                ServerName = "C# tests",
                DisabledTransports = Transports.All,
                SimulatorScanMs = scanMs,
            }));
        }

        /// <summary>Connects, advertises an observed Lovense toy and scans until it is found.</summary>
        public static Device ConnectWithToy(Client c, Events<DeviceEventArgs> added, string address = "11:22:33:44:55:66",
            uint battery = 87)
        {
            ConnectSimulated(c);
            return ConnectWithToyAfterConnect(c, added, address, battery);
        }

        public static Device ConnectWithToyAfterConnect(Client c, Events<DeviceEventArgs> added,
            string address = "11:22:33:44:55:66", uint battery = 87)
        {
            Await(c.Simulator.AdvertiseLovenseAsync(address, battery));
            Await(c.StartScanningAsync());
            var dev = added.WaitFor(e => true).Device;
            Await(c.StopScanningAsync());
            return dev;
        }

        /// <summary>Polls <paramref name="condition"/> until it holds or the time is up (for state
        /// with no event to wait on, such as garbage collection and native thread exits).</summary>
        public static bool Eventually(Func<bool> condition, TimeSpan? timeout = null, Action between = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? Wait);
            while (true)
            {
                if (condition()) return true;
                if (DateTime.UtcNow > deadline) return false;
                if (between != null) between();
                Thread.Sleep(10);
            }
        }

        public static void FullGc()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        /// <summary>The library's runtime threads alive in this process (by name; two or more per
        /// live context). Dispatcher threads are not counted: Linux threads inherit the name of
        /// the thread that starts them, so Mono's thread-pool workers started from inside a
        /// callback carry the dispatcher's name too.</summary>
        public static int NativeThreads()
        {
            int n = 0;
            foreach (var task in Directory.GetDirectories("/proc/self/task"))
            {
                try
                {
                    var comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                    if (comm.StartsWith("teleplug-rt")) n++;
                }
                catch (IOException)
                {
                    // The thread ended while we looked.
                }
            }
            return n;
        }
    }

    /// <summary>Collects the arguments of one event; waits for a matching one with a timeout.</summary>
    sealed class Events<T>
    {
        readonly List<T> items = new List<T>();
        int consumed;

        public void Add(T item)
        {
            lock (items)
            {
                items.Add(item);
                Monitor.PulseAll(items);
            }
        }

        public EventHandler<T> Handler { get { return (s, e) => Add(e); } }

        public List<T> Snapshot() { lock (items) return items.ToList(); }

        public int Count { get { lock (items) return items.Count; } }

        /// <summary>The first not yet consumed item matching <paramref name="match"/>; items before it are consumed too.</summary>
        public T WaitFor(Func<T, bool> match, TimeSpan? timeout = null, string what = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? Support.Wait);
            lock (items)
            {
                while (true)
                {
                    for (int i = consumed; i < items.Count; i++)
                    {
                        if (match(items[i]))
                        {
                            consumed = i + 1;
                            return items[i];
                        }
                    }
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero)
                        throw new TimeoutException(string.Format("no {0} event{1} within {2}", typeof(T).Name,
                            what == null ? "" : " (" + what + ")", timeout ?? Support.Wait));
                    Monitor.Wait(items, left);
                }
            }
        }
    }

    /// <summary>A client of its own debug context that hears the library's error logs as LogReceived
    /// events, and can make a request panic inside the library (an error reply and an error log record).</summary>
    sealed class PanickingClient : IDisposable
    {
        public readonly TeleplugContext Context;
        public readonly Client Client;
        public readonly Events<LogEventArgs> Logs = new Events<LogEventArgs>();

        public PanickingClient()
        {
            Context = new TeleplugContext(ContextFlags.Debug);
            try
            {
                Client = new Client("C# tests", new ClientOptions { Context = Context });
                Client.LogReceived += Logs.Handler;
                Support.Await(Client.SubscribeLogsAsync(LogLevel.Error));
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>The log record of a panicking request.</summary>
        public static bool IsPanicLog(LogRecord r) { return r.Message.Contains("panic while handling a request"); }

        /// <summary>A request panics in a library task: its reply is an <see cref="ErrorCode.Panic"/> error.</summary>
        public void Panic()
        {
            Assert.RequestError(ErrorCode.Panic, () => Client.DebugAsync(new JObject { { "panic", "PANIC_SITE_TASK" } }),
                "panic");
        }

        /// <summary>The next LogReceived record of a panic.</summary>
        public LogRecord WaitForPanicLog() { return Logs.WaitFor(e => IsPanicLog(e.Record)).Record; }

        public void Dispose()
        {
            if (Client != null) Client.Dispose();
            Context.Dispose();
        }
    }

    /// <summary>Writes an observed simulated toy received (SimulatorOperation events).</summary>
    sealed class ToyOps
    {
        public readonly Events<SimulatorOperation> Ops = new Events<SimulatorOperation>();

        public ToyOps(Client c) { c.SimulatorOperation += (s, e) => Ops.Add(e.Operation); }

        public void WaitWrite(string text)
        {
            Ops.WaitFor(o => o.Kind == SimulatorOpKind.Write && o.Text == text, null, "write " + text);
        }
    }
}
