using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Security;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Webhook;

public sealed class WebhookTests : GatewayTest
{
    private const string OpenId = "o_follower_0001";
    private readonly FollowerDriver _follower = new(TestAccounts.Passive);

    private static Task<long> RecordedPushesAsync() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push");

    [Test]
    public async Task UrlVerificationEchoesEchostrWhenSigned()
    {
        var response = await Client.GetAsync(_follower.SignVerification("echo-1234567"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("echo-1234567"));
    }

    [Test]
    public async Task UrlVerificationWithForgedSignatureIsRefused()
    {
        var forged = new FollowerDriver(new FollowerAccount(TestAccounts.PassiveAppId, "not-the-token", null));

        var response = await Client.GetAsync(forged.SignVerification("echo-1234567"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("echo-1234567"));
    }

    [Test]
    public async Task UnknownAppIdIsNotFound()
    {
        var stranger = new FollowerDriver(new FollowerAccount("wx_not_configured", TestAccounts.Token, null));

        var response = await stranger.SendAsync(Client, stranger.Sign(stranger.BuildText(OpenId, "hi", 1), OpenId, SecurityMode.Plaintext));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase(SecurityMode.Plaintext)]
    [TestCase(SecurityMode.Compatible)]
    [TestCase(SecurityMode.Safe)]
    public async Task ValidPushIsRecordedAndAnsweredSuccess(SecurityMode mode)
    {
        var xml = _follower.BuildText(OpenId, "你好 <world> ]]> & 👋", 7_000_000_001);

        var response = await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, mode));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
        var rows = await Database.QueryAsync<(string AppId, string OpenId, string MsgType, string MsgId, string RawXml, string SecurityMode, string Status)>(
            "SELECT app_id, open_id, msg_type, msg_id, raw_xml, security_mode, status FROM wechat_push");
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0].AppId, Is.EqualTo(TestAccounts.PassiveAppId));
        Assert.That(rows[0].OpenId, Is.EqualTo(OpenId));
        Assert.That(rows[0].MsgType, Is.EqualTo("text"));
        Assert.That(rows[0].MsgId, Is.EqualTo("7000000001"));
        Assert.That(rows[0].RawXml, Does.Contain("👋"), "the decrypted XML is what is kept");
        Assert.That(rows[0].SecurityMode, Is.EqualTo(mode == SecurityMode.Plaintext ? "plain" : "aes"));
        Assert.That(rows[0].Status, Is.EqualTo("recorded"), "answered before its handlers run");
    }

    [Test]
    public async Task RetriedMessageIsRecordedOnceAndAnsweredWithTheFirstDeliverysReply()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        var rule = await admin.PostAsJsonAsync("/api/admin/auto-replies", new
        {
            appId = TestAccounts.PassiveAppId, name = "hello", match = "contains", keywords = new[] { "hello" }, priority = 1, enabled = true,
            reply = new { type = "text", content = "the first answer" },
        });
        Assert.That(rule.StatusCode, Is.EqualTo(HttpStatusCode.Created), await rule.Content.ReadAsStringAsync());
        var ruleId = (await rule.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetUInt64();

        var first = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(OpenId, "hello", 42), OpenId, SecurityMode.Safe));
        // The rule changes before WeChat retries: the retry still gets what the first delivery was answered.
        Assert.That((await admin.DeleteAsync($"/api/admin/auto-replies/{ruleId}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var retry = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(OpenId, "hello", 42), OpenId, SecurityMode.Safe));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var firstReply = _follower.DecryptReply(await first.Content.ReadAsStringAsync());
        Assert.That(firstReply, Does.Contain("the first answer"));
        Assert.That(_follower.DecryptReply(await retry.Content.ReadAsStringAsync()), Is.EqualTo(firstReply));
        Assert.That(await Database.ScalarAsync<int>("SELECT deliveries FROM wechat_push WHERE msg_id = 42"), Is.EqualTo(2));
        var fresh = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(OpenId, "hello", 43), OpenId, SecurityMode.Safe));
        Assert.That(_follower.DecryptReply(await fresh.Content.ReadAsStringAsync()), Is.Null, "a new push finds the rule gone, so the retry's reply was the stored one");
        Assert.That(await RecordedPushesAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task RetriedEventIsRecognisedBySenderTimeAndEvent()
    {
        var xml = _follower.BuildEvent(OpenId, "subscribe", "qrscene_store42", createTime: 1_700_000_000, ticket: "TICKET");
        var otherUser = _follower.BuildEvent("o_someone_else", "subscribe", "qrscene_store42", createTime: 1_700_000_000, ticket: "TICKET");

        await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Plaintext));
        await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Plaintext));
        await _follower.SendAsync(Client, _follower.Sign(otherUser, "o_someone_else", SecurityMode.Plaintext));

        Assert.That(await RecordedPushesAsync(), Is.EqualTo(2), "the retry is one push; another follower's subscribe in the same second is another");
    }

    [Test]
    public async Task SameMsgIdOnTwoAccountsIsTwoPushes()
    {
        var queue = new FollowerDriver(TestAccounts.Queue);

        await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(OpenId, "a", 99), OpenId, SecurityMode.Plaintext));
        var response = await queue.SendAsync(Client, queue.Sign(queue.BuildText(OpenId, "a", 99), OpenId, SecurityMode.Safe));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await RecordedPushesAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task ConcurrentDeliveriesOfOnePushRecordItOnce()
    {
        var xml = _follower.BuildText(OpenId, "race", 555);

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Plaintext))));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await RecordedPushesAsync(), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<int>("SELECT deliveries FROM wechat_push"), Is.EqualTo(12));
    }

    [Test]
    public async Task ForgedSignatureIsRefusedAndNotRecorded()
    {
        var forged = new FollowerDriver(new FollowerAccount(TestAccounts.PassiveAppId, "wrongtoken", TestAccounts.AesKey));

        var response = await forged.SendAsync(Client, forged.Sign(forged.BuildText(OpenId, "hi", 1), OpenId, SecurityMode.Plaintext));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [Test]
    public async Task ForgedMsgSignatureIsRefusedAndNotRecorded()
    {
        var push = _follower.Sign(_follower.BuildText(OpenId, "hi", 1), OpenId, SecurityMode.Safe);
        var tampered = push with { PathAndQuery = ReplaceQuery(push.PathAndQuery, "msg_signature", new string('0', 40)) };

        var response = await _follower.SendAsync(Client, tampered);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [Test]
    public async Task ReplayedTimestampIsRefused()
    {
        var old = DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds();

        var response = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(OpenId, "hi", 1), OpenId, SecurityMode.Plaintext, timestamp: old));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [TestCase("<!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><ToUserName>gh</ToUserName><FromUserName>&xxe;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>", TestName = "XxeBodyIsRefused")]
    [TestCase("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><xml><Content>&lol3;</Content></xml>", TestName = "BillionLaughsBodyIsRefused")]
    [TestCase("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o_follower_0001]]></FromUserName><CreateTime>17", TestName = "TruncatedXmlIsRefused")]
    [TestCase("not xml at all", TestName = "NonXmlBodyIsRefused")]
    [TestCase("<xml><FromUserName>o_follower_0001</FromUserName></xml>", TestName = "XmlWithoutWechatFieldsIsRefused")]
    public async Task MalformedBodyIsRefusedAndNotRecorded(string body)
    {
        var signed = _follower.Sign(body, OpenId, SecurityMode.Plaintext);

        var response = await Client.PostAsync(signed.PathAndQuery, new StringContent(body, Encoding.UTF8, "text/xml"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [Test]
    public async Task TenMegabyteBodyIsRefusedAsTooLarge()
    {
        var body = "<xml><Content>" + new string('a', 10 * 1024 * 1024) + "</Content></xml>";
        var signed = _follower.Sign(_follower.BuildText(OpenId, "x", 1), OpenId, SecurityMode.Plaintext);

        var response = await Client.PostAsync(signed.PathAndQuery, new StringContent(body, Encoding.UTF8, "text/xml"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [TestCase("!!!not base64!!!", TestName = "Base64GarbageInEncryptIsRefused")]
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", TestName = "BadPaddingInEncryptIsRefused")]
    public async Task UndecryptableEncryptIsRefused(string encrypt)
    {
        var body = $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>";

        var response = await PostEncryptedAsync(body, encrypt);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [Test]
    public async Task EncryptedPushForAnotherAppIdIsRefused()
    {
        var encrypt = new WechatMessageCrypto(TestAccounts.AesKey, "wx_some_other_app").Encrypt(_follower.BuildText(OpenId, "hi", 1));
        var body = $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>";

        var response = await PostEncryptedAsync(body, encrypt);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await RecordedPushesAsync(), Is.Zero);
    }

    [Test]
    public async Task PushIsAnswered503AndNotAcknowledgedWhenItCannotBeRecorded()
    {
        await Database.ExecuteAsync("RENAME TABLE wechat_push TO wechat_push_away");
        HttpResponseMessage response;
        try
        {
            response = await _follower.SendAsync(Client, _follower.Sign(_follower.BuildText(OpenId, "hi", 1), OpenId, SecurityMode.Plaintext));
        }
        finally
        {
            await Database.ExecuteAsync("RENAME TABLE wechat_push_away TO wechat_push");
        }

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Not.EqualTo("success"));
    }

    [Test]
    public async Task UnknownMessageTypeIsRecordedAndAnsweredSuccess()
    {
        var xml = $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{OpenId}]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[hologram]]></MsgType><MsgId>77</MsgId></xml>";

        var response = await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Plaintext));

        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
        Assert.That(await Database.ScalarAsync<string>("SELECT msg_type FROM wechat_push"), Is.EqualTo("hologram"));
    }

    [Test]
    public async Task SignedPushWhoseFieldsDoNotFitIsKeptRawAnsweredAndListedForOperators()
    {
        var xml = $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{OpenId}]]></FromUserName><CreateTime>soon</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>hi</Content></xml>";
        using var counted = new Measurements<long>(TestEnvironment.Gateway.Services, WechatGateway.Webhook.WebhookMetrics.MeterName, "wechatgateway.webhook.pushes");

        var response = await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Safe));
        var retry = await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Safe));
        await ProcessPushesAsync();

        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var rows = await Database.QueryAsync<(string Status, string Problem, int Deliveries)>("SELECT status, problem, deliveries FROM wechat_push");
        Assert.That(rows, Has.Count.EqualTo(1), "its retry is recognised by the digest of its fields");
        Assert.That(rows[0].Status, Is.EqualTo("unparsed"), "kept for operators, never handed to the handlers");
        Assert.That(rows[0].Problem, Does.Contain("CreateTime"));
        Assert.That(rows[0].Deliveries, Is.EqualTo(2));
        using var admin = AdminClient(TestAccounts.AdminKey);
        var listed = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/admin/pushes?status=unparsed");
        Assert.That(listed.GetProperty("items")[0].GetProperty("problem").GetString(), Does.Contain("CreateTime"));
        Assert.That(counted.Where(("outcome", "unparsed")), Has.Count.EqualTo(1), "counted for /metrics");
    }

    [TestCase("99999999999999999999999", TestName = "MsgIdBeyondSixtyFourBitsIsKeptAsText")]
    [TestCase("Q0FBQUFBQT09", TestName = "Base64MsgIdIsKeptAsText")]
    public async Task MsgIdIsOpaqueTextAndDedupsAsSuch(string msgId)
    {
        var xml = $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{OpenId}]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>hi</Content><MsgId>{msgId}</MsgId></xml>";

        await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Safe));
        await _follower.SendAsync(Client, _follower.Sign(xml, OpenId, SecurityMode.Safe));

        Assert.That(await Database.ScalarAsync<string>("SELECT msg_id FROM wechat_push"), Is.EqualTo(msgId));
        Assert.That(await Database.ScalarAsync<int>("SELECT deliveries FROM wechat_push"), Is.EqualTo(2));
    }

    [Test]
    public async Task TwoTemplateReportsInOneSecondAreTwoPushes()
    {
        string Report(string msgId) => $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{OpenId}]]></FromUserName><CreateTime>1700000100</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>{msgId}</MsgID><Status><![CDATA[success]]></Status></xml>";

        await _follower.SendAsync(Client, _follower.Sign(Report("200163836"), OpenId, SecurityMode.Safe));
        await _follower.SendAsync(Client, _follower.Sign(Report("200163840"), OpenId, SecurityMode.Safe));
        await _follower.SendAsync(Client, _follower.Sign(Report("200163840"), OpenId, SecurityMode.Safe));

        Assert.That(await RecordedPushesAsync(), Is.EqualTo(2), "two reports stay two; the retry of one is merged");
    }

    [Test]
    public async Task PushWithoutOpenidQueryOrWithAnotherOneIsAccepted()
    {
        var push = _follower.Sign(_follower.BuildText(OpenId, "hi", 4242), OpenId, SecurityMode.Safe);
        var withoutOpenId = push with { PathAndQuery = ReplaceQuery(push.PathAndQuery, "openid", "") };
        var other = _follower.Sign(_follower.BuildText(OpenId, "hi", 4243), "o_someone_else", SecurityMode.Safe);

        Assert.That((await _follower.SendAsync(Client, withoutOpenId)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await _follower.SendAsync(Client, other)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "openid is not signed: WeChat's to send, not ours to check");
        Assert.That(await RecordedPushesAsync(), Is.EqualTo(2));
    }

    [Test]
    public async Task MiniProgramMessagePushInJsonIsRecorded()
    {
        var mini = new FollowerDriver(new FollowerAccount(TestAccounts.MiniProgramAppId, TestAccounts.Token, TestAccounts.AesKey));
        var json = $$"""{"ToUserName":"gh_mini","FromUserName":"{{OpenId}}","CreateTime":1700000200,"MsgType":"text","Content":"客服你好","MsgId":7777777777777777777}""";

        var response = await mini.SendAsync(Client, mini.Sign(json, OpenId, SecurityMode.Safe));

        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
        Assert.That(await Database.ScalarAsync<string>("SELECT msg_id FROM wechat_push WHERE app_id = @app", new { app = TestAccounts.MiniProgramAppId }), Is.EqualTo("7777777777777777777"));
    }

    [Test]
    public async Task ReplayedSignedUrlWithAnotherBodyIsRefusedButWechatsOwnRetryIsAnswered()
    {
        var follow = _follower.Sign(_follower.BuildEvent(OpenId, "subscribe", "qrscene_real", createTime: 1_700_000_900), OpenId, SecurityMode.Plaintext);
        await _follower.SendAsync(Client, follow);

        // Someone who saw the signed URL in a log sends a forged unfollow with it.
        var forged = follow with { Body = _follower.BuildEvent(OpenId, "unsubscribe", createTime: 1_700_000_901) };
        var replayed = await _follower.SendAsync(Client, forged);
        var retry = await _follower.SendAsync(Client, follow);

        Assert.That(replayed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), "WeChat's retry repeats URL and body");
        Assert.That(await Database.ScalarAsync<string>("SELECT GROUP_CONCAT(event) FROM wechat_push"), Is.EqualTo("subscribe"));
    }

    [Test]
    public async Task OnlyAPlaintextPushSpendsARedisRoundTripOnTheReplayGuard()
    {
        var safe = new FollowerDriver(TestAccounts.Queue);
        var encrypted = safe.Sign(safe.BuildEvent(OpenId, "subscribe", createTime: 1_700_000_950), OpenId, SecurityMode.Safe);
        var plain = _follower.Sign(_follower.BuildEvent(OpenId, "subscribe", createTime: 1_700_000_951), OpenId, SecurityMode.Plaintext);
        Assert.That((await safe.SendAsync(Client, encrypted)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await _follower.SendAsync(Client, plain)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var redis = TestEnvironment.Gateway.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        static string KeyOf(string appId, SignedPush push)
        {
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(new Uri("http://gateway"), push.PathAndQuery).Query);
            return WechatGateway.Storage.RedisKeys.SignedUrl(appId, query["timestamp"]!, query["nonce"]!, query["signature"]!);
        }

        Assert.That(await redis.KeyExistsAsync(KeyOf(TestAccounts.PassiveAppId, plain)), Is.True, "a plaintext push's body is covered by nothing but the guard");
        Assert.That(await redis.KeyExistsAsync(KeyOf(TestAccounts.QueueAppId, encrypted)), Is.False, "msg_signature covers an encrypted push's body");
    }

    [Test]
    public async Task PlaintextPushToASafeModeAccountIsRefused()
    {
        var safe = new FollowerDriver(TestAccounts.Queue);

        var response = await safe.SendAsync(Client, safe.Sign(safe.BuildEvent(OpenId, "subscribe", "qrscene_fake"), OpenId, SecurityMode.Plaintext));
        var compatible = await safe.SendAsync(Client, safe.Sign(safe.BuildEvent(OpenId, "unsubscribe"), OpenId, SecurityMode.Compatible));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a downgrade to plaintext is refused whatever the URL says");
        Assert.That(compatible.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a compatible-mode push carries the signed, encrypted copy");
        Assert.That(await Database.ScalarAsync<string>("SELECT GROUP_CONCAT(event) FROM wechat_push"), Is.EqualTo("unsubscribe"));
    }

    private Task<HttpResponseMessage> PostEncryptedAsync(string body, string encrypt)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string nonce = "n0nce";
        var query = $"/wechat/{TestAccounts.PassiveAppId}?signature={WechatSignature.Compute(TestAccounts.Token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}" +
                    $"&openid={OpenId}&encrypt_type=aes&msg_signature={WechatSignature.ComputeMessageSignature(TestAccounts.Token, timestamp, nonce, encrypt)}";
        return Client.PostAsync(query, new StringContent(body, Encoding.UTF8, "text/xml"));
    }

    private static string ReplaceQuery(string pathAndQuery, string name, string value)
    {
        var parts = pathAndQuery.Split('?', 2);
        var pairs = parts[1].Split('&').Select(p => p.StartsWith(name + "=", StringComparison.Ordinal) ? $"{name}={value}" : p);
        return parts[0] + "?" + string.Join('&', pairs);
    }
}
