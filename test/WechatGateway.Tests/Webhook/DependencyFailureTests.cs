using System.Net;
using MySqlConnector;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Webhook;

/// <summary>
/// The push path when MySQL or Redis fails the way they fail in production: each dependency is reached through a
/// <see cref="TcpProxy"/> that the test cuts or stalls. WeChat waits 5 s for an answer, so every answer here must
/// come well within that: a push is durably recorded (in MySQL, or in the spool while MySQL is away) and answered 200,
/// or answered 503 so WeChat retries.
/// </summary>
[NonParallelizable]
public sealed class DependencyFailureTests : GatewayTest
{
    /// <summary>WeChat gives up on an answer after 5 s; a client that waits less proves the gateway answered in time.</summary>
    private static readonly TimeSpan WechatPatience = TimeSpan.FromSeconds(4.5);

    private readonly FollowerDriver _follower = new(TestAccounts.Passive);
    private TcpProxy _mysql = null!;
    private TcpProxy _redis = null!;
    private GatewayFactory _gateway = null!;
    private HttpClient _client = null!;

    [SetUp]
    public void StartBehindProxies()
    {
        var mysql = new MySqlConnectionStringBuilder(TestEnvironment.MySqlConnectionString);
        var redisEndpoint = TestEnvironment.RedisConnectionString.Split(',')[0].Split(':');
        // The first server of a list (a Galera run names its three nodes): the outage is of the node this gateway talks to.
        _mysql = new TcpProxy(mysql.Server.Split(',')[0], (int)mysql.Port);
        _redis = new TcpProxy(redisEndpoint[0], int.Parse(redisEndpoint[1], System.Globalization.CultureInfo.InvariantCulture));
        mysql.Server = "127.0.0.1";
        mysql.Port = (uint)_mysql.Port;
        _gateway = new GatewayFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:MySql"] = mysql.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString.Replace(string.Join(':', redisEndpoint), $"127.0.0.1:{_redis.Port}", StringComparison.Ordinal),
        });
        _client = _gateway.CreateClient();
        _client.Timeout = WechatPatience;
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _mysql.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private Task<HttpResponseMessage> SendTextAsync(string openId, long msgId) =>
        _follower.SendAsync(_client, _follower.Sign(_follower.BuildText(openId, "hello", msgId), openId, SecurityMode.Safe));

    [Test]
    public async Task PushWhileMySqlIsDownIsSpooledAnswered200AndRecordedOnceWithWechatsRetryWhenItIsBack()
    {
        Assert.That((await SendTextAsync("o_warm", 1)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _mysql.Cut();

        var down = await SendTextAsync("o_down", 2);
        _mysql.Restore();
        var retry = await SendTextAsync("o_down", 2);
        await _gateway.WaitUntilSpoolDrainedAsync();

        Assert.That(down.StatusCode, Is.EqualTo(HttpStatusCode.OK), "durable in the spool before its 200");
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id = 'o_down'"), Is.EqualTo(1));
    }

    [Test]
    public async Task PushesWhileMySqlHangsAreSpooledWithinTheCommitBudgetAndAnsweredBeforeWechatGivesUp()
    {
        Assert.That((await SendTextAsync("o_warm", 1)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _mysql.Stall();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => SendTextAsync($"o_hung_{i}", 100 + i)));
        _mysql.Cut();
        _mysql.Restore();
        await _gateway.WaitUntilSpoolDrainedAsync();

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id LIKE 'o\\_hung\\_%'"), Is.EqualTo(8),
            "the stalled batch never committed; the spooled copy is the one row of each push");
    }

    [Test]
    [Category(TestEnvironment.SingleRedis)]
    public async Task PushWhileRedisHangsIsStillRecordedAndAnsweredInTime()
    {
        Assert.That((await SendTextAsync("o_warm", 1)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        _redis.Stall();

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => SendTextAsync($"o_noredis_{i}", 200 + i)));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id LIKE 'o\\_noredis\\_%'"), Is.EqualTo(5));
    }

    [Test]
    [Category(TestEnvironment.SingleRedis)]
    public async Task ASignedUrlReplayedWithAnotherBodyIsRefusedWhileRedisIsDown()
    {
        _redis.Cut();
        var follow = _follower.Sign(_follower.BuildEvent("o_replayed", "subscribe", createTime: 1_700_000_900), "o_replayed", SecurityMode.Plaintext);

        var first = await _follower.SendAsync(_client, follow);
        var forged = await _follower.SendAsync(_client, follow with { Body = _follower.BuildEvent("o_replayed", "unsubscribe", createTime: 1_700_000_901) });
        var retry = await _follower.SendAsync(_client, follow);

        Assert.That((first.StatusCode, forged.StatusCode, retry.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.OK)));
        Assert.That(await Database.ScalarAsync<string>("SELECT GROUP_CONCAT(event) FROM wechat_push WHERE open_id = 'o_replayed'"), Is.EqualTo("subscribe"));
    }

    [Test]
    [Category(TestEnvironment.SingleRedis)]
    public async Task PushWhileRedisIsDownIsStillRecordedAndProcessed()
    {
        _redis.Cut();

        var response = await _follower.SendAsync(_client, _follower.Sign(_follower.BuildEvent("o_cacheless", "subscribe", "qrscene_cacheless"), "o_cacheless", SecurityMode.Safe));
        await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<WechatGateway.Processing.PushProcessingJob>(_gateway.Services).RunUntilIdleAsync(CancellationToken.None);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Database.ScalarAsync<string>("SELECT scene FROM member_attribution"), Is.EqualTo("cacheless"), "members resolve from MySQL when the cache is gone");
    }
}
