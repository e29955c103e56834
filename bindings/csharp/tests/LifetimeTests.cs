// Lifetimes: contexts and clients disposed in every order, disposed inside their own event
// handlers, abandoned to the garbage collector while callbacks are live, shut down at process
// exit. Leaks are measured as live sink registrations, native finalizer runs and the library's
// threads (by name) in this process.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug.Tests
{
    static class LifetimeTests
    {
        sealed class Baseline
        {
            public readonly int Sinks = Teleplug.Sinks.LiveCount(Native.FormatJson);
            public readonly long Finalized = Teleplug.Sinks.FinalizedCount(Native.FormatJson);
            public readonly int Threads = Support.NativeThreads();
            public readonly int Contexts = TeleplugContext.LiveCount;

            public void AssertBack(int clients, string what)
            {
                Assert.True(Support.Eventually(() => Teleplug.Sinks.LiveCount(Native.FormatJson) == Sinks, null, Support.FullGc),
                    what + ": every client's finalizer ran (" + Teleplug.Sinks.LiveCount(Native.FormatJson) + " registrations, " + Sinks + " before)");
                Assert.Equal(Finalized + clients, Teleplug.Sinks.FinalizedCount(Native.FormatJson), what + ": finalizers ran once each");
                Assert.True(Support.Eventually(() => Support.NativeThreads() == Threads, null, Support.FullGc),
                    what + ": the library's threads ended (" + Support.NativeThreads() + " alive, " + Threads + " before)");
                Assert.True(Support.Eventually(() => TeleplugContext.LiveCount == Contexts, null, Support.FullGc),
                    what + ": no context left");
            }
        }

        /// <summary>A connected client driving an observed toy, so callbacks are flowing.</summary>
        static Client Busy(TeleplugContext ctx, string address)
        {
            var c = new Client("C# tests", new ClientOptions { Context = ctx });
            var added = new Events<DeviceEventArgs>();
            c.DeviceAdded += added.Handler;
            var toy = new ToyOps(c);
            var dev = Support.ConnectWithToy(c, added, address);
            Support.Await(dev.Features[0].VibrateAsync(0.5));
            toy.WaitWrite("Vibrate:10;");
            return c;
        }

        [Test]
        static void DisposeInEveryOrder()
        {
            var orders = new Dictionary<string, Action<TeleplugContext, Client, Client>>
            {
                { "clients then context", (ctx, a, b) => { a.Dispose(); b.Dispose(); ctx.Dispose(); } },
                { "context then clients", (ctx, a, b) =>
                    {
                        ctx.Dispose();
                        // The context freed the client handles: a clear error, not a crash.
                        Assert.StatusError(Status.InvalidHandle, () => a.PingAsync(), "request after the context was freed");
                        a.Dispose();
                        b.Dispose();
                    } },
                { "client, context, client", (ctx, a, b) => { a.Dispose(); ctx.Dispose(); b.Dispose(); } },
                { "shutdown, clients, context", (ctx, a, b) =>
                    {
                        ctx.Shutdown(TimeSpan.FromSeconds(5));
                        Assert.StatusError(Status.Shutdown, () => b.PingAsync(), "request after shutdown");
                        b.Dispose();
                        a.Dispose();
                        ctx.Dispose();
                    } },
                { "twice each, concurrently", (ctx, a, b) =>
                    {
                        var all = new Action[] { a.Dispose, b.Dispose, ctx.Dispose, a.Dispose, b.Dispose, ctx.Dispose };
                        Task.WaitAll(all.Select(d => Task.Run(d)).ToArray());
                    } },
            };
            foreach (var order in orders)
            {
                var before = new Baseline();
                var ctx = new TeleplugContext();
                var a = Busy(ctx, "aa:01");
                var b = Busy(ctx, "aa:02");
                order.Value(ctx, a, b);
                Assert.True(a.IsDisposed && b.IsDisposed && ctx.IsDisposed, order.Key + ": disposed");
                Assert.Throws<ObjectDisposedException>(() => a.PingAsync(), order.Key + ": request after Dispose");
                Assert.Throws<ObjectDisposedException>(() => ctx.Shutdown(TimeSpan.Zero), order.Key + ": shutdown after Dispose");
                Assert.Throws<ObjectDisposedException>(() => new Client("late", new ClientOptions { Context = ctx }),
                    order.Key + ": client in a disposed context");
                before.AssertBack(2, order.Key);
            }
            // A client that owns its context.
            var start = new Baseline();
            var own = Busy(null, "aa:03");
            own.Dispose();
            own.Dispose();
            Assert.True(own.Context.IsDisposed, "the owned context went with the client");
            start.AssertBack(1, "own context");
        }

        [Test]
        static void DisposeInsideItsOwnEventHandler()
        {
            var deliveries = new Dictionary<string, Func<EventDelivery>>
            {
                { "thread pool", EventDelivery.CreateThreadPool },
                { "manual", () => new ManualEventDelivery() },
            };
            foreach (var d in deliveries)
            {
                foreach (bool disposeContext in new[] { false, true })
                {
                    string what = d.Key + (disposeContext ? ", context" : ", client");
                    var before = new Baseline();
                    var delivery = d.Value();
                    var ctx = new TeleplugContext();
                    var c = new Client("C# tests", new ClientOptions { Context = ctx, Delivery = delivery });
                    var disposedInside = new Events<bool>();
                    int calls = 0;
                    c.DeviceAdded += (s, e) =>
                    {
                        Interlocked.Increment(ref calls);
                        if (disposeContext) ctx.Dispose();
                        else c.Dispose();
                        disposedInside.Add(c.IsDisposed || ctx.IsDisposed);
                    };
                    c.DeviceListChanged += (s, e) => Interlocked.Increment(ref calls);
                    Support.ConnectSimulated(c);
                    Support.Await(c.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66"));
                    Support.Await(c.StartScanningAsync());
                    var manual = delivery as ManualEventDelivery;
                    if (manual != null)
                    {
                        // Drain as events arrive (simulator operations come before the device).
                        Assert.True(Support.Eventually(() => manual.DispatchPending() >= 0 && disposedInside.Count > 0),
                            what + ": the handler ran in DispatchPending");
                    }
                    Assert.True(disposedInside.WaitFor(x => true, null, what), what + ": disposed inside the handler");
                    if (!disposeContext) Assert.Equal(1, calls, what + ": no handler after Dispose");
                    ctx.Dispose();
                    c.Dispose();
                    before.AssertBack(1, what);
                }
            }
        }

        [Test]
        static void PendingRequestsFailWhenTheClientIsDisposed()
        {
            using (var ctx = new TeleplugContext(ContextFlags.Debug))
            {
                var c = new Client("C# tests", new ClientOptions { Context = ctx });
                var slow = c.DebugAsync(new JObject { { "sleepMs", 60000 } });
                c.Dispose();
                Assert.Throws<ObjectDisposedException>(() => slow, "pending request of a disposed client");
            }
        }

        [Test]
        static void ShutdownAnswersPendingRequestsAndClosesClients()
        {
            using (var ctx = new TeleplugContext(ContextFlags.Debug))
            using (var c = new Client("C# tests", new ClientOptions { Context = ctx }))
            {
                var closed = new Events<ClosedEventArgs>();
                c.Closed += closed.Handler;
                var added = new Events<DeviceEventArgs>();
                c.DeviceAdded += added.Handler;
                var toy = new ToyOps(c);
                var dev = Support.ConnectWithToy(c, added);
                Support.Await(dev.Features[0].VibrateAsync(1.0));
                toy.WaitWrite("Vibrate:20;");
                var slow = c.DebugAsync(new JObject { { "sleepMs", 60000 } });
                ctx.Shutdown(TimeSpan.FromSeconds(5));
                Assert.RequestError(ErrorCode.Shutdown, () => slow, "pending request at shutdown");
                closed.WaitFor(e => true);
                Assert.True(c.IsClosed && !c.Connected, "closed");
                toy.WaitWrite("Vibrate:0;"); // the toy was stopped
                Assert.StatusError(Status.Shutdown, () => c.PingAsync(), "request after shutdown");
                ctx.Shutdown(TimeSpan.FromSeconds(1)); // idempotent
                Assert.StatusError(Status.Shutdown, () => { new Client("late", new ClientOptions { Context = ctx }); return Task.FromResult(0); },
                    "a client in a shut-down context");
            }
        }

        [Test]
        static void ShutdownAllStopsEveryLiveContext()
        {
            var before = new Baseline();
            var a = Busy(null, "bb:01");
            var b = Busy(new TeleplugContext(), "bb:02");
            var closed = new Events<object>();
            a.Closed += (s, e) => closed.Add(s);
            b.Closed += (s, e) => closed.Add(s);
            TeleplugContext.ShutdownAll(TimeSpan.FromSeconds(5));
            closed.WaitFor(x => true);
            closed.WaitFor(x => true);
            a.Dispose();
            b.Dispose();
            b.Context.Dispose();
            before.AssertBack(2, "after ShutdownAll");
        }

        [Test]
        static void ShutdownAllDetachesTheLogCallback()
        {
            var records = new Events<LogRecord>();
            try
            {
                TeleplugLog.SetCallback(records.Add, LogLevel.Error);
                using (var p = new PanickingClient())
                {
                    p.Panic();
                    records.WaitFor(PanickingClient.IsPanicLog);
                    TeleplugContext.ShutdownAll(TimeSpan.FromSeconds(5));
                }
                // A context created afterwards works; the detached callback hears nothing.
                int heard = records.Count;
                using (var p = new PanickingClient())
                {
                    p.Panic();
                    p.WaitForPanicLog();
                }
                Assert.Equal(heard, records.Count, "no log callback after ShutdownAll");
            }
            finally
            {
                TeleplugLog.Clear();
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void Abandon(TeleplugContext shared, int i)
        {
            // Connected, a toy vibrating, handlers attached: then dropped without Dispose.
            var c = Busy(i % 2 == 0 ? shared : null, "cc:" + i);
            c.SimulatorOperation += (s, e) => GC.KeepAlive(new byte[1024]);
            c.RunOutputStepsAsync(0, 0, OutputType.Vibrate, 3);
        }

        [Test(Timeout = 120)]
        static void GarbageCollectionWhileCallbacksAreLive()
        {
            var before = new Baseline();
            var shared = new TeleplugContext();
            using (var live = Busy(null, "dd:00"))
            {
                var ops = new ToyOps(live);
                var stop = new CancellationTokenSource();
                // Collections keep running on another thread while callbacks flow.
                var collector = Task.Run(() =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                    }
                });
                var dev = live.Devices.Single();
                for (int round = 0; round < 10; round++)
                {
                    // Created on a thread that ends, so no stale stack slot keeps them alive.
                    var t = new Thread(() =>
                    {
                        for (int i = 0; i < 3; i++) Abandon(shared, round * 3 + i);
                    });
                    t.Start();
                    t.Join();
                    Support.Await(dev.Features[0].RunOutputStepsAsync(OutputType.Vibrate, 1 + round % 2));
                    ops.WaitWrite("Vibrate:" + (1 + round % 2) + ";");
                }
                stop.Cancel();
                Support.Await(collector);
                // The abandoned clients are collected and freed; the live one works on.
                Assert.True(Support.Eventually(() => Sinks.LiveCount(Native.FormatJson) == before.Sinks + 1, TimeSpan.FromSeconds(30), Support.FullGc),
                    "abandoned clients were finalized (" + Sinks.LiveCount(Native.FormatJson) + " registrations left)");
                Assert.Equal(87, Support.Await(dev.ReadBatteryAsync()), "the live client still answers");
            }
            shared.Dispose();
            before.AssertBack(31, "after the collections");
        }

        [Test(Timeout = 120)]
        static void ManyContextsAndClientsLeaveNothingBehind()
        {
            var before = new Baseline();
            var random = new Random(7);
            for (int round = 0; round < 25; round++)
            {
                var ctx = new TeleplugContext();
                var items = new List<IDisposable> { ctx };
                for (int i = 0; i < 3; i++)
                {
                    var c = new Client("C# tests " + i, new ClientOptions { Context = ctx });
                    Support.ConnectSimulated(c);
                    items.Add(c);
                }
                foreach (var item in items.OrderBy(x => random.Next())) item.Dispose();
            }
            before.AssertBack(75, "after 25 contexts");
        }

        [Test]
        static void ProcessExitShutsDownUndisposedContexts()
        {
            // A child process connects, drives a toy and returns from Main without disposing
            // anything: the exit hook shuts the context down; the process exits cleanly.
            var exe = typeof(LifetimeTests).Assembly.Location;
            using (var p = Process.Start(Support.Mono(exe, "--exit-without-dispose")))
            {
                var stderr = p.StandardError.ReadToEndAsync();
                var stdout = p.StandardOutput.ReadToEndAsync();
                Assert.True(p.WaitForExit(30000), "the child exited");
                p.WaitForExit();
                Assert.Equal(0, p.ExitCode, "child exit code (stderr: " + stderr.Result + ")");
                Assert.True(stdout.Result.Contains("returning from Main"), "child output: " + stdout.Result);
            }
        }

        /// <summary>The child of ProcessExitShutsDownUndisposedContexts.</summary>
        internal static int ExitWithoutDispose()
        {
            TeleplugLog.SetCallback(r => { }, LogLevel.Trace);
            var c = Busy(null, "ee:01");
            c.SimulatorOperation += (s, e) => { };
            c.RunOutputStepsAsync(0, 0, OutputType.Vibrate, 7);
            Console.WriteLine("returning from Main");
            return 0;
        }
    }
}
