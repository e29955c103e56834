// The client against the embedded server with simulated devices: every request kind, the
// events, and the errors (each an exception carrying its code). What the device received is
// checked through the simulated transport (SimulatorOperation events).
using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug.Tests
{
    static class ClientTests
    {
        [Test]
        static void EmbeddedScenario()
        {
            using (var c = new Client("C# tests"))
            {
                var added = new Events<DeviceEventArgs>();
                var removed = new Events<DeviceEventArgs>();
                var changed = new Events<DeviceListEventArgs>();
                c.DeviceAdded += added.Handler;
                c.DeviceRemoved += removed.Handler;
                c.DeviceListChanged += changed.Handler;
                var toy = new ToyOps(c);
                Assert.True(!c.Connected && c.ServerInfo == null, "not connected yet");

                var info = Support.ConnectSimulated(c);
                Assert.Equal("C# tests", info.ServerName, "server name");
                Assert.Equal(4u, info.ProtocolVersionMajor, "spec version");
                Assert.True(c.Connected && c.ServerInfo.ServerName == "C# tests", "connected");

                var dev = Support.ConnectWithToyAfterConnect(c, added);
                Assert.Equal("Lovense Hush", dev.Name, "device name");
                Assert.Equal(c, dev.Client, "device client");
                toy.Ops.WaitFor(o => o.Kind == SimulatorOpKind.Connected && o.Protocol == "lovense", null, "identified");
                var vib = dev.Features[0];
                Assert.Equal(OutputType.Vibrate, vib.Outputs[0].Type, "feature 0 vibrates");
                Assert.Equal(0, vib.Outputs[0].Value.Min, "vibrate min");
                Assert.Equal(20, vib.Outputs[0].Value.Max, "vibrate max");
                Assert.True(vib.HasOutput(OutputType.Vibrate) && !vib.HasOutput(OutputType.Rotate), "HasOutput");
                var battery = dev.FeatureWithInput(InputType.Battery);
                Assert.True(battery != null && battery.Inputs[0].Commands.Contains(InputCommandType.Read), "battery feature");
                changed.WaitFor(e => e.Devices.Count == 1, null, "list with the toy");
                Assert.Equal(dev.Index, c.Devices.Single().Index, "Devices");
                Assert.Equal(dev.Name, c.GetDevice(dev.Index).Name, "GetDevice");
                Assert.True(c.GetDevice(99) == null, "GetDevice of an unknown index");

                var list = Support.Await(c.RequestDeviceListAsync());
                Assert.Equal(1, list.Count, "device list");

                Support.Await(vib.VibrateAsync(0.5));
                toy.WaitWrite("Vibrate:10;");
                Support.Await(vib.RunOutputStepsAsync(OutputType.Vibrate, 5));
                toy.WaitWrite("Vibrate:5;");
                Support.Await(vib.RunOutputAsync(OutputType.Vibrate, 0.75));
                toy.WaitWrite("Vibrate:15;");
                Support.Await(vib.StopAsync());
                toy.WaitWrite("Vibrate:0;");
                Support.Await(c.RunOutputStepsAsync(dev.Index, vib.Index, OutputType.Vibrate, 20));
                toy.WaitWrite("Vibrate:20;");
                Support.Await(dev.StopAsync());
                toy.WaitWrite("Vibrate:0;");
                Support.Await(vib.VibrateAsync(1.0));
                toy.WaitWrite("Vibrate:20;");
                Support.Await(c.StopAllDevicesAsync());
                toy.WaitWrite("Vibrate:0;");

                Assert.Equal(87, Support.Await(dev.ReadBatteryAsync()), "battery");
                Assert.Equal(87, Support.Await(battery.ReadBatteryAsync()), "battery through the feature");
                Support.Await(c.PingAsync());

                Support.Await(c.Simulator.DisconnectAsync("11:22:33:44:55:66"));
                Assert.Equal(dev.Index, removed.WaitFor(e => true).Device.Index, "removed device");
                changed.WaitFor(e => e.Devices.Count == 0, null, "empty list");
                Assert.Equal(0, c.Devices.Count, "Devices after removal");

                Support.Await(c.DisconnectAsync());
                Assert.True(!c.Connected, "disconnected");
                // The client can connect again.
                Support.ConnectSimulated(c);
                Assert.True(c.Connected, "connected again");
            }
        }

        [Test]
        static void ErrorRepliesCarryTheirCodes()
        {
            using (var c = new Client("C# tests"))
            {
                Assert.RequestError(ErrorCode.NotConnected, () => c.StartScanningAsync(), "scan before connect");
                Assert.RequestError(ErrorCode.NotConnected, () => c.PingAsync(), "ping before connect");
                var added = new Events<DeviceEventArgs>();
                c.DeviceAdded += added.Handler;
                var dev = Support.ConnectWithToy(c, added);
                Assert.RequestError(ErrorCode.AlreadyConnected, () => c.ConnectAsync(), "second connect");
                Assert.RequestError(ErrorCode.Device, () => c.RunOutputStepsAsync(9, 0, OutputType.Vibrate, 1), "unknown device");
                Assert.RequestError(ErrorCode.Device, () => c.RunOutputStepsAsync(dev.Index, 7, OutputType.Vibrate, 1), "unknown feature");
                var vib = dev.Features[0];
                Assert.RequestError(ErrorCode.InvalidArgument, () => vib.VibrateAsync(2.0), "fraction above 1");
                Assert.RequestError(ErrorCode.Device, () => vib.VibrateAsync(-0.5), "negative fraction");
                Assert.RequestError(ErrorCode.InvalidArgument, () => vib.VibrateAsync(double.NaN), "NaN fraction");
                Assert.RequestError(ErrorCode.Device, () => vib.RunOutputStepsAsync(OutputType.Vibrate, 21), "step above the range");
                Assert.RequestError(ErrorCode.InvalidArgument, () => vib.RunOutputAsync(OutputType.Rotate, 0.5),
                    "output the feature lacks");
                Assert.Throws<TeleplugException>(() => vib.RunOutputAsync((OutputType)99, 0.5), "unknown output type");
                Assert.RequestError(ErrorCode.Device, () => vib.ReadAsync(InputType.Pressure), "input the feature lacks");
                Assert.RequestError(ErrorCode.InvalidArgument, () => c.Simulator.NotifyAsync("11:22:33:44:55:66", "nope", new byte[0]),
                    "notify on an unknown endpoint");
                Assert.RequestError(ErrorCode.Unsupported, () => c.DebugAsync(new JObject { { "sleepMs", 1 } }),
                    "debug hooks without a debug context");
                // The error text comes from the library.
                var e = Assert.Throws<TeleplugRequestException>(() => c.RunOutputStepsAsync(9, 0, OutputType.Vibrate, 1));
                Assert.Equal("output", e.Request, "failed request");
                Assert.True(e.Detail.Length > 0, "error detail");
            }
            using (var fresh = new Client("C# tests"))
            {
                Assert.RequestError(ErrorCode.InvalidArgument,
                    () => fresh.ConnectAsync(new EmbeddedOptions { DeviceConfigJson = "{not json" }), "bad device config");
                Assert.True(!fresh.Connected, "a refused connect leaves the client disconnected");
            }
        }

        [Test]
        static void RemoteConnectFailuresCarryTheirCode()
        {
            // A port nobody listens on: bound, then closed.
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            using (var c = new Client("C# tests"))
            {
                Assert.RequestError(ErrorCode.ConnectFailed, () => c.ConnectAsync("ws://127.0.0.1:" + port), "refused");
                Assert.RequestError(ErrorCode.InvalidArgument, () => c.ConnectAsync("not a url"), "bad URL");
                Assert.True(!c.Connected, "not connected");
            }
        }

        [Test]
        static void BadArgumentsThrowBeforeAnythingIsSent()
        {
            Assert.Throws<ArgumentNullException>(() => new Client(null), "null name");
            using (var ctx = new TeleplugContext())
            using (var c = new Client("C# tests", new ClientOptions { Context = ctx }))
            {
                Assert.Throws<ArgumentNullException>(() => c.ConnectAsync((string)null), "null url");
                Assert.Throws<ArgumentNullException>(() => c.ConnectAsync((EmbeddedOptions)null), "null options");
                Assert.Throws<ArgumentNullException>(() => c.Simulator.AdvertiseLovenseAsync(null), "null address");
                Assert.Throws<ArgumentNullException>(() => c.Simulator.AdvertiseAsync(null), "null spec");
                Assert.Throws<ArgumentNullException>(() => c.Simulator.NotifyAsync("a", "rx", null), "null data");
                Assert.Throws<ArgumentNullException>(() => new SimulatedDeviceSpec(null, "a"), "null spec name");
                Assert.Throws<ArgumentException>(() => c.StopAsync(null, 1), "feature without device");
                var opts = new EmbeddedOptions();
                opts.SerialPorts.Add(null);
                Assert.Throws<ArgumentException>(() => c.ConnectAsync(opts), "null serial port");
                Assert.Throws<ArgumentOutOfRangeException>(() => ctx.Shutdown(TimeSpan.FromSeconds(-1)), "negative timeout");
                Assert.Throws<ArgumentNullException>(() => TeleplugLog.SetCallback(null, LogLevel.Info), "null log callback");
                Assert.Throws<ArgumentNullException>(() => EventDelivery.FromSynchronizationContext(null), "null context");
                using (var unnamed = new Client("", new ClientOptions { Context = ctx }))
                    Support.ConnectSimulated(unnamed);
                // Non-ASCII names are UTF-8.
                using (var named = new Client("Spielzeug ♥ 玩具", new ClientOptions { Context = ctx }))
                    Support.ConnectSimulated(named);
            }
        }

        [Test]
        static void PanicsBecomeErrorsWithTheirCode()
        {
            using (var ctx = new TeleplugContext(ContextFlags.Debug))
            using (var c = new Client("C# tests", new ClientOptions { Context = ctx }))
            {
                Assert.RequestError(ErrorCode.Panic, () => c.DebugAsync(new JObject { { "panic", "PANIC_SITE_TASK" } }),
                    "panic in a task");
                Assert.StatusError(Status.Panic, () => c.DebugAsync(new JObject { { "panic", "PANIC_SITE_SEND" } }),
                    "panic at the export");
                // The client keeps working.
                Support.ConnectSimulated(c);
                Support.Await(c.PingAsync());
            }
        }

        [Test]
        static void InputSubscriptionsRaiseReadingEvents()
        {
            using (var c = new Client("C# tests"))
            {
                var added = new Events<DeviceEventArgs>();
                var readings = new Events<InputReadingEventArgs>();
                c.DeviceAdded += added.Handler;
                c.InputReadingReceived += readings.Handler;
                var toy = new ToyOps(c);
                Support.ConnectSimulated(c);
                // A KGoal Boost described field by field: name, address, a battery read value.
                var spec = new SimulatedDeviceSpec("Boost", "kg1");
                spec.ReadValues["rxblebattery"] = new byte[] { 77 };
                Support.Await(c.Simulator.AdvertiseAsync(spec));
                Support.Await(c.StartScanningAsync());
                var dev = added.WaitFor(e => true).Device;
                var pressure = dev.FeatureWithInput(InputType.Pressure);
                Assert.True(pressure != null, "pressure feature");
                Support.Await(pressure.SubscribeAsync(InputType.Pressure));
                toy.Ops.WaitFor(o => o.Kind == SimulatorOpKind.Subscribe, null, "subscribe");
                Support.Await(c.Simulator.NotifyAsync("kg1", "rxpressure", new byte[] { 0, 0, 0, 0, 42, 0, 42 }));
                var r = readings.WaitFor(e => true).Reading;
                Assert.Equal(dev.Index, r.DeviceIndex, "reading device");
                Assert.Equal(pressure.Index, r.FeatureIndex, "reading feature");
                Assert.Equal(InputType.Pressure, r.Type, "reading type");
                Assert.Equal(42, r.Value, "reading value");
                Support.Await(pressure.UnsubscribeAsync(InputType.Pressure));
                Assert.Equal(77, Support.Await(dev.ReadBatteryAsync()), "battery read value");
                toy.Ops.WaitFor(o => o.Kind == SimulatorOpKind.Read, null, "read");
                // A queued read answer wins over the read value once.
                Support.Await(c.Simulator.QueueReadAsync("kg1", "rxblebattery", new byte[] { 12 }));
                Assert.Equal(12, Support.Await(dev.ReadBatteryAsync()), "queued read");
                Assert.Equal(77, Support.Await(dev.ReadBatteryAsync()), "read value again");
            }
        }

        [Test]
        static void ScanningFinishesOnItsOwn()
        {
            using (var c = new Client("C# tests"))
            {
                var finished = new Events<EventArgs>();
                c.ScanningFinished += (s, e) => finished.Add(e);
                Support.ConnectSimulated(c, scanMs: 50);
                Support.Await(c.Simulator.AdvertiseLovenseAsync("aa:bb"));
                Support.Await(c.StartScanningAsync());
                finished.WaitFor(e => true);
                Assert.Equal(1, c.Devices.Count, "the toy was found before the scan ended");
            }
        }

        [Test]
        static void ServerGoingAwayIsReportedAndTheClientReconnects()
        {
            using (var ctx = new TeleplugContext(ContextFlags.Debug))
            using (var c = new Client("C# tests", new ClientOptions { Context = ctx }))
            {
                var gone = new Events<ServerDisconnectedEventArgs>();
                c.ServerDisconnected += gone.Handler;
                Support.ConnectSimulated(c);
                Support.Await(c.DebugAsync(new JObject { { "shutdownServer", new JObject() } }));
                Assert.True(gone.WaitFor(e => true).Reason.Length > 0, "a reason");
                Assert.True(!c.Connected, "not connected after the server left");
                Assert.RequestError(ErrorCode.NotConnected, () => c.PingAsync(), "ping after the server left");
                Support.ConnectSimulated(c);
                Support.Await(c.PingAsync());
            }
        }

        [Test]
        static void LogCallbackAndLogEvents()
        {
            var first = new Events<LogRecord>();
            var second = new Events<LogRecord>();
            try
            {
                TeleplugLog.SetCallback(first.Add, LogLevel.Error);
                using (var p = new PanickingClient())
                {
                    p.Panic();
                    var rec = first.WaitFor(PanickingClient.IsPanicLog);
                    Assert.Equal(LogLevel.Error, rec.Level, "level");
                    var ev = p.WaitForPanicLog();
                    Assert.Equal(LogLevel.Error, ev.Level, "event level");
                    Assert.True(ev.Target.Length > 0, "log events name their module");

                    // Replaced: only the second callback hears the next panic.
                    TeleplugLog.SetCallback(second.Add, LogLevel.Warn);
                    int before = first.Count;
                    p.Panic();
                    second.WaitFor(PanickingClient.IsPanicLog);
                    p.WaitForPanicLog();
                    Assert.Equal(before, first.Count, "the replaced callback hears nothing");

                    // Cleared: nobody hears the next one (the per-client event shows it happened).
                    TeleplugLog.Clear();
                    int after = second.Count;
                    p.Panic();
                    p.WaitForPanicLog();
                    Support.Await(p.Client.SubscribeLogsAsync(LogLevel.Off));
                    Assert.Equal(after, second.Count, "no callback after Clear");
                }
            }
            finally
            {
                TeleplugLog.Clear();
            }
        }

        [Test]
        static void ConcurrentRequestsFromManyThreads()
        {
            using (var c = new Client("C# tests"))
            {
                var added = new Events<DeviceEventArgs>();
                c.DeviceAdded += added.Handler;
                var dev = Support.ConnectWithToy(c, added);
                var vib = dev.Features[0];
                // Eight threads of their own (LongRunning), not pool threads: blocking waits on
                // a small pool would only measure the pool's slow growth.
                var tasks = Enumerable.Range(0, 8).Select(t => Task.Factory.StartNew(() =>
                {
                    for (int i = 0; i < 12; i++)
                    {
                        Support.Await(vib.RunOutputStepsAsync(OutputType.Vibrate, (t + i) % 21));
                        Support.Await(c.PingAsync());
                    }
                }, TaskCreationOptions.LongRunning)).ToArray();
                Support.Await(Task.WhenAll(tasks), TimeSpan.FromSeconds(60));
                Assert.Equal(87, Support.Await(dev.ReadBatteryAsync()), "still answering");
            }
        }
    }
}
