using System.Text;
using System.Text.Json.Nodes;
using KeyShareDetector.Contracts;
using KeyShareDetector.Contracts.Wire;
using KeyShareDetector.Simulator;

namespace KeyShareDetector.Integration.Tests.Reliability;

/// <summary>One malformed input record: its kind of damage, where it goes, and the DLQ error codes that may name it.</summary>
public sealed record HostileRecord(string Category, SimTopic Topic, byte[]? Key, byte[]? Value, long Timestamp, IReadOnlyList<string> Codes);

/// <summary>
/// Deterministic fuzzer (one seeded <see cref="Random"/>): turns a valid simulated record into a malformed one of a
/// category that applies to its topic. Every record it makes must be dead-lettered with one of its codes.
/// </summary>
public sealed class HostileInput(int seed)
{
    public const string RandomBytes = "random_bytes";
    public const string TruncatedAvro = "truncated_avro";
    public const string AvroTrailingBytes = "avro_trailing_bytes";
    public const string UnknownSchema = "unknown_schema";
    public const string MalformedJson = "malformed_json";
    public const string JsonNotObject = "json_not_object";
    public const string WrongJsonType = "wrong_json_type";
    public const string HugeString = "huge_string";
    public const string InvalidIp = "invalid_ip";
    public const string TsOutOfRange = "ts_out_of_range";
    public const string TsSkew = "ts_skew";
    public const string BadNumber = "bad_number";
    public const string UnknownEnumJson = "unknown_enum_json";
    public const string UnknownEnumAvro = "unknown_enum_avro";
    public const string NullField = "null_field";
    public const string MissingField = "missing_field";
    public const string BlankId = "blank_id";
    public const string InvalidUtf8 = "invalid_utf8";
    public const string TooManyItems = "too_many_items";
    public const string EmptyValue = "empty_value";
    public const string KeyMismatch = "key_mismatch";

    private static readonly string[] Common =
    [
        RandomBytes, TruncatedAvro, AvroTrailingBytes, UnknownSchema, MalformedJson, JsonNotObject, WrongJsonType, HugeString,
        UnknownEnumJson, UnknownEnumAvro, NullField, MissingField, BlankId, InvalidUtf8, EmptyValue, KeyMismatch,
    ];

    private static readonly Dictionary<SimTopic, string[]> ByTopic = new()
    {
        [SimTopic.Access] = [.. Common, InvalidIp, TsOutOfRange, TsSkew],
        [SimTopic.Orders] = [.. Common, InvalidIp, TsOutOfRange, TsSkew, BadNumber],
        [SimTopic.Registry] = [.. Common, InvalidIp, TooManyItems],
        [SimTopic.Lifecycle] = [.. Common, TsOutOfRange, TsSkew],
    };

    /// <summary>Textual forms that are not one IPv4 dotted quad or IPv6 address, including ones .NET's parser would read as some address.</summary>
    private static readonly string[] BadIps =
    [
        "300.1.1.1", "999.999.999.999", "not-an-ip", "", "  ", "1.2.3.4.5", "1.2.3.4/24", "1.2.3.4:443", "::zz", "1::2::3",
        "1:2:3:4:5:6:7:8:9", " 1.2.3.4", "1.2.3.4 ", "1.2.3", "127.1", "1", "4294967295", "010.0.0.1", "0x7f.0.0.1", "[::1]",
        "fe80::1%eth0", "１.２.３.４", "1.2.3.-4", "+1.2.3.4", "1.2.3.4\n", "::ffff:1.2.3.256",
    ];

    private static readonly string[] BadCidrs =
    [
        "10.0.0.0/33", "10.0.0.0/-1", "::/129", "1.2.3.4/", "/24", "x", "10.0.0.0/8/8", "300.0.0.0/8", "010.0.0.0/8", "10.1/16", "", "10.0.0.0/0x8",
    ];

    private static readonly string[] BadSymbols = ["HOLD", "buy", "Buy", "", " BUY", "PLACE ", "0", "ROOT", "KEY_STOLEN", "\u00e9", "null"];

    private readonly Random _rng = new(seed);

    public HostileRecord Next(SimRecord template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var categories = ByTopic[template.Topic];
        string category = categories[_rng.Next(categories.Length)];
        byte[]? key = KeyFor(category, template);
        var (value, codes) = Build(category, template);
        if (category == EmptyValue && template.Topic == SimTopic.Registry)
        {
            // A keyed empty registry value is a tombstone (it deletes the registration): only keyless ones are bad.
            key = _rng.Next(2) == 0 ? null : [];
        }
        return new HostileRecord(category, template.Topic, key, value, template.Ts, codes);
    }

    /// <summary>Mostly the template's key; some bad records come without one (they must still reach the DLQ).</summary>
    private byte[]? KeyFor(string category, SimRecord template)
    {
        if (category == KeyMismatch) return Encoding.UTF8.GetBytes(template.Key + (_rng.Next(2) == 0 ? "~other" : "-" + _rng.Next(1000)));
        return _rng.Next(20) switch
        {
            0 => null,
            1 => [],
            _ => Encoding.UTF8.GetBytes(template.Key),
        };
    }

    private (byte[]? Value, string[] Codes) Build(string category, SimRecord t) => category switch
    {
        RandomBytes => (Bytes(_rng.Next(1, 300)), ["UNKNOWN_FORMAT", "PARSE_ERROR", "UNKNOWN_SCHEMA", "WRONG_TYPE", "MISSING_FIELD"]),
        TruncatedAvro => Truncated(Avro(t)),
        AvroTrailingBytes => ([.. Avro(t), .. Bytes(_rng.Next(1, 17))], ["PARSE_ERROR"]),
        UnknownSchema => (UnknownSchemaOf(Avro(t)), ["UNKNOWN_SCHEMA"]),
        MalformedJson => (MalformedJsonOf(Json(t)), ["PARSE_ERROR"]),
        JsonNotObject => (NotAnObject(t), ["UNKNOWN_FORMAT"]),
        WrongJsonType => (WrongType(t), ["WRONG_TYPE"]),
        HugeString => (Huge(t), ["FIELD_TOO_LONG", "INVALID_CIDR"]),
        InvalidIp => (BadIp(t), ["INVALID_IP", "INVALID_CIDR"]),
        TsOutOfRange => (Encode(WithTs(t, Pick([0L, 1, -1, -86_400_000, long.MinValue, 1_000_000_000_000, 1_420_070_399_999, 4_102_444_800_001, 9_999_999_999_999, long.MaxValue]))), ["TS_OUT_OF_RANGE"]),
        TsSkew => (Encode(WithTs(t, t.Ts + Skew())), ["TS_SKEW"]),
        BadNumber => (BadNumberOf(t), ["INVALID_NUMBER"]),
        UnknownEnumJson => (UnknownSymbol(t), ["UNKNOWN_ENUM"]),
        UnknownEnumAvro => (UnknownIndex(t), ["UNKNOWN_ENUM"]),
        NullField => (NullOf(t), ["MISSING_FIELD", "WRONG_TYPE"]),
        MissingField => (Missing(t), ["MISSING_FIELD"]),
        BlankId => (Blank(t), ["MISSING_FIELD"]),
        InvalidUtf8 => (NotUtf8(t), ["PARSE_ERROR", "WRONG_TYPE"]),
        TooManyItems => (TooMany(t), ["FIELD_TOO_LONG"]),
        EmptyValue => (_rng.Next(2) == 0 ? null : [], ["EMPTY_VALUE"]),
        KeyMismatch => (Encode(t), ["KEY_MISMATCH"]),
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.Next(items.Count)];

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _rng.NextBytes(b);
        return b;
    }

    /// <summary>More than 24 h from the record time, yet inside 2015..2100 (the scenario runs in 2026).</summary>
    private long Skew() => _rng.Next(2) == 0
        ? -(86_400_001 + _rng.NextInt64(3_000L * 86_400_000))
        : 86_400_001 + _rng.NextInt64(25_000L * 86_400_000);

    private string Text(int length)
    {
        var sb = new StringBuilder(length);
        bool wide = _rng.Next(4) == 0;
        for (int i = 0; i < length; i++) sb.Append(wide && i % 7 == 0 ? '\uD55C' : (char)('a' + _rng.Next(26)));
        return sb.ToString();
    }

    /// <summary>Longer than the limit: mostly a little, sometimes by far.</summary>
    private string Oversized(int limit) => Text(_rng.Next(50) == 0 ? _rng.Next(20_000, 60_000) : _rng.Next(limit + 1, (limit * 4) + 2));

    private byte[] Encode(SimRecord r) => _rng.Next(2) == 0 ? Avro(r) : Json(r);

    private static byte[] Avro(SimRecord r) => r.Topic switch
    {
        SimTopic.Access => ContractCodecs.Access.SerializeAvro(r.Access!),
        SimTopic.Orders => ContractCodecs.Order.SerializeAvro(r.Order!),
        SimTopic.Registry => ContractCodecs.Registry.SerializeAvro(r.Registry!),
        _ => ContractCodecs.Lifecycle.SerializeAvro(r.Lifecycle!),
    };

    private static byte[] Json(SimRecord r) => r.Topic switch
    {
        SimTopic.Access => ContractCodecs.Access.SerializeJson(r.Access!),
        SimTopic.Orders => ContractCodecs.Order.SerializeJson(r.Order!),
        SimTopic.Registry => ContractCodecs.Registry.SerializeJson(r.Registry!),
        _ => ContractCodecs.Lifecycle.SerializeJson(r.Lifecycle!),
    };

    private static JsonObject Node(SimRecord r) => JsonNode.Parse(Json(r))!.AsObject();

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static SimRecord WithTs(SimRecord r, long ts) => r.Topic switch
    {
        SimTopic.Access => r with { Access = r.Access! with { Ts = ts } },
        SimTopic.Orders => r with { Order = r.Order! with { Ts = ts } },
        _ => r with { Lifecycle = r.Lifecycle! with { Ts = ts } },
    };

    private (byte[] Value, string[] Codes) Truncated(byte[] avro)
    {
        int cut = _rng.Next(1, avro.Length);
        // One byte (0xC3) is no wire format at all; anything longer is a truncated header or body.
        return (avro[..cut], cut == 1 ? ["UNKNOWN_FORMAT"] : ["PARSE_ERROR"]);
    }

    private byte[] UnknownSchemaOf(byte[] avro)
    {
        if (_rng.Next(2) == 0)
        {
            // Another writer schema's fingerprint.
            var copy = (byte[])avro.Clone();
            copy[2 + _rng.Next(8)] ^= (byte)(1 + _rng.Next(255));
            return copy;
        }
        // Schema Registry framing, but this detector has no registry to ask.
        byte[] framed = new byte[avro.Length - 10 + 5];
        framed[0] = 0;
        _rng.NextBytes(framed.AsSpan(1, 4));
        avro.AsSpan(10).CopyTo(framed.AsSpan(5));
        return framed;
    }

    private byte[] MalformedJsonOf(byte[] json)
    {
        string s = Encoding.UTF8.GetString(json);
        string body = s[1..^1];
        return Encoding.UTF8.GetBytes(_rng.Next(10) switch
        {
            0 => s[.._rng.Next(1, s.Length)],
            1 => s + "x",
            2 => s + "{}",
            3 => s[..^1] + ",}",
            4 => "{" + body.Replace("\"", "'", StringComparison.Ordinal) + "}",
            5 => "{" + body + ",\"" + FirstField(body) + "\":\"again\"}",
            6 => "{\"deep\":" + new string('[', 200) + new string(']', 200) + "," + body + "}",
            7 => "{/* comment */" + body + "}",
            8 => "{" + body + ",\"n\":NaN}",
            _ => "{" + body.Replace("\"" + FirstField(body) + "\"", FirstField(body), StringComparison.Ordinal) + "}",
        });
    }

    private static string FirstField(string body) => body[1..body.IndexOf('"', 1)];

    private byte[] NotAnObject(SimRecord t) => _rng.Next(7) switch
    {
        0 => "[]"u8.ToArray(),
        1 => [.. "["u8, .. Json(t), .. "]"u8],
        2 => "null"u8.ToArray(),
        3 => "42"u8.ToArray(),
        4 => "\"text\""u8.ToArray(),
        5 => "true"u8.ToArray(),
        _ => "   \n"u8.ToArray(),
    };

    /// <summary>JSON field names of each input by kind: ids and text, integers, doubles, enums, arrays.</summary>
    private static (string[] Strings, string[] Integers, string[] Doubles, string[] Enums, string[] Arrays) Fields(SimTopic topic) => topic switch
    {
        SimTopic.Access => (["event_id", "api_key_id", "account_id", "ip", "user_agent", "session_id", "endpoint", "method", "tls_fingerprint"],
            ["ts", "status", "client_ts"], [], ["permission"], []),
        SimTopic.Orders => (["event_id", "api_key_id", "account_id", "order_id", "symbol", "ip", "session_id"], ["ts"],
            ["price", "quantity", "filled_quantity", "best_bid", "best_ask"], ["side", "event_type"], []),
        SimTopic.Registry => (["api_key_id", "account_id", "platform_id"], ["created_at", "expires_at"], [], ["status"], ["allowed_cidrs", "permissions"]),
        _ => (["event_id", "api_key_id", "account_id", "command_id"], ["ts"], [], ["kind"], []),
    };

    private byte[] WrongType(SimRecord t)
    {
        var node = Node(t);
        var (strings, integers, doubles, enums, arrays) = Fields(t.Topic);
        int pick = _rng.Next(5);
        if (pick == 0 || (pick == 2 && doubles.Length == 0) || (pick == 4 && arrays.Length == 0))
        {
            node[Pick(strings)] = Pick<Func<JsonNode?>>([() => 42, () => true, () => new JsonObject(), () => new JsonArray(), () => 1.5])();
        }
        else if (pick == 1)
        {
            node[Pick(integers)] = Pick<Func<JsonNode?>>([() => "1767225600000", () => true, () => new JsonObject(), () => 1.5, () => new JsonArray(1)])();
        }
        else if (pick == 2)
        {
            node[Pick(doubles)] = Pick<Func<JsonNode?>>([() => "1.5", () => false, () => new JsonArray(), () => new JsonObject()])();
        }
        else if (pick == 3)
        {
            node[Pick(enums)] = Pick<Func<JsonNode?>>([() => 0, () => true, () => new JsonObject(), () => new JsonArray("BUY")])();
        }
        else
        {
            string field = Pick(arrays);
            node[field] = Pick<Func<JsonNode?>>([() => "10.0.0.0/8", () => 5, () => new JsonObject(), () => new JsonArray(1, 2)])();
        }
        return Bytes(node);
    }

    private byte[] Huge(SimRecord t)
    {
        bool avro = _rng.Next(2) == 0;
        SimRecord r;
        switch (t.Topic)
        {
            case SimTopic.Access:
            {
                var e = t.Access!;
                e = _rng.Next(8) switch
                {
                    0 => e with { EventId = Oversized(128) },
                    1 => e with { ApiKeyId = Oversized(128) },
                    2 => e with { AccountId = Oversized(128) },
                    3 => e with { SessionId = Oversized(128) },
                    4 => e with { Method = Oversized(128) },
                    5 => e with { UserAgent = Oversized(1024) },
                    6 => e with { Endpoint = Oversized(1024) },
                    _ => e with { TlsFingerprint = Oversized(1024) },
                };
                r = t with { Access = e };
                break;
            }
            case SimTopic.Orders:
            {
                var e = t.Order!;
                e = _rng.Next(6) switch
                {
                    0 => e with { EventId = Oversized(128) },
                    1 => e with { ApiKeyId = Oversized(128) },
                    2 => e with { AccountId = Oversized(128) },
                    3 => e with { OrderId = Oversized(128) },
                    4 => e with { Symbol = Oversized(128) },
                    _ => e with { SessionId = Oversized(128) },
                };
                r = t with { Order = e };
                break;
            }
            case SimTopic.Registry:
            {
                var e = t.Registry!;
                e = _rng.Next(4) switch
                {
                    0 => e with { ApiKeyId = Oversized(128) },
                    1 => e with { AccountId = Oversized(128) },
                    2 => e with { PlatformId = Oversized(128) },
                    _ => e with { AllowedCidrs = [.. e.AllowedCidrs, "10.0.0.0/8" + new string(' ', _rng.Next(200, 2000))] },
                };
                r = t with { Registry = e };
                break;
            }
            default:
            {
                var e = t.Lifecycle!;
                e = _rng.Next(4) switch
                {
                    0 => e with { EventId = Oversized(128) },
                    1 => e with { ApiKeyId = Oversized(128) },
                    2 => e with { AccountId = Oversized(128) },
                    _ => e with { CommandId = Oversized(128) },
                };
                r = t with { Lifecycle = e };
                break;
            }
        }
        return avro ? Avro(r) : Json(r);
    }

    private byte[] BadIp(SimRecord t)
    {
        string ip = _rng.Next(8) == 0 ? Text(_rng.Next(1, 60)) : Pick(BadIps);
        return t.Topic switch
        {
            SimTopic.Access => Encode(t with { Access = t.Access! with { Ip = ip } }),
            SimTopic.Orders => Encode(t with { Order = t.Order! with { Ip = ip } }),
            _ => Encode(t with { Registry = t.Registry! with { AllowedCidrs = [.. t.Registry!.AllowedCidrs, Pick(BadCidrs)] } }),
        };
    }

    private byte[] BadNumberOf(SimRecord t)
    {
        // Negative, not a number, infinite, or so large that price x quantity would overflow.
        double bad = Pick([double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1, -1e-9, -1e308, double.MinValue, 1.000001e15, 1e200, double.MaxValue]);
        var e = t.Order!;
        e = _rng.Next(5) switch
        {
            0 => e with { Price = bad },
            1 => e with { Quantity = bad },
            2 => e with { FilledQuantity = bad },
            3 => e with { BestBid = bad },
            _ => e with { BestAsk = bad },
        };
        // JSON has no NaN or infinities: those go as Avro.
        return double.IsFinite(bad) && _rng.Next(2) == 0 ? ContractCodecs.Order.SerializeJson(e) : ContractCodecs.Order.SerializeAvro(e);
    }

    private byte[] UnknownSymbol(SimRecord t)
    {
        var node = Node(t);
        string bad = Pick(BadSymbols);
        switch (t.Topic)
        {
            case SimTopic.Access:
                node["permission"] = bad;
                break;
            case SimTopic.Orders:
                node[_rng.Next(2) == 0 ? "side" : "event_type"] = bad;
                break;
            case SimTopic.Registry:
                if (_rng.Next(2) == 0) node["status"] = bad;
                else node["permissions"] = new JsonArray("READ", bad);
                break;
            default:
                node["kind"] = bad;
                break;
        }
        return Bytes(node);
    }

    /// <summary>Avro with an enum index outside the schema's symbols, spliced where the index of symbol 0 was.</summary>
    private byte[] UnknownIndex(SimRecord t)
    {
        (byte[] first, byte[] second, int symbols) = t.Topic switch
        {
            SimTopic.Access => (Avro(t with { Access = t.Access! with { Permission = Permission.READ } }),
                Avro(t with { Access = t.Access! with { Permission = Permission.TRADE } }), 3),
            SimTopic.Orders when _rng.Next(2) == 0 => (Avro(t with { Order = t.Order! with { Side = OrderSide.BUY } }),
                Avro(t with { Order = t.Order! with { Side = OrderSide.SELL } }), 2),
            SimTopic.Orders => (Avro(t with { Order = t.Order! with { EventType = OrderEventType.PLACE } }),
                Avro(t with { Order = t.Order! with { EventType = OrderEventType.CANCEL } }), 4),
            SimTopic.Registry when _rng.Next(2) == 0 => (Avro(t with { Registry = t.Registry! with { Status = KeyStatus.ACTIVE } }),
                Avro(t with { Registry = t.Registry! with { Status = KeyStatus.SUSPENDED } }), 4),
            SimTopic.Registry => (Avro(t with { Registry = t.Registry! with { Permissions = [Permission.READ] } }),
                Avro(t with { Registry = t.Registry! with { Permissions = [Permission.TRADE] } }), 3),
            _ => (Avro(t with { Lifecycle = t.Lifecycle! with { Kind = LifecycleKind.REAUTH_COMPLETED } }),
                Avro(t with { Lifecycle = t.Lifecycle! with { Kind = LifecycleKind.KEY_ROTATED } }), 5),
        };
        int at = 0;
        while (first[at] == second[at]) at++;
        long index = Pick([-1L, -7, symbols, symbols + 1, 63, 1000, int.MaxValue]);
        return [.. first.AsSpan(0, at), .. ZigZag(index), .. first.AsSpan(at + 1)];
    }

    private static byte[] ZigZag(long value)
    {
        ulong n = (ulong)((value << 1) ^ (value >> 63));
        var bytes = new List<byte>();
        while (n >= 0x80)
        {
            bytes.Add((byte)(n | 0x80));
            n >>= 7;
        }
        bytes.Add((byte)n);
        return [.. bytes];
    }

    private static string[] Required(SimTopic topic) => topic switch
    {
        SimTopic.Access => ["event_id", "ts", "api_key_id", "account_id", "ip", "user_agent", "endpoint"],
        SimTopic.Orders => ["event_id", "ts", "api_key_id", "account_id", "order_id", "symbol", "side", "event_type", "price", "quantity"],
        SimTopic.Registry => ["api_key_id", "account_id", "created_at"],
        _ => ["event_id", "ts", "api_key_id", "account_id", "kind"],
    };

    private byte[] NullOf(SimRecord t)
    {
        var node = Node(t);
        switch (t.Topic)
        {
            case SimTopic.Orders when _rng.Next(4) == 0:
                node["filled_quantity"] = null;
                break;
            case SimTopic.Registry when _rng.Next(2) == 0:
                if (_rng.Next(2) == 0) node["allowed_cidrs"] = new JsonArray("10.0.0.0/8", null);
                else node[Pick(["allowed_cidrs", "permissions", "status"])] = null;
                break;
            default:
                node[Pick(Required(t.Topic))] = null;
                break;
        }
        return Bytes(node);
    }

    private byte[] Missing(SimRecord t)
    {
        var node = Node(t);
        node.Remove(Pick(Required(t.Topic)));
        return Bytes(node);
    }

    private byte[] Blank(SimRecord t)
    {
        string blank = Pick(["", " ", "   ", "\t", "\n", "\u00a0"]);
        var node = Node(t);
        string[] ids = t.Topic switch
        {
            SimTopic.Access => ["event_id", "api_key_id", "account_id"],
            SimTopic.Orders => ["event_id", "api_key_id", "account_id", "order_id", "symbol"],
            SimTopic.Registry => ["api_key_id", "account_id"],
            _ => ["event_id", "api_key_id", "account_id"],
        };
        node[Pick(ids)] = blank;
        return _rng.Next(2) == 0 ? Bytes(node) : Avro(Reparse(t, Bytes(node)));
    }

    /// <summary>A record read back from JSON the contract accepts (blank ids parse; the validator refuses them).</summary>
    private static SimRecord Reparse(SimRecord t, byte[] json) => t.Topic switch
    {
        SimTopic.Access => t with { Access = ContractCodecs.Access.Deserialize(json) },
        SimTopic.Orders => t with { Order = ContractCodecs.Order.Deserialize(json) },
        SimTopic.Registry => t with { Registry = ContractCodecs.Registry.Deserialize(json) },
        _ => t with { Lifecycle = ContractCodecs.Lifecycle.Deserialize(json) },
    };

    private byte[] NotUtf8(SimRecord t)
    {
        // The account id is ASCII in both encodings: overwrite its first character with a byte that starts no UTF-8 sequence.
        string account = t.Topic switch
        {
            SimTopic.Access => t.Access!.AccountId,
            SimTopic.Orders => t.Order!.AccountId,
            SimTopic.Registry => t.Registry!.AccountId,
            _ => t.Lifecycle!.AccountId,
        };
        if (_rng.Next(4) == 0)
        {
            // A lone UTF-16 surrogate, escaped: well-formed JSON text, but no Unicode string.
            string json = Encoding.UTF8.GetString(Json(t));
            return Encoding.UTF8.GetBytes(json.Replace("\"" + account + "\"", "\"\\ud800" + account + "\"", StringComparison.Ordinal));
        }
        byte[] value = _rng.Next(2) == 0 ? Avro(t) : Json(t);
        int at = value.AsSpan().IndexOf(Encoding.UTF8.GetBytes(account));
        value[at] = Pick<byte>([0xFF, 0xC0, 0x80, 0xFE]);
        return value;
    }

    private byte[] TooMany(SimRecord t)
    {
        var r = t.Registry!;
        int n = _rng.Next(257, 700);
        return Encode(t with
        {
            Registry = _rng.Next(2) == 0
                ? r with { AllowedCidrs = Enumerable.Range(0, n).Select(i => $"10.{i / 256}.{i % 256}.0/24").ToArray() }
                : r with { Permissions = Enumerable.Range(0, n).Select(i => (Permission)(i % 3)).ToArray() },
        });
    }
}
