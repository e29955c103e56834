// docs/FFI.md §3: every message kind survives a round trip through the wrapper's JSON library. The
// runner taps every message the library sent during the whole run (one sample per body kind);
// this class runs last and checks that Newtonsoft.Json reads each and writes it back to the
// same bytes, and that the run saw every Response body of the schema.
using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Text;

namespace Teleplug.Tests
{
    static class RoundTripTests
    {
        static readonly ConcurrentDictionary<string, byte[]> samples = new ConcurrentDictionary<string, byte[]>();

        /// <summary>Installed by the runner before the first test.</summary>
        internal static void Install()
        {
            ClientCore.Tap = bytes =>
            {
                try
                {
                    var m = Json.Decode(bytes);
                    var key = (m.Id == 0 ? "event " : "reply ") + (m.Kind ?? "(none)");
                    samples.TryAdd(key, bytes);
                }
                catch (Exception)
                {
                    samples.TryAdd("undecodable " + samples.Count, bytes);
                }
            };
        }

        [Test]
        static void EveryMessageTheLibrarySentRoundTripsThroughNewtonsoft()
        {
            if (Environment.GetEnvironmentVariable("TELEPLUG_REQUIRE_ALL") != "1")
                throw new SkipException("needs the whole run (test.sh)");
            var kinds = samples.Keys.Select(k => k.Substring(k.IndexOf(' ') + 1)).Distinct().ToList();
            foreach (var body in Json.KnownResponseBodies)
                Assert.True(kinds.Contains(body), "the run saw a " + body + " message (seen: " + string.Join(", ", kinds) + ")");
            foreach (var kv in samples)
            {
                Assert.True(!kv.Key.StartsWith("undecodable"), "decodable: " + Encoding.UTF8.GetString(kv.Value));
                var text = Encoding.UTF8.GetString(kv.Value);
                var again = Encoding.UTF8.GetString(Json.Encode(Json.Parse(text)));
                Assert.Equal(text, again, kv.Key + " round trip");
            }
            Console.WriteLine("round-tripped " + samples.Count + " message kinds: " + string.Join(", ", samples.Keys.OrderBy(k => k)));
        }
    }
}
