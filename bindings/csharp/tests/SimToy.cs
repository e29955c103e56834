// A simulated Lovense toy on `teleplug serve --simulator-port`'s control endpoint (README,
// "Simulator control endpoint"): advertises itself, answers "DeviceType;" and "Battery;", and
// records every operation the server performs on it.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.WebSockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace Teleplug.Tests
{
    sealed class SimToy : IDisposable
    {
        readonly ClientWebSocket ws = new ClientWebSocket();
        readonly SemaphoreSlim sendLock = new SemaphoreSlim(1, 1);
        readonly Task reader;
        readonly string id;
        readonly int battery;

        /// <summary>Every frame from the server, in order ("Write tx Vibrate:10;", "Subscribe rx"...).</summary>
        public readonly Events<string> Ops = new Events<string>();

        public SimToy(string controlUrl, string id, string address, int battery)
        {
            this.id = id;
            this.battery = battery;
            Support.Await(ws.ConnectAsync(new Uri(controlUrl), CancellationToken.None));
            reader = Task.Run(() => Read());
            Send(new JObject
            {
                { "Advertise", new JObject { { "id", id }, { "name", "LVS-Hush" }, { "address", address } } },
            });
        }

        /// <summary>The control URL from the environment (set by test.sh), or a skip.</summary>
        public static string ControlUrl
        {
            get
            {
                var url = Environment.GetEnvironmentVariable("TELEPLUG_SIMULATOR_URL");
                if (string.IsNullOrEmpty(url)) throw new SkipException("TELEPLUG_SIMULATOR_URL is not set (no teleplug serve)");
                return url;
            }
        }

        public static string ServerUrl
        {
            get
            {
                var url = Environment.GetEnvironmentVariable("TELEPLUG_SERVE_URL");
                if (string.IsNullOrEmpty(url)) throw new SkipException("TELEPLUG_SERVE_URL is not set (no teleplug serve)");
                return url;
            }
        }

        void Send(JObject frame)
        {
            var bytes = Encoding.UTF8.GetBytes(frame.ToString(Newtonsoft.Json.Formatting.None));
            sendLock.Wait();
            try
            {
                Support.Await(ws.SendAsync(new ArraySegment<byte>(bytes), WebSocketMessageType.Text, true, CancellationToken.None));
            }
            finally
            {
                sendLock.Release();
            }
        }

        void Notify(string endpoint, string text)
        {
            Send(new JObject
            {
                { "Notify", new JObject
                    { { "id", id }, { "endpoint", endpoint }, { "data", new JArray(Encoding.UTF8.GetBytes(text).Select(b => (int)b)) } } },
            });
        }

        async Task Read()
        {
            var buf = new byte[65536];
            try
            {
                while (ws.State == WebSocketState.Open)
                {
                    int n = 0;
                    WebSocketReceiveResult r;
                    do
                    {
                        r = await ws.ReceiveAsync(new ArraySegment<byte>(buf, n, buf.Length - n), CancellationToken.None);
                        n += r.Count;
                    } while (!r.EndOfMessage);
                    if (r.MessageType == WebSocketMessageType.Close) break;
                    Handle(Json.Parse(Encoding.UTF8.GetString(buf, 0, n)));
                }
            }
            catch (Exception e)
            {
                Ops.Add("ReaderFailed " + e.Message);
            }
        }

        void Handle(JObject frame)
        {
            var p = frame.Properties().First();
            var body = (JObject)p.Value;
            string text = "";
            var data = body["data"] as JArray;
            if (data != null) text = Encoding.UTF8.GetString(data.Select(t => (byte)(int)t).ToArray());
            string endpoint = (string)body["endpoint"] ?? "";
            Ops.Add((p.Name + " " + endpoint + " " + text).Trim());
            if (p.Name == "Write")
            {
                if (text == "DeviceType;") Notify("rx", "Z:11:0082059AD3BD;");
                else if (text == "Battery;") Notify("rx", battery + ";");
            }
        }

        public void WaitWrite(string text)
        {
            Ops.WaitFor(o => o == "Write tx " + text, null, "toy write " + text);
        }

        /// <summary>Disconnects the device (waiting for the server to confirm) and closes the control connection.</summary>
        public void Dispose()
        {
            try
            {
                if (ws.State == WebSocketState.Open)
                {
                    Send(new JObject { { "Disconnect", new JObject { { "id", id } } } });
                    Ops.WaitFor(o => o.StartsWith("Disconnected"), null, "disconnected");
                    Support.Await(ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None));
                    Support.Await(reader);
                }
            }
            finally
            {
                ws.Dispose();
            }
        }
    }
}
