using StackExchange.Redis;
using WechatGateway.Push;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Push;

/// <summary>The queue when Redis is down while sends are enqueued: a gateway whose Redis sits behind a <see cref="TcpProxy"/>.</summary>
[Category(TestEnvironment.SingleRedis)]
public sealed class SendQueueRedisDownTests : SendQueueTest
{
    private TcpProxy _redis = null!;
    private GatewayFactory _gateway = null!;

    [SetUp]
    public void StartBehindProxy()
    {
        var endpoint = TestEnvironment.RedisConnectionString.Split(',')[0].Split(':');
        _redis = new TcpProxy(endpoint[0], int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture));
        var settings = new Dictionary<string, string?>(SendQueueEnvironment.Settings)
        {
            ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString.Replace(string.Join(':', endpoint), $"127.0.0.1:{_redis.Port}", StringComparison.Ordinal)
                + ",connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000",
        };
        _gateway = new GatewayFactory(settings);
        _ = _gateway.Server;
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _gateway.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Test]
    public async Task SendAddedWhileRedisIsDownWaitsPendingAndIsDeliveredWhenRedisIsBack()
    {
        _redis.Cut();

        var id = (await AddAsync(_gateway, CustomText("o_redisless", "kept", "push:20:reply")))[0];
        Assert.That(id, Is.Not.Null, "adding needs MySQL only");
        Assert.That(async () => await Service<SendRelay>(_gateway).RunOnceAsync(CancellationToken.None),
            Throws.InstanceOf<RedisException>().Or.InstanceOf<TimeoutException>());
        Assert.That((await RowAsync(id)).Status, Is.EqualTo(SendStatus.Pending), "the send waits in MySQL");

        _redis.Restore();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await DeliverAsync(_gateway);
                break;
            }
            catch (Exception e) when ((e is RedisException or TimeoutException) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200); // the multiplexer reconnects by itself
            }
        }

        Assert.That(await MessagesToAsync("o_redisless"), Has.Count.EqualTo(1));
        Assert.That((await RowAsync(id)).Status, Is.EqualTo(SendStatus.Sent));
    }
}
