// The proto3 JSON names of the schema's enums: names out, names or integers in. The tables
// (one static field per enum, and All) are generated into Enums.cs by bindings/tools/gen_enums.py.
using System;
using System.Collections.Generic;

namespace Teleplug
{
    /// <summary>The proto3 JSON names of a schema enum (names out; names or integers in).</summary>
    internal sealed partial class ProtoEnum
    {
        readonly Dictionary<int, string> names = new Dictionary<int, string>();
        readonly Dictionary<string, int> values = new Dictionary<string, int>(StringComparer.Ordinal);
        internal readonly string ProtoName;

        ProtoEnum(string protoName, string prefix, params string[] members)
        {
            ProtoName = protoName;
            // members: "NAME=value" (generated from the schema).
            foreach (var m in members)
            {
                int eq = m.IndexOf('=');
                string name = prefix + m.Substring(0, eq);
                int value = int.Parse(m.Substring(eq + 1));
                names[value] = name;
                values[name] = value;
            }
        }

        internal IEnumerable<KeyValuePair<string, int>> Members { get { return values; } }

        internal string Name(int value)
        {
            string n;
            if (names.TryGetValue(value, out n)) return n;
            throw new ArgumentOutOfRangeException("value", value, "not a value of " + ProtoName);
        }

        /// <summary>The value of a name or integer; unknown names read as 0 (forward compatibility).</summary>
        internal int Value(Newtonsoft.Json.Linq.JToken token)
        {
            if (token == null) return 0;
            if (token.Type == Newtonsoft.Json.Linq.JTokenType.Integer) return (int)(long)token;
            if (token.Type == Newtonsoft.Json.Linq.JTokenType.String)
            {
                string s = (string)token;
                int v;
                if (values.TryGetValue(s, out v)) return v;
                if (int.TryParse(s, out v)) return v;
            }
            return 0;
        }
    }
}
