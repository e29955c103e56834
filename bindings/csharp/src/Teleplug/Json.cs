// The canonical proto3 JSON mapping of proto/teleplug.proto (docs/FFI.md §3), written and read with
// Newtonsoft.Json's LINQ-to-JSON types only: no reflection over our own types, so nothing here
// depends on what IL2CPP's managed stripping keeps.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Teleplug
{
    /// <summary>One response or event from the library.</summary>
    internal sealed class Message
    {
        public uint Id;
        /// <summary>The set member of the `body` oneof, lowerCamelCase ("deviceAdded"); null if none.</summary>
        public string Kind;
        public JToken Body;

        public JObject BodyObject { get { return Body as JObject ?? new JObject(); } }
    }

    internal static class Json
    {
        /// <summary>UTF-8 that throws on what has no UTF-8 form (lone surrogates, invalid bytes).</summary>
        internal static readonly UTF8Encoding Utf8 = new UTF8Encoding(false, true);

        /// <summary>The response body members this wrapper understands (checked against the .proto).</summary>
        internal static readonly string[] KnownResponseBodies =
        {
            "ok", "error", "connected", "deviceList", "inputReading", "deviceAdded", "deviceRemoved",
            "deviceListChanged", "scanningFinished", "serverDisconnected", "log", "simulatorOp", "closed",
        };

        internal static byte[] Encode(JObject o)
        {
            var sw = new StringWriter(CultureInfo.InvariantCulture);
            using (var w = new JsonTextWriter(sw))
            {
                w.Formatting = Formatting.None;
                // proto3 JSON writes NaN and the infinities as the strings "NaN", "Infinity".
                w.FloatFormatHandling = FloatFormatHandling.String;
                o.WriteTo(w);
            }
            return Utf8.GetBytes(sw.ToString());
        }

        internal static JObject Parse(string text)
        {
            return Load(text, JObject.Load, "JSON object");
        }

        static T Load<T>(string text, Func<JsonReader, T> load, string what) where T : JToken
        {
            using (var r = new JsonTextReader(new StringReader(text)))
            {
                // Strings stay strings (no date guessing); numbers keep their JSON type.
                r.DateParseHandling = DateParseHandling.None;
                r.FloatParseHandling = FloatParseHandling.Double;
                var t = load(r);
                if (r.Read()) throw new JsonReaderException("trailing data after the " + what);
                return t;
            }
        }

        /// <summary>The UTF-8 text of <paramref name="what"/> ("a message") from the library.</summary>
        internal static string Text(byte[] bytes, string what)
        {
            try
            {
                return Utf8.GetString(bytes);
            }
            catch (ArgumentException e)
            {
                throw new TeleplugProtocolException(what + " from the library is not UTF-8", e);
            }
        }

        internal static Message Decode(byte[] bytes)
        {
            string text = Text(bytes, "a message");
            JObject o;
            try
            {
                o = Parse(text);
            }
            catch (JsonException e)
            {
                throw new TeleplugProtocolException("a message from the library is not a JSON object: " + text, e);
            }
            var m = new Message { Id = U32(o, "id") };
            foreach (var p in o.Properties())
            {
                if (p.Name == "id" || p.Name == "schemaVersion" || p.Name == "schema_version") continue;
                m.Kind = Camel(p.Name);
                m.Body = p.Value;
                break;
            }
            return m;
        }

        /// <summary>A Buttplug frame (the text of a JSON array of messages) from the library.</summary>
        internal static JArray DecodeFrame(string text)
        {
            try
            {
                return Load(text, JArray.Load, "frame");
            }
            catch (JsonException e)
            {
                throw new TeleplugProtocolException("a Buttplug frame from the library is not a JSON array: " + text, e);
            }
        }

        /// <summary>The first byte that is not JSON white space, or -1: '[' starts a Buttplug frame.</summary>
        internal static int FirstNonSpace(byte[] bytes)
        {
            foreach (byte b in bytes)
            {
                if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\n' && b != (byte)'\r') return b;
            }
            return -1;
        }

        // ---- field access: lowerCamelCase names, original proto names accepted ----------------

        internal static JToken Field(JObject o, string camel)
        {
            if (o == null) return null;
            JToken t = o[camel];
            if (t == null)
            {
                string snake = Snake(camel);
                if (snake != camel) t = o[snake];
            }
            return t == null || t.Type == JTokenType.Null ? null : t;
        }

        internal static uint U32(JObject o, string name)
        {
            var t = Field(o, name);
            if (t == null) return 0;
            if (t.Type == JTokenType.String) return uint.Parse((string)t, CultureInfo.InvariantCulture);
            return (uint)(long)t;
        }

        internal static int I32(JObject o, string name)
        {
            var t = Field(o, name);
            if (t == null) return 0;
            if (t.Type == JTokenType.String) return int.Parse((string)t, CultureInfo.InvariantCulture);
            return (int)(long)t;
        }

        /// <summary>The "code" of an Error body.</summary>
        internal static ErrorCode Code(JObject error)
        {
            return (ErrorCode)ProtoEnum.ErrorCode.Value(Field(error, "code"));
        }

        internal static string Str(JObject o, string name)
        {
            var t = Field(o, name);
            return t == null ? "" : (string)t;
        }

        internal static bool Bool(JObject o, string name)
        {
            var t = Field(o, name);
            return t != null && (bool)t;
        }

        internal static byte[] Bytes(JObject o, string name)
        {
            var t = Field(o, name);
            if (t == null) return new byte[0];
            // proto3 JSON bytes: standard base64 (readers also accept the URL-safe alphabet).
            string s = ((string)t).Replace('-', '+').Replace('_', '/');
            while (s.Length % 4 != 0) s += "=";
            return Convert.FromBase64String(s);
        }

        internal static JObject Obj(JObject o, string name)
        {
            return Field(o, name) as JObject;
        }

        internal static JArray Arr(JObject o, string name)
        {
            return Field(o, name) as JArray ?? new JArray();
        }

        /// <summary>Sets <paramref name="name"/> to the array of <paramref name="items"/>, each written by
        /// <paramref name="write"/>, unless there are none (proto3 JSON omits empty repeated fields). A null
        /// item throws an <see cref="ArgumentException"/> naming <paramref name="what"/>.</summary>
        internal static void PutArray<T>(JObject o, string name, ICollection<T> items, string what, Func<T, JToken> write)
        {
            if (items.Count == 0) return;
            var a = new JArray();
            foreach (var item in items)
            {
                if (item == null) throw new ArgumentException(what + " contains null", what);
                a.Add(write(item));
            }
            o[name] = a;
        }

        internal static string Base64(byte[] data)
        {
            return Convert.ToBase64String(data ?? new byte[0]);
        }

        internal static string Camel(string name)
        {
            if (name.IndexOf('_') < 0) return name;
            var sb = new StringBuilder(name.Length);
            bool up = false;
            foreach (char c in name)
            {
                if (c == '_') { up = true; continue; }
                sb.Append(up ? char.ToUpperInvariant(c) : c);
                up = false;
            }
            return sb.ToString();
        }

        internal static string Snake(string camel)
        {
            var sb = new StringBuilder(camel.Length + 4);
            foreach (char c in camel)
            {
                if (char.IsUpper(c))
                {
                    sb.Append('_');
                    sb.Append(char.ToLowerInvariant(c));
                }
                else
                {
                    sb.Append(c);
                }
            }
            return sb.ToString();
        }
    }
}
