// Where and when event handlers run: a captured SynchronizationContext, manual draining (the
// Unity dispatcher's way), the thread-pool queue; handler exceptions never stop the delivery.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Teleplug.Tests
{
    /// <summary>A SynchronizationContext that runs posted work on one thread, like a UI thread.</summary>
    sealed class PumpContext : SynchronizationContext, IDisposable
    {
        readonly BlockingCollection<KeyValuePair<SendOrPostCallback, object>> work =
            new BlockingCollection<KeyValuePair<SendOrPostCallback, object>>();
        readonly Thread thread;

        public PumpContext()
        {
            thread = new Thread(() =>
            {
                SetSynchronizationContext(this);
                foreach (var w in work.GetConsumingEnumerable()) w.Key(w.Value);
            }) { IsBackground = true, Name = "pump" };
            thread.Start();
        }

        public int ThreadId { get { return thread.ManagedThreadId; } }

        public override void Post(SendOrPostCallback d, object state)
        {
            work.Add(new KeyValuePair<SendOrPostCallback, object>(d, state));
        }

        public void Dispose()
        {
            work.CompleteAdding();
            thread.Join();
        }
    }

    static class DeliveryTests
    {
        [Test]
        static void HandlersRunOnTheCapturedSynchronizationContext()
        {
            using (var pump = new PumpContext())
            {
                Client c;
                var previous = SynchronizationContext.Current;
                SynchronizationContext.SetSynchronizationContext(pump);
                try
                {
                    c = new Client("C# tests"); // captures the pump
                }
                finally
                {
                    SynchronizationContext.SetSynchronizationContext(previous);
                }
                using (c)
                {
                    var threads = new Events<int>();
                    c.DeviceAdded += (s, e) => threads.Add(Thread.CurrentThread.ManagedThreadId);
                    c.DeviceListChanged += (s, e) => threads.Add(Thread.CurrentThread.ManagedThreadId);
                    c.SimulatorOperation += (s, e) => threads.Add(Thread.CurrentThread.ManagedThreadId);
                    var added = new Events<DeviceEventArgs>();
                    c.DeviceAdded += added.Handler;
                    Support.ConnectWithToy(c, added);
                    threads.WaitFor(t => true);
                    threads.WaitFor(t => true);
                    foreach (var t in threads.Snapshot()) Assert.Equal(pump.ThreadId, t, "handler thread");
                }
            }
        }

        [Test]
        static void ManualDeliveryRunsHandlersOnlyWhenDrained()
        {
            var manual = new ManualEventDelivery();
            using (var c = new Client("C# tests", new ClientOptions { Delivery = manual }))
            {
                var order = new List<string>();
                int thread = -1;
                c.DeviceAdded += (s, e) => { order.Add("added " + e.Device.Name); thread = Thread.CurrentThread.ManagedThreadId; };
                c.DeviceListChanged += (s, e) => order.Add("list " + e.Devices.Count);
                Support.ConnectSimulated(c);
                Support.Await(c.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66", 87, null, false));
                Support.Await(c.StartScanningAsync());
                // The device list (state) is updated as messages arrive; handlers wait for the drain.
                Assert.True(Support.Eventually(() => c.Devices.Count == 1), "device found");
                Assert.True(Support.Eventually(() => manual.Pending >= 2), "added and list-changed events queued");
                Assert.Equal(0, order.Count, "no handler ran before the drain");
                int ran = manual.DispatchPending();
                Assert.True(ran >= 2, "handlers ran in DispatchPending");
                Assert.Equal(Thread.CurrentThread.ManagedThreadId, thread, "on the draining thread");
                Assert.Equal("added Lovense Hush", order[0], "added first");
                Assert.Equal("list 1", order[1], "then the list change");
                Assert.Equal(0, manual.DispatchPending(), "nothing left");
            }
        }

        [Test]
        static void NoHandlerRunsAfterDispose()
        {
            var manual = new ManualEventDelivery();
            int calls = 0;
            var c = new Client("C# tests", new ClientOptions { Delivery = manual });
            c.DeviceAdded += (s, e) => calls++;
            c.DeviceListChanged += (s, e) => calls++;
            Support.ConnectSimulated(c);
            Support.Await(c.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66", 87, null, false));
            Support.Await(c.StartScanningAsync());
            Assert.True(Support.Eventually(() => manual.Pending >= 2), "events queued");
            c.Dispose();
            manual.DispatchPending();
            Assert.Equal(0, calls, "handlers of a disposed client");
        }

        [Test]
        static void HandlerExceptionsAreReportedAndDeliveryGoesOn()
        {
            var reported = new Events<Exception>();
            EventHandler<HandlerExceptionEventArgs> report = (s, e) => reported.Add(e.Exception);
            TeleplugDiagnostics.HandlerException += report;
            try
            {
                using (var c = new Client("C# tests"))
                {
                    c.DeviceAdded += (s, e) => { throw new InvalidOperationException("boom"); };
                    var lists = new Events<DeviceListEventArgs>();
                    c.DeviceListChanged += lists.Handler;
                    var added = new Events<DeviceEventArgs>();
                    c.DeviceAdded += (s, e) => added.Add(e); // after the throwing one: skipped for that event
                    Support.ConnectSimulated(c);
                    Support.Await(c.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66"));
                    Support.Await(c.StartScanningAsync());
                    Assert.Equal("boom", reported.WaitFor(e => true).Message, "reported exception");
                    lists.WaitFor(e => e.Devices.Count == 1, null, "later events still delivered");
                    Support.Await(c.PingAsync());
                }
            }
            finally
            {
                TeleplugDiagnostics.HandlerException -= report;
            }
        }

        [Test]
        static void HandlersMayWaitForRepliesSynchronously()
        {
            using (var c = new Client("C# tests"))
            {
                var done = new Events<int>();
                var toy = new ToyOps(c);
                c.DeviceAdded += (s, e) =>
                {
                    // Blocking inside a handler must not stall the replies it waits for.
                    e.Device.Features[0].VibrateAsync(0.5).Wait();
                    done.Add(e.Device.ReadBatteryAsync().Result);
                };
                Support.ConnectSimulated(c);
                Support.Await(c.Simulator.AdvertiseLovenseAsync("11:22:33:44:55:66", 87));
                Support.Await(c.StartScanningAsync());
                Assert.Equal(87, done.WaitFor(b => true), "battery read inside the handler");
                toy.WaitWrite("Vibrate:10;");
            }
        }
    }
}
