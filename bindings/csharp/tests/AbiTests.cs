// The wrapper against the files it mirrors: include/teleplug.h (every export, its parameter
// types, the status codes and constants) and proto/teleplug.proto (every enum and every response
// body), and the proto3 JSON reading rules with Newtonsoft.Json.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;

namespace Teleplug.Tests
{
    static class AbiTests
    {
        static string Header { get { return File.ReadAllText(Path.Combine(Support.Root, "include", "teleplug.h")); } }
        static string Proto { get { return File.ReadAllText(Path.Combine(Support.Root, "proto", "teleplug.proto")); } }

        [Test]
        static void LibraryLoadsWithTheExpectedAbi()
        {
            Assert.Equal(1u, TeleplugContext.AbiVersion, "ABI version");
            var m = Regex.Match(Header, @"#define TP_ABI_VERSION (\d+)");
            Assert.Equal(uint.Parse(m.Groups[1].Value), Native.AbiVersion, "the wrapper's ABI = the header's");
            var v = Regex.Match(Header, "#define TP_VERSION_STRING \"([^\"]+)\"").Groups[1].Value;
            Assert.Equal(v, TeleplugContext.LibraryVersion, "library version");
        }

        static string StripComments(string c)
        {
            c = Regex.Replace(c, @"/\*.*?\*/", " ", RegexOptions.Singleline);
            return Regex.Replace(c, @"//[^\n]*", " ");
        }

        static string MapType(string cType, bool isReturn)
        {
            string t = Regex.Replace(cType.Replace("const ", "").Trim(), @"\s*\*", "*");
            switch (t)
            {
                case "void": return "Void";
                case "uint32_t": return "UInt32";
                case "int32_t": return "Int32";
                case "size_t": return "UIntPtr";
                case "tp_buffer": return "TpBuffer";
                case "tp_buffer*": return "out TpBuffer";
                case "tp_context**":
                case "tp_client**": return "out IntPtr";
                case "tp_event_fn":
                case "tp_free_fn":
                case "tp_log_fn": return "IntPtr";
            }
            if (t.EndsWith("*")) return "IntPtr";
            throw new Exception("unmapped C type " + cType + (isReturn ? " (return)" : ""));
        }

        static string ManagedType(Type t, bool isOut)
        {
            if (t.IsByRef) return (isOut ? "out " : "ref ") + t.GetElementType().Name;
            return t.Name;
        }

        [Test]
        static void NativeDeclarationsMatchTheHeader()
        {
            // Declarations: statements of the header without comments and preprocessor lines.
            var lines = StripComments(Header).Split('\n').Where(l => !l.TrimStart().StartsWith("#"));
            var header = string.Join("\n", lines).Replace("extern \"C\" {", " ").Replace("}", ";");
            var expected = new Dictionary<string, string>();
            foreach (var statement in header.Split(';'))
            {
                var m = Regex.Match(statement.Trim(), @"^([A-Za-z_][\w\s\*]*?)\s*\b(tp_\w+)\s*\(([^)]*)\)$");
                if (!m.Success || m.Groups[1].Value.StartsWith("typedef")) continue;
                string ret = m.Groups[1].Value.Trim();
                var ps = m.Groups[3].Value.Trim();
                var types = new List<string>();
                if (ps != "void" && ps.Length > 0)
                {
                    foreach (var p in ps.Split(','))
                    {
                        var decl = p.Trim();
                        var nameMatch = Regex.Match(decl, @"\w+$");
                        types.Add(MapType(decl.Substring(0, nameMatch.Index), false));
                    }
                }
                expected[m.Groups[2].Value] = MapType(ret, true) + " (" + string.Join(", ", types) + ")";
            }
            Assert.True(expected.Count >= 13, "the header declares the exports (" + expected.Count + " found)");
            var actual = new Dictionary<string, string>();
            foreach (var m in typeof(Native).GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            {
                if ((m.Attributes & MethodAttributes.PinvokeImpl) == 0) continue;
                var dll = (DllImportAttribute)m.GetCustomAttributes(typeof(DllImportAttribute), false).FirstOrDefault();
                Assert.True(dll != null, m.Name + " has [DllImport]");
                Assert.Equal(CallingConvention.Cdecl, dll.CallingConvention, m.Name + " calling convention");
                Assert.True(dll.EntryPoint == null || dll.EntryPoint == m.Name, m.Name + " entry point");
                var ps = m.GetParameters().Select(p => ManagedType(p.ParameterType, p.IsOut));
                actual[m.Name] = m.ReturnType.Name + " (" + string.Join(", ", ps) + ")";
            }
            foreach (var kv in expected)
            {
                string got;
                Assert.True(actual.TryGetValue(kv.Key, out got), kv.Key + " is declared in Native.cs");
                Assert.Equal(kv.Value, got, kv.Key + " signature");
            }
            foreach (var name in actual.Keys)
                Assert.True(expected.ContainsKey(name), name + " exists in the header");
            // Blittable only: no string, bool, array or delegate parameters.
            foreach (var sig in actual.Values)
                Assert.True(!Regex.IsMatch(sig, @"String|Boolean|\[\]|Fn\b"), "blittable signature " + sig);
        }

        [Test]
        static void ConstantsMatchTheHeader()
        {
            var defines = new Dictionary<string, long>();
            foreach (Match m in Regex.Matches(Header, @"#define (TP_\w+) (\d+)\s*$", RegexOptions.Multiline))
                defines[m.Groups[1].Value] = long.Parse(m.Groups[2].Value);
            // Status codes: every TP_OK / TP_TIMEOUT / TP_CLOSED / TP_ERR_* is a Status member.
            var statuses = defines.Where(d => d.Key == "TP_OK" || d.Key == "TP_TIMEOUT" || d.Key == "TP_CLOSED" ||
                                              d.Key.StartsWith("TP_ERR_")).ToList();
            Assert.Equal(Enum.GetValues(typeof(Status)).Length, statuses.Count, "number of status codes");
            foreach (var d in statuses)
            {
                var name = Pascal(d.Key.Replace("TP_ERR_", "").Replace("TP_", ""));
                Assert.Equal(d.Value, (long)(int)Enum.Parse(typeof(Status), name), d.Key);
            }
            Assert.Equal(defines["TP_FORMAT_PROTOBUF"], (long)Native.FormatProtobuf, "TP_FORMAT_PROTOBUF");
            Assert.Equal(defines["TP_FORMAT_JSON"], (long)Native.FormatJson, "TP_FORMAT_JSON");
            Assert.Equal(defines["TP_FORMAT_BUTTPLUG_JSON"], (long)Native.FormatButtplugJson, "TP_FORMAT_BUTTPLUG_JSON");
            Assert.Equal(defines["TP_CONTEXT_DEBUG"], (long)ContextFlags.Debug, "TP_CONTEXT_DEBUG");
            foreach (LogLevel l in Enum.GetValues(typeof(LogLevel)))
                Assert.Equal(defines["TP_LOG_" + l.ToString().ToUpperInvariant()], (long)l, "TP_LOG_" + l);
            // Every status has a text in the library.
            foreach (Status s in Enum.GetValues(typeof(Status)))
                Assert.True(Native.StatusName((int)s).Length > 0, "status text of " + s);
        }

        static string Pascal(string upperSnake)
        {
            return string.Concat(upperSnake.Split('_').Select(w => w.Substring(0, 1) + w.Substring(1).ToLowerInvariant()));
        }

        [Test]
        static void SchemaEnumsMatchTheProto()
        {
            var proto = StripComments(Proto);
            var enums = new Dictionary<string, Dictionary<string, int>>();
            foreach (Match m in Regex.Matches(proto, @"enum (\w+) \{([^}]*)\}"))
            {
                var members = new Dictionary<string, int>();
                foreach (Match f in Regex.Matches(m.Groups[2].Value, @"(\w+)\s*=\s*(\d+);"))
                    members[f.Groups[1].Value] = int.Parse(f.Groups[2].Value);
                enums[m.Groups[1].Value] = members;
            }
            Assert.Equal(enums.Count, ProtoEnum.All.Length, "every proto enum has a name table");
            foreach (var e in ProtoEnum.All)
            {
                Dictionary<string, int> members;
                Assert.True(enums.TryGetValue(e.ProtoName, out members), e.ProtoName + " is in the proto");
                var mine = e.Members.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value);
                var theirs = members.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value);
                Assert.Equal(string.Join(",", theirs), string.Join(",", mine), e.ProtoName + " members");
            }
            // The public C# enums carry the same values under the same names.
            var pairs = new Dictionary<Type, string>
            {
                { typeof(OutputType), "OutputType" }, { typeof(InputType), "InputType" },
                { typeof(InputCommandType), "InputCommandType" }, { typeof(ErrorCode), "ErrorCode" },
                { typeof(LogLevel), "LogLevel" }, { typeof(SimulatorOpKind), "SimulatorOpKind" },
            };
            foreach (var p in pairs)
            {
                var members = enums[p.Value];
                Assert.Equal(members.Count, Enum.GetValues(p.Key).Length, p.Value + " member count");
                foreach (var kv in members)
                {
                    var prefix = string.Concat(Regex.Matches(p.Value, "[A-Z][a-z]*").Cast<Match>()
                        .Select(x => x.Value.ToUpperInvariant() + "_"));
                    var name = Pascal(kv.Key.Substring(prefix.Length));
                    Assert.True(Enum.IsDefined(p.Key, name), p.Value + "." + name + " exists");
                    Assert.Equal(kv.Value, Convert.ToInt32(Enum.Parse(p.Key, name)), p.Value + "." + name);
                }
            }
            // Transports = TransportBit.
            foreach (var kv in enums["TransportBit"])
            {
                var name = kv.Key == "TRANSPORT_BIT_NONE" ? "None" : Pascal(kv.Key.Substring("TRANSPORT_BIT_".Length));
                Assert.Equal((uint)kv.Value, (uint)Enum.Parse(typeof(Transports), name), "Transports." + name);
            }
        }

        [Test]
        static void EveryResponseBodyIsHandled()
        {
            var proto = StripComments(Proto);
            var response = Regex.Match(proto, @"message Response \{.*?oneof body \{([^}]*)\}", RegexOptions.Singleline);
            Assert.True(response.Success, "Response.body found in the proto");
            var bodies = Regex.Matches(response.Groups[1].Value, @"\w+\s+(\w+)\s*=\s*\d+;").Cast<Match>()
                .Select(m => Json.Camel(m.Groups[1].Value)).OrderBy(x => x).ToList();
            Assert.Equal(string.Join(",", bodies), string.Join(",", Json.KnownResponseBodies.OrderBy(x => x)),
                "response bodies the wrapper reads");
        }

        [Test]
        static void ResponsesAreReadByTheProto3JsonRules()
        {
            // lowerCamelCase and original names, enums as names or integers, integers as strings,
            // base64 bytes, defaults omitted, unknown fields ignored.
            var m = Json.Decode(Encoding.UTF8.GetBytes(
                "{\"id\":\"7\",\"schema_version\":1,\"simulator_op\":{\"address\":\"a\",\"kind\":2," +
                "\"endpoint\":\"tx\",\"data\":\"VmlicmF0ZToxMDs=\",\"text\":\"Vibrate:10;\",\"future\":[1,2]," +
                "\"write_with_response\":true}}"));
            Assert.Equal(7u, m.Id, "id as a string");
            Assert.Equal("simulatorOp", m.Kind, "body key from the original name");
            var op = SimulatorOperation.Read(m.BodyObject);
            Assert.Equal(SimulatorOpKind.Write, op.Kind, "enum as an integer");
            Assert.Equal("Vibrate:10;", Encoding.UTF8.GetString(op.Data), "base64 bytes");
            Assert.True(op.WriteWithResponse, "snake_case field");
            Assert.Equal("", op.Protocol, "missing string = default");
            var d = Json.Decode(Encoding.UTF8.GetBytes(
                "{\"deviceAdded\":{\"device\":{\"name\":\"2024-01-01T00:00:00Z\",\"features\":[{\"outputs\":" +
                "[{\"type\":\"OUTPUT_TYPE_VIBRATE\",\"value\":{\"max\":20}}]},{\"index\":1,\"inputs\":[{\"type\":" +
                "\"INPUT_TYPE_FUTURE\",\"commands\":[\"INPUT_COMMAND_TYPE_READ\"]}]}]}}}"));
            Assert.Equal(0u, d.Id, "missing id = 0 (an event)");
            var dev = new Device(null, Json.Obj(d.BodyObject, "device"));
            Assert.Equal("2024-01-01T00:00:00Z", dev.Name, "date-like strings stay strings");
            Assert.Equal(0u, dev.Index, "missing index = 0");
            Assert.Equal(new ValueRange(0, 20).ToString(), dev.Features[0].Outputs[0].Value.ToString(), "range");
            Assert.Equal(InputType.Unspecified, dev.Features[1].Inputs[0].Type, "unknown enum name = 0");
            Assert.Equal(InputCommandType.Read, dev.Features[1].Inputs[0].Commands[0], "enum list");
            Assert.Throws<TeleplugProtocolException>(() => Json.Decode(Encoding.UTF8.GetBytes("[1]")), "not an object");
            Assert.Throws<TeleplugProtocolException>(() => Json.Decode(new byte[] { 0xff, 0x7b }), "not UTF-8");
        }

        [Test]
        static void RequestsAreWrittenByTheProto3JsonRules()
        {
            // What the wrapper writes: lowerCamelCase, enum names, defaults omitted, NaN as a string.
            var o = new EmbeddedOptions { DisabledTransports = Transports.Bluetooth | Transports.Serial | Transports.Hid, ServerName = "x" }.ToJson();
            Assert.Equal("{\"serverName\":\"x\",\"disabledTransports\":7}", Encoding.UTF8.GetString(Json.Encode(o)), "embedded options");
            Assert.Equal("{}", Encoding.UTF8.GetString(Json.Encode(new EmbeddedOptions().ToJson())), "defaults omitted");
            var nan = new JObject { { "fraction", double.NaN }, { "inf", double.PositiveInfinity } };
            Assert.Equal("{\"fraction\":\"NaN\",\"inf\":\"Infinity\"}", Encoding.UTF8.GetString(Json.Encode(nan)), "NaN");
            var spec = new SimulatedDeviceSpec("Boost", "kg1") { MessageGapMs = 5 };
            spec.ReadValues["rxblebattery"] = new byte[] { 77 };
            spec.ManufacturerData.Add(new ManufacturerData(0x0100, new byte[] { 1, 2 }));
            Assert.Equal("{\"name\":\"Boost\",\"address\":\"kg1\",\"manufacturerData\":[{\"company\":256,\"data\":\"AQI=\"}]," +
                         "\"readValues\":[{\"endpoint\":\"rxblebattery\",\"data\":\"TQ==\"}],\"messageGapMs\":5}",
                Encoding.UTF8.GetString(Json.Encode(spec.ToJson())), "simulated device spec");
        }
    }
}
