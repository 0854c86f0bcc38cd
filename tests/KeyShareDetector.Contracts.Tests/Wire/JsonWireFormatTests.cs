using System.Text;
using KeyShareDetector.Contracts.Tests.TestSupport;
using KeyShareDetector.Contracts.Wire;

namespace KeyShareDetector.Contracts.Tests.Wire;

public sealed class JsonWireFormatTests
{
    [Fact]
    public void Json_output_uses_snake_case_in_declaration_order_with_enum_names_and_no_nulls()
    {
        byte[] json = ContractCodecs.Access.SerializeJson(Samples.AccessMinimal);

        Assert.Equal(
            """{"event_id":"evt-0002","ts":0,"api_key_id":"key-42","account_id":"acct-7","ip":"203.0.113.9","user_agent":"","endpoint":"/api/v3/account"}""",
            Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Json_output_of_a_command_is_stable_and_readable()
    {
        byte[] json = ContractCodecs.Command.SerializeJson(Samples.CommandFull);

        Assert.Equal(
            """{"command_id":"cmd-abc","api_key_id":"key-42","account_id":"acct-7","action":"REVOKE","issued_at":1700000000123,"policy_version":"policy-2024-05-01","risk_score":0.97,"reasons":[{"code":"IMPOSSIBLE_TRAVEL","summary":"Two countries 9000 km apart within 4 minutes.","metrics":[{"name":"speed_kmh","value":135000},{"name":"minutes","value":4}],"subjects":["203.0.113.9","198.51.100.4","AS64500"]},{"code":"NEW_ASN","summary":"First use from this network.","metrics":[],"subjects":[]}],"previous_state":"REAUTH_REQUIRED","new_state":"REVOKED","expires_at":1700003600123,"window_start":1699999700000,"window_end":1700000000000,"shadow":true,"signature":"q1w2e3+/r4t5y6==","signing_key_id":"hmac-2024"}""",
            Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Json_escapes_quotes_backslashes_and_control_characters_but_keeps_unicode_readable()
    {
        AccessEvent e = Samples.AccessMinimal with { UserAgent = "a\"b\\c\n\u0001é中😀<>&'" };

        string json = Encoding.UTF8.GetString(ContractCodecs.Access.SerializeJson(e));

        Assert.Contains("""
            "user_agent":"a\"b\\c\n\u0001é中
            """.Trim(), json, StringComparison.Ordinal);
        Assert.Equal(e, ContractCodecs.Access.Deserialize(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void A_record_typed_by_hand_into_kcat_is_read()
    {
        byte[] typed = """

              { "event_id": "e1", "ts": 1700000000000, "api_key_id": "k1", "account_id": "a1",
                "ip": "192.0.2.1", "user_agent": "curl/8", "endpoint": "/api/v3/order",
                "permission": "TRADE", "status": null, "some_future_field": {"x": [1, 2]} }
            """u8.ToArray();

        AccessEvent e = ContractCodecs.Access.Deserialize(typed);

        Assert.Equal(
            new AccessEvent
            {
                EventId = "e1",
                Ts = 1_700_000_000_000,
                ApiKeyId = "k1",
                AccountId = "a1",
                Ip = "192.0.2.1",
                UserAgent = "curl/8",
                Endpoint = "/api/v3/order",
                Permission = Permission.TRADE,
            },
            e);
    }

    [Fact]
    public void Fields_with_defaults_may_be_left_out_of_json()
    {
        KeyRegistryRecord k = ContractCodecs.Registry.Deserialize("""{"api_key_id":"k","account_id":"a","created_at":5}"""u8);

        Assert.Empty(k.AllowedCidrs);
        Assert.Empty(k.Permissions);
        Assert.Equal(KeyStatus.ACTIVE, k.Status);
        Assert.Null(k.ExpiresAt);
    }

    [Fact]
    public void A_utf8_byte_order_mark_before_the_object_is_accepted()
    {
        byte[] json = [0xEF, 0xBB, 0xBF, .. ContractCodecs.Lifecycle.SerializeJson(Samples.LifecycleFull)];

        Assert.Equal(Samples.LifecycleFull, ContractCodecs.Lifecycle.Deserialize(json));
    }

    [Fact]
    public void Dead_letter_bytes_travel_as_base64_in_json()
    {
        string json = Encoding.UTF8.GetString(ContractCodecs.DeadLetter.SerializeJson(Samples.DeadLetterFull));

        Assert.Contains("\"original_key\":\"a2V5\"", json, StringComparison.Ordinal);
    }
}
