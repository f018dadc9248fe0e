using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using WechatGateway.Members;
using WechatGateway.Privacy;
using WechatGateway.Processing;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Privacy;

public sealed class PrivacyTests : GatewayTest
{
    [Test]
    public async Task ReadinessNamesAHungRedisWithinOneSecondAndWithoutItsErrorText()
    {
        // A Redis that accepts connections and never answers, as a paused or overloaded server does.
        using var blackHole = new TcpListener(IPAddress.Loopback, 0);
        blackHole.Start();
        var held = new ConcurrentBag<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    held.Add(await blackHole.AcceptTcpClientAsync());
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
        var port = ((IPEndPoint)blackHole.LocalEndpoint).Port;
        await using var gateway = new GatewayFactory(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = $"127.0.0.1:{port},connectTimeout=5000,syncTimeout=5000,asyncTimeout=5000" });
        using var client = gateway.CreateClient();
        await client.GetAsync("/healthz");

        var answers = new List<(HttpStatusCode Status, TimeSpan Took, string Body)>();
        for (var i = 0; i < 2; i++)
        {
            var watch = Stopwatch.StartNew();
            var ready = await client.GetAsync("/readyz");
            answers.Add((ready.StatusCode, watch.Elapsed, await ready.Content.ReadAsStringAsync()));
        }

        foreach (var (status, took, body) in answers)
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
            Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(1)), "readiness answers within 1 s, the first probe included");
            var redis = JsonDocument.Parse(body).RootElement.GetProperty("checks").GetProperty("redis");
            Assert.That(redis.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
            Assert.That(body, Does.Not.Contain(port.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Not.Contain("127.0.0.1"), "no error text, no address");
        }

        foreach (var c in held)
        {
            c.Dispose();
        }
    }

    [Test]
    public async Task ReadinessWithRedisDownSaysSoWithoutTheConnectionError()
    {
        await using var gateway = new GatewayFactory(new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = "127.0.0.1:1,connectTimeout=300" });
        using var client = gateway.CreateClient();

        var ready = await client.GetAsync("/readyz");
        var body = await ready.Content.ReadAsStringAsync();

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Redis is not needed to take pushes");
        Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("checks").GetProperty("redis").GetProperty("description").GetString(), Is.EqualTo("Redis is unreachable"));
        Assert.That(body, Does.Not.Contain("127.0.0.1:1").And.Not.Contain("SocketFailure").And.Not.Contain("UnableToConnect"));
    }

    [Test]
    public async Task OldSettledPushesLoseTheirXmlInBatchesAndRecentOrStillRecordedOnesKeepIt()
    {
        var old = DateTime.UtcNow.AddDays(-31);
        var rows = Enumerable.Range(0, 1001).Select(i => (Key: $"old-{i}", Status: PushStatus.Processed, At: old))
            .Append((Key: "failed", Status: PushStatus.Failed, At: old))
            .Append((Key: "unparsed", Status: PushStatus.Unparsed, At: old))
            .Append((Key: "recent", Status: PushStatus.Processed, At: DateTime.UtcNow.AddDays(-29)))
            .Append((Key: "still-recorded", Status: PushStatus.Recorded, At: old));
        var values = string.Join(",\n", rows.Select(r =>
            $"('{TestAccounts.PassiveAppId}', UNHEX(SHA2('{r.Key}', 256)), '{r.Key}', 'o_retention', 'text', 0, 'Plaintext', '<xml>secret</xml>', '<xml>Hi Zhang</xml>', '{r.At:yyyy-MM-dd HH:mm:ss}', '{r.Status}')"));
        await Database.ExecuteAsync($"INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, create_time, security_mode, raw_xml, reply_xml, received_at, status) VALUES {values}");
        var job = TestEnvironment.Gateway.Services.GetRequiredService<PersonalDataRetentionJob>();

        var blanked = await job.RunOnceAsync(CancellationToken.None);
        var again = await job.RunOnceAsync(CancellationToken.None);

        Assert.That(blanked, Is.EqualTo(1003), "more than one batch in one round; failed and unparsed pushes expire too");
        Assert.That(again, Is.Zero);
        var kept = await Database.QueryAsync<string>("SELECT dedup_key FROM wechat_push WHERE raw_xml <> '' OR reply_xml IS NOT NULL ORDER BY dedup_key");
        Assert.That(kept, Is.EqualTo(new[] { "recent", "still-recorded" }), "a push still to be processed keeps what its handlers need");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push"), Is.EqualTo(1005), "the rows stay: they still answer WeChat's retries");
    }

    [Test]
    public async Task OldSendInvitationAndAuditBodiesExpireWhileUnsentSendsAndRecentRowsKeepThem()
    {
        var old = DateTime.UtcNow.AddDays(-31);
        await Database.ExecuteAsync("""
            INSERT INTO outbound_send (app_id, to_user, member_id, kind, body, fallback_body, source_key, status, created_at) VALUES
                (@appId, 'o_r', 1, 'custom', '{"text":{"content":"Hi Zhang"}}', '{"x":1}', 'old-sent', 'sent', @old),
                (@appId, 'o_r', 1, 'custom', '{"text":{"content":"Hi Zhang"}}', NULL, 'old-pending', 'pending', @old),
                (@appId, 'o_r', 1, 'custom', '{"text":{"content":"Hi Zhang"}}', NULL, 'recent-sent', 'sent', UTC_TIMESTAMP(6));
            INSERT INTO group_invitation (source_key, member_id, app_id, open_id, `trigger`, reason, status, messages, created_at) VALUES
                ('old', 1, @appId, 'o_r', 'follow', 'r', 'queued', '["Hi Zhang"]', @old),
                ('recent', 1, @appId, 'o_r', 'follow', 'r', 'queued', '["Hi Zhang"]', UTC_TIMESTAMP(6));
            INSERT INTO admin_audit (at, actor, role, method, path, body) VALUES
                (DATE_SUB(UTC_TIMESTAMP(6), INTERVAL 366 DAY), 'a', 'Admin', 'POST', '/api/admin/orders', '{"phone":"138****8004"}'),
                (@old, 'a', 'Admin', 'POST', '/api/admin/orders', '{"phone":"138****8005"}');
            """, new { appId = TestAccounts.PassiveAppId, old });

        await TestEnvironment.Gateway.Services.GetRequiredService<PersonalDataRetentionJob>().RunOnceAsync(CancellationToken.None);

        Assert.That(await Database.QueryAsync<string>("SELECT source_key FROM outbound_send WHERE JSON_LENGTH(body) > 0 ORDER BY source_key"), Is.EqualTo(new[] { "old-pending", "recent-sent" }),
            "a send not made yet keeps its body, whatever its age");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE fallback_body IS NOT NULL"), Is.Zero);
        Assert.That(await Database.QueryAsync<string>("SELECT source_key FROM group_invitation WHERE messages <> '[]'"), Is.EqualTo(new[] { "recent" }));
        Assert.That(await Database.QueryAsync<string>("SELECT body FROM admin_audit WHERE body IS NOT NULL"), Is.EqualTo(new[] { "{\"phone\":\"138****8005\"}" }), "audit bodies live a year");
    }

    [Test]
    public async Task AnOrderImportsAuditRowHoldsNoFullMobileNumber()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);

        var imported = await admin.PostAsJsonAsync("/api/admin/orders", new { orderNo = "AUDIT-1", phone = "13812348004", appId = TestAccounts.PassiveAppId, amount = 12.5m, paidAt = DateTime.UtcNow });

        Assert.That((int)imported.StatusCode, Is.LessThan(300), await imported.Content.ReadAsStringAsync());
        var body = await Database.ScalarAsync<string>("SELECT body FROM admin_audit WHERE path = '/api/admin/orders'");
        Assert.That(body, Does.Contain("AUDIT-1").And.Contain("138****8004").And.Not.Contain("13812348004"));
    }

    [Test]
    public void TheRetentionIsConfigurableAndValidated()
    {
        using var gateway = new GatewayFactory(new Dictionary<string, string?> { ["Privacy:RawPushRetentionDays"] = "0" });

        var error = Assert.Catch(() => gateway.CreateClient());

        Assert.That(error!.ToString(), Does.Contain("Privacy:RawPushRetentionDays"));
    }

    [Test]
    public async Task WechatSessionKeyIsNotKeptInRedis()
    {
        var (mini, session) = await MiniProgramClient.LoginAsync("o_no_session_key");
        using var _ = mini;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConnectionString);
        var keys = TestEnvironment.RedisMasters(redis).SelectMany(server => server.Keys(redis.GetDatabase().Database, "wg:mp:session:*")).ToList();

        Assert.That(keys, Has.Count.EqualTo(1));
        var stored = (await redis.GetDatabase().StringGetAsync(keys[0])).ToString();
        Assert.That(stored, Does.Contain("o_no_session_key"));
        Assert.That(stored, Does.Not.Contain("SessionKey").IgnoreCase.And.Not.Contain(session.GetProperty("token").GetString()!));
    }

    [Test]
    public async Task EndingAMiniProgramSessionMakesItsToken401()
    {
        var (mini, _) = await MiniProgramClient.LoginAsync("o_logout");
        using var _c = mini;
        var (other, _) = await MiniProgramClient.LoginAsync("o_stays");
        using var _o = other;

        var ended = await mini.DeleteAsync("/api/mp/session");
        var after = await mini.GetAsync("/api/mp/me");

        Assert.That(ended.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await after.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString(), Is.EqualTo("Session token not accepted"));
        Assert.That((await other.GetAsync("/api/mp/me")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "only that session ends");
        Assert.That((await Client.DeleteAsync("/api/mp/session")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task OpenIdsUnionIdsAndPhonesAreNotLoggedAboveDebug()
    {
        var captured = new ConcurrentQueue<(LogLevel Level, string Text)>();
        await using var gateway = new GatewayFactory().WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new CaptureProvider(captured))));
        using var client = gateway.CreateClient();
        var follower = new FollowerDriver(TestAccounts.Passive);
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_logged_follower", "u_logged_union");

        await follower.SendAsync(client, follower.Sign(follower.BuildEvent("o_logged_follower", "subscribe", null), "o_logged_follower", SecurityMode.Plaintext));
        await gateway.Services.GetRequiredService<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);
        var login = await client.PostAsJsonAsync($"/api/mp/{TestAccounts.MiniProgramAppId}/session", new { code = "sim:o_logged_mini:u_logged_union" });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString());
        await client.PostAsJsonAsync("/api/mp/me/phone", new { code = "sim-phone:13812348099" });

        var visible = captured.Where(e => e.Level >= LogLevel.Information).Select(e => e.Text).ToList();
        Assert.That(visible, Is.Not.Empty, "the capture sees the gateway's logs");
        Assert.That(visible, Has.None.Contains("o_logged_follower").And.None.Contains("u_logged_union").And.None.Contains("o_logged_mini").And.None.Contains("13812348099"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member WHERE union_id = 'u_logged_union'"), Is.EqualTo(1), "the UnionID path ran");
    }

    private sealed class CaptureProvider(ConcurrentQueue<(LogLevel, string)> captured) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capture(captured);

        public void Dispose()
        {
        }

        private sealed class Capture(ConcurrentQueue<(LogLevel, string)> captured) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                captured.Enqueue((logLevel, formatter(state, exception) + " " + exception));
        }
    }
}
