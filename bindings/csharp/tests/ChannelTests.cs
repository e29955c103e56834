// The raw Buttplug channel: Buttplug spec JSON frames with the embedded server, in-process. What
// the simulated toy received is checked through SimulatorOperation events; frames are read both
// as FrameReceived events and through ReceiveAsync.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug.Tests
{
    static class ChannelTests
    {
        static JArray Hello(int version = 4, string name = "C# raw")
        {
            var body = new JObject { { "Id", 1 }, { "ClientName", name } };
            if (version >= 4)
            {
                body["ProtocolVersionMajor"] = version;
                body["ProtocolVersionMinor"] = 0;
            }
            else
            {
                body["MessageVersion"] = version;
            }
            return new JArray(new JObject { { "RequestServerInfo", body } });
        }

        static JArray Frame(string kind, JObject body)
        {
            return new JArray(new JObject { { kind, body } });
        }

        static EmbeddedOptions SimulatedOnly(string serverName = null)
        {
            return new EmbeddedOptions { DisabledTransports = Transports.All, ServerName = serverName };
        }

        /// <summary>The body of a one-member message such as {"Ok":{"Id":2}}.</summary>
        static JObject Body(JToken message)
        {
            var o = message as JObject;
            return o == null || o.Count != 1 ? null : o.Properties().Single().Value as JObject;
        }

        static string Kind(JToken message) { return ((JObject)message).Properties().Single().Name; }

        static bool HasId(JToken message, int id)
        {
            var b = Body(message);
            return b != null && b["Id"] != null && (int)b["Id"] == id;
        }

        static void AssertJson(string expected, JToken actual, string what)
        {
            Assert.True(JToken.DeepEquals(JToken.Parse(expected), actual),
                string.Format("{0}: expected {1}, got {2}", what, expected, actual));
        }

        /// <summary>A channel's frames (message by message) and simulator operations, as events.</summary>
        sealed class Recorder
        {
            public readonly Events<JObject> Messages = new Events<JObject>();
            public readonly Events<SimulatorOperation> Ops = new Events<SimulatorOperation>();
            public readonly Events<ButtplugFrameEventArgs> Frames = new Events<ButtplugFrameEventArgs>();

            public Recorder(ButtplugChannel channel)
            {
                channel.FrameReceived += (s, e) =>
                {
                    Frames.Add(e);
                    foreach (var m in e.Frame) Messages.Add((JObject)m);
                };
                channel.SimulatorOperation += (s, e) => Ops.Add(e.Operation);
            }

            /// <summary>The server's message answering <paramref name="id"/> (messages before it are skipped).</summary>
            public JObject ReplyTo(int id)
            {
                return Messages.WaitFor(m => HasId(m, id), null, "reply to Id " + id);
            }

            /// <summary>The next <paramref name="count"/> writes the toy at <paramref name="address"/> received, as text.</summary>
            public List<string> Writes(string address, int count)
            {
                var found = new List<string>();
                while (found.Count < count)
                {
                    var op = Ops.WaitFor(o => o.Address == address && o.Kind == SimulatorOpKind.Write, null,
                        "write " + (found.Count + 1) + " of " + count + " to " + address);
                    found.Add(op.Text);
                }
                return found;
            }
        }

        /// <summary>Pull style: the first message matching <paramref name="match"/> (those before it are skipped).</summary>
        static JObject ReceiveUntil(ButtplugChannel channel, Func<JToken, bool> match)
        {
            while (true)
            {
                foreach (var m in Support.Await(channel.ReceiveAsync(Support.Wait)))
                {
                    if (match(m)) return (JObject)m;
                }
            }
        }

        /// <summary>Pull style: the server's message answering <paramref name="id"/>.</summary>
        static JObject ReceiveReplyTo(ButtplugChannel channel, int id)
        {
            return ReceiveUntil(channel, m => HasId(m, id));
        }

        static bool IsDeviceListWithDevices(JToken m)
        {
            return Kind(m) == "DeviceList" && Body(m)["Devices"] is JObject && ((JObject)Body(m)["Devices"]).Count > 0;
        }

        static ButtplugChannel PullChannel(string name, TeleplugContext ctx = null)
        {
            return new ButtplugChannel(name, new ButtplugChannelOptions { Context = ctx, QueueFrames = true });
        }

        [Test]
        static void V4ClientDrivesASimulatedToy()
        {
            using (var channel = new ButtplugChannel("C# raw"))
            {
                var rec = new Recorder(channel);
                Support.Await(channel.ConfigureAsync(SimulatedOnly("raw server")));
                Support.Await(channel.SimulatorAdvertiseLovenseAsync("raw-toy", 40));
                channel.Send(Hello());
                var hello = rec.ReplyTo(1);
                Assert.Equal("ServerInfo", Kind(hello), "handshake reply");
                var info = Body(hello);
                Assert.Equal("raw server", (string)info["ServerName"], "server name from ConfigureAsync");
                Assert.Equal(4, (int)info["ProtocolVersionMajor"], "spec version");
                // The frame's text is what the server wrote; Frame is that text parsed.
                var first = rec.Frames.Snapshot()[0];
                Assert.True(first.Text.StartsWith("[") && first.Text.Contains("\"ServerInfo\""), "frame text: " + first.Text);
                Assert.True(JToken.DeepEquals(JArray.Parse(first.Text), first.Frame), "Frame is the parsed Text");

                channel.Send(Frame("StartScanning", new JObject { { "Id", 2 } }));
                AssertJson("{\"Ok\":{\"Id\":2}}", rec.ReplyTo(2), "StartScanning reply");
                // The device arrives in a DeviceList event (Id 0).
                var list = rec.Messages.WaitFor(IsDeviceListWithDevices, null, "a DeviceList with the toy");
                Assert.Equal(0, (int)Body(list)["Id"], "device list event id");
                var devices = ((JObject)Body(list)["Devices"]).Properties().Select(p => (JObject)p.Value).ToList();
                Assert.Equal(1, devices.Count, "one device");
                Assert.Equal("Lovense Hush", (string)devices[0]["DeviceName"], "device name");
                int index = (int)devices[0]["DeviceIndex"];

                // Text frames go as they are.
                channel.Send("[{\"OutputCmd\":{\"Id\":3,\"DeviceIndex\":" + index +
                    ",\"FeatureIndex\":0,\"Command\":{\"Vibrate\":{\"Value\":5}}}}]");
                AssertJson("{\"Ok\":{\"Id\":3}}", rec.ReplyTo(3), "OutputCmd reply");
                var writes = rec.Writes("raw-toy", 2);
                Assert.Equal("DeviceType;|Vibrate:5;", string.Join("|", writes), "the toy's writes");
                channel.Send(Frame("StopCmd", new JObject { { "Id", 4 }, { "DeviceIndex", index } }));
                AssertJson("{\"Ok\":{\"Id\":4}}", rec.ReplyTo(4), "StopCmd reply");
                Assert.Equal("Vibrate:0;", rec.Writes("raw-toy", 1).Single(), "stop write");
                Assert.True(!channel.IsClosed && !channel.IsDisposed, "open");
            }
        }

        [Test]
        static void LegacyClientIsServedItsOwnVersion()
        {
            using (var channel = PullChannel("C# raw v3"))
            {
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                channel.Send(Hello(3, "v3 app"));
                var info = Body(ReceiveReplyTo(channel, 1));
                Assert.Equal(3, (int)info["MessageVersion"], "MessageVersion");
                Assert.True(info["ProtocolVersionMajor"] == null, "no v4 fields in a v3 ServerInfo: " + info);
                channel.Send(Frame("RequestDeviceList", new JObject { { "Id", 2 } }));
                AssertJson("{\"DeviceList\":{\"Id\":2,\"Devices\":[]}}", ReceiveReplyTo(channel, 2), "v3 device list");
            }
        }

        [Test]
        static void ServerStartsWithDefaultsAtTheFirstFrame()
        {
            using (var channel = PullChannel("C# raw defaults"))
            {
                channel.Send(Hello());
                var info = Body(ReceiveReplyTo(channel, 1));
                Assert.Equal(4, (int)info["ProtocolVersionMajor"], "spec version");
                // The server runs now: options come too late.
                Assert.RequestError(ErrorCode.AlreadyConnected, () => channel.ConfigureAsync(SimulatedOnly()),
                    "configure after the first frame");
            }
        }

        [Test]
        static void ProtocolErrorsComeBackAsButtplugErrors()
        {
            using (var channel = PullChannel("C# raw errors"))
            {
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                // Before the handshake: an Error message (not an exception), and the channel goes on.
                channel.Send(Frame("StartScanning", new JObject { { "Id", 7 } }));
                var reply = ReceiveReplyTo(channel, 7);
                Assert.Equal("Error", Kind(reply), "reply kind");
                Assert.True((int)Body(reply)["ErrorCode"] > 0 && ((string)Body(reply)["ErrorMessage"]).Length > 0,
                    "error code and message: " + reply);
                channel.Send(Hello());
                Assert.Equal("ServerInfo", Kind(ReceiveReplyTo(channel, 1)), "handshake after the error");
            }
        }

        [Test]
        static void BadFramesThrowAndTheChannelGoesOn()
        {
            using (var channel = PullChannel("C# raw bad"))
            {
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                // Not JSON: the server answers as Buttplug says, with an Error message (MESSAGE, Id 0).
                channel.Send("[not json");
                var frame = Support.Await(channel.ReceiveAsync(Support.Wait));
                Assert.Equal(1, frame.Count, "one message");
                Assert.Equal("Error", Kind(frame[0]), "reply kind");
                Assert.Equal(0, (int)Body(frame[0])["Id"], "error id");
                Assert.Equal(3, (int)Body(frame[0])["ErrorCode"], "error code (ERROR_MSG)");
                // Not even text: the library refuses the bytes.
                Assert.StatusError(Status.Decode, () =>
                {
                    channel.Send(new byte[] { (byte)'[', 0xff, (byte)']' });
                    return Task.FromResult(0);
                }, "non-UTF-8 bytes");
                // What is not a frame never reaches the library.
                Assert.Throws<ArgumentException>(() => channel.Send("{\"id\":1,\"ping\":{}}"), "a control request as a frame");
                Assert.Throws<ArgumentException>(() => channel.Send(" \n "), "blank text");
                Assert.Throws<ArgumentException>(() => channel.Send(new byte[0]), "no bytes");
                Assert.Throws<ArgumentException>(() => channel.Send("[\"\uD800\"]"), "a lone surrogate (no UTF-8 form)");
                Assert.Throws<ArgumentException>(() => channel.Send(new JArray("\uDC00")), "a lone surrogate in a JArray");
                Assert.Throws<ArgumentNullException>(() => channel.Send((string)null), "null text");
                Assert.Throws<ArgumentNullException>(() => channel.Send((JArray)null), "null frame");
                Assert.Throws<TimeoutException>(() => channel.ReceiveAsync(TimeSpan.Zero), "nothing more came");
                var cts = new CancellationTokenSource();
                var cancelled = channel.ReceiveAsync(cts.Token);
                cts.Cancel();
                Assert.Throws<OperationCanceledException>(() => cancelled, "cancelled receive");
                // Whitespace before the array is fine.
                channel.Send("\r\n\t " + Hello().ToString());
                var next = Support.Await(channel.ReceiveAsync(Support.Wait));
                Assert.Equal("ServerInfo", Kind(next[0]), "the next frame answers the handshake (nothing else was sent)");
            }
        }

        [Test]
        static void ControlRequestErrorsAreTyped()
        {
            using (var channel = new ButtplugChannel("C# raw control"))
            {
                Assert.RequestError(ErrorCode.Unsupported, () => channel.RequestAsync("connect",
                    new JObject { { "remote", new JObject { { "url", "ws://127.0.0.1:1" } } } }), "no remote raw channels");
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                Assert.RequestError(ErrorCode.AlreadyConnected, () => channel.ConfigureAsync(SimulatedOnly()), "configure twice");
                var e = Assert.Throws<TeleplugRequestException>(
                    () => channel.RequestAsync("simulatorDisconnect", new JObject { { "address", "nobody" } }), "unknown device");
                Assert.True(e.Code != 0 && e.Request == "simulatorDisconnect" && e.Detail.Length > 0, "typed error: " + e);
                // A successful request completes with the library's reply.
                var reply = Support.Await(channel.RequestAsync("simulatorAdvertise",
                    new JObject { { "lovense", new JObject { { "address", "ctl-toy" } } } }));
                Assert.True(reply["ok"] is JObject && (uint)reply["id"] > 0, "reply: " + reply);
                Assert.Throws<ArgumentNullException>(() => channel.RequestAsync(null, new JObject()), "null body key");
                Assert.Throws<ArgumentNullException>(() => channel.ConfigureAsync(null), "null options");
                Assert.Throws<ArgumentNullException>(() => channel.SimulatorAdvertiseLovenseAsync(null), "null address");
                Assert.Throws<InvalidOperationException>(() => channel.ReceiveAsync(), "ReceiveAsync without QueueFrames");
            }
        }

        [Test]
        static void DisposeFailsWhatIsPendingAndRefusesLaterCalls()
        {
            long finalizedBefore = Sinks.FinalizedCount(Native.FormatButtplugJson);
            int liveBefore = Sinks.LiveCount(Native.FormatButtplugJson);
            using (var ctx = new TeleplugContext(ContextFlags.Debug))
            {
                var channel = PullChannel("C# raw dispose", ctx);
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                var slow = channel.RequestAsync("debug", new JObject { { "sleepMs", 60000 } });
                var receive = channel.ReceiveAsync(Support.Wait);
                channel.Dispose();
                channel.Dispose(); // idempotent
                Assert.True(channel.IsDisposed, "disposed");
                Assert.Throws<ObjectDisposedException>(() => slow, "pending request of a disposed channel");
                Assert.Throws<ObjectDisposedException>(() => receive, "pending receive of a disposed channel");
                Assert.Throws<ObjectDisposedException>(() => channel.Send(Hello()), "Send after Dispose");
                Assert.Throws<ObjectDisposedException>(() => channel.Send("[]"), "text Send after Dispose");
                Assert.Throws<ObjectDisposedException>(() => channel.ReceiveAsync(), "ReceiveAsync after Dispose");
                Assert.Throws<ObjectDisposedException>(() => channel.SimulatorAdvertiseLovenseAsync("late"), "request after Dispose");
                // The native finalizer ran exactly once; the context goes on.
                Assert.True(Support.Eventually(() => Sinks.LiveCount(Native.FormatButtplugJson) == liveBefore), "registration removed");
                Assert.Equal(finalizedBefore + 1, Sinks.FinalizedCount(Native.FormatButtplugJson), "finalizer ran once");
                using (var other = PullChannel("C# raw after", ctx))
                {
                    other.Send(Hello());
                    Assert.Equal("ServerInfo", Kind(ReceiveReplyTo(other, 1)), "another channel of the context works");
                }
            }
        }

        [Test]
        static void DisposeInsideAFrameHandler()
        {
            var manual = new ManualEventDelivery();
            var channel = new ButtplugChannel("C# raw handler", new ButtplugChannelOptions { Delivery = manual });
            try
            {
                int calls = 0;
                int handlerThread = -1;
                channel.FrameReceived += (s, e) =>
                {
                    calls++;
                    handlerThread = Thread.CurrentThread.ManagedThreadId;
                    ((ButtplugChannel)s).Dispose();
                };
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                channel.Send(Hello());
                channel.Send(Frame("RequestDeviceList", new JObject { { "Id", 2 } }));
                Assert.True(Support.Eventually(() => manual.Pending >= 2), "two frames wait for DispatchPending");
                Assert.Equal(0, calls, "no handler before DispatchPending");
                manual.DispatchPending();
                Assert.Equal(1, calls, "no handler after Dispose");
                Assert.Equal(Thread.CurrentThread.ManagedThreadId, handlerThread, "handler on the dispatching thread");
                Assert.True(channel.IsDisposed, "disposed inside the handler");
            }
            finally
            {
                channel.Dispose();
            }
        }

        [Test]
        static void ContextShutdownClosesAChannelAndFailsPendingRequests()
        {
            using (var ctx = new TeleplugContext(ContextFlags.Debug))
            using (var channel = new ButtplugChannel("C# raw shared",
                new ButtplugChannelOptions { Context = ctx, QueueFrames = true }))
            {
                var closed = new Events<ClosedEventArgs>();
                channel.Closed += closed.Handler;
                var ops = new Events<SimulatorOperation>();
                channel.SimulatorOperation += (s, e) => ops.Add(e.Operation);
                Support.Await(channel.ConfigureAsync(SimulatedOnly()));
                Support.Await(channel.SimulatorAdvertiseLovenseAsync("shut-toy"));
                channel.Send(Hello());
                ReceiveReplyTo(channel, 1);
                channel.Send(Frame("StartScanning", new JObject { { "Id", 2 } }));
                ReceiveReplyTo(channel, 2);
                ReceiveUntil(channel, IsDeviceListWithDevices);
                channel.Send("[{\"OutputCmd\":{\"Id\":3,\"DeviceIndex\":0,\"FeatureIndex\":0,\"Command\":{\"Vibrate\":{\"Value\":20}}}}]");
                ReceiveReplyTo(channel, 3);
                ops.WaitFor(o => o.Kind == SimulatorOpKind.Write && o.Text == "Vibrate:20;", null, "vibrating");

                var slow = channel.RequestAsync("debug", new JObject { { "sleepMs", 60000 } });
                ctx.Shutdown(TimeSpan.FromSeconds(5));
                Assert.RequestError(ErrorCode.Shutdown, () => slow, "pending request at shutdown");
                closed.WaitFor(e => true, null, "closed");
                Assert.True(channel.IsClosed && !channel.IsDisposed, "closed, not disposed");
                ops.WaitFor(o => o.Kind == SimulatorOpKind.Write && o.Text == "Vibrate:0;", null, "the toy was stopped");
                // Frames that came before the end can still be read; then the end, for good.
                var end = Assert.Throws<TeleplugStatusException>(() =>
                {
                    for (int i = 0; i < 100; i++) Support.Await(channel.ReceiveAsync(Support.Wait));
                    return Task.FromResult(0);
                }, "receive after shutdown");
                Assert.Equal(Status.Closed, end.Status, "end status");
                Assert.StatusError(Status.Closed, () => channel.ReceiveAsync(Support.Wait), "the end stays");
                Assert.StatusError(Status.Shutdown, () => { channel.Send(Hello()); return Task.FromResult(0); }, "Send after shutdown");
                Assert.StatusError(Status.Shutdown, () => channel.SimulatorAdvertiseLovenseAsync("late"), "request after shutdown");
            }
        }
    }
}
