using StackExchange.Redis;
using WechatGateway.Push;
using WechatGateway.Storage;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Push;

/// <summary>
/// A Redis that comes back empty (restarted without persistence, or failed over to a replica that never had the
/// stream): the <c>queued</c> sends lost their entries, and must go out at once, not after
/// <c>SendQueue:RequeueAfterSeconds</c> (600 s by default, as in these tests).
/// </summary>
[NonParallelizable]
public sealed class SendStreamResetTests : SendQueueTest
{
    private static async Task<IDatabase> RedisAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConnectionString);
        return redis.GetDatabase();
    }

    [Test]
    [Category(TestEnvironment.SingleRedis)] // FLUSHDB empties one node of a cluster only
    public async Task QueuedSendsWhoseEntriesWereLostWithAnEmptiedRedisGoOutOnceEachAtTheNextRound()
    {
        var ids = await AddAsync(CustomText("o_lost_1", "one", "reset:1"), CustomText("o_lost_2", "two", "reset:2"), CustomText("o_lost_3", "three", "reset:3"));
        Assert.That(await Service<SendRelay>().RunOnceAsync(CancellationToken.None), Is.EqualTo(3), "queued: each an entry on the stream");

        // Redis restarts empty: the stream, its group and its entries are gone.
        var redis = await RedisAsync();
        await redis.ExecuteAsync("FLUSHDB");
        await DeliverAsync();

        foreach (var openId in new[] { "o_lost_1", "o_lost_2", "o_lost_3" })
        {
            Assert.That(await MessagesToAsync(openId), Has.Count.EqualTo(1), openId);
        }

        foreach (var id in ids)
        {
            Assert.That((await RowAsync(id)).Status, Is.EqualTo(SendStatus.Sent));
        }
    }

    [Test]
    public async Task AResetSeenWhileTheEntriesStillExistSendsEachOnce()
    {
        await AddAsync(CustomText("o_kept_1", "one", "kept:1"), CustomText("o_kept_2", "two", "kept:2"));
        Assert.That(await Service<SendRelay>().RunOnceAsync(CancellationToken.None), Is.EqualTo(2));

        // Only the marker is gone: the entries are still on the stream, and the requeue adds a second entry for each.
        var redis = await RedisAsync();
        await redis.KeyDeleteAsync(RedisKeys.SendStreamMarker);
        await DeliverAsync();

        Assert.That(await MessagesToAsync("o_kept_1"), Has.Count.EqualTo(1), "the lease and the sent status keep it one send");
        Assert.That(await MessagesToAsync("o_kept_2"), Has.Count.EqualTo(1));
    }
}
