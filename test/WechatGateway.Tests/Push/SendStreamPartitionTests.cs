using WechatGateway.Push;
using WechatGateway.Storage;

namespace WechatGateway.Tests.Push;

/// <summary>The send queue's partitions: where their keys fall on a Redis Cluster, and how a dispatcher reads them.</summary>
public sealed class SendStreamPartitionTests : SendQueueTest
{
    [Test]
    public void SixPartitionsFallTwoOnEachMasterOfAnEvenlySplitThreeMasterCluster()
    {
        // The check value of Redis Cluster's CRC16 (its specification), and a hash tag hashed alone.
        Assert.That(RedisKeys.HashSlot("123456789"), Is.EqualTo(12739));
        Assert.That(RedisKeys.HashSlot("wg:x:{123456789}:y"), Is.EqualTo(12739));

        // redis-cli --cluster create gives three masters 0-5460, 5461-10922 and 10923-16383.
        var masters = RedisKeys.SendStreams(6).Select(key => RedisKeys.HashSlot(key) switch
        {
            <= 5460 => "first",
            <= 10922 => "second",
            _ => "third",
        });

        Assert.That(masters.GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count()), Is.EquivalentTo(new Dictionary<string, int> { ["first"] = 2, ["second"] = 2, ["third"] = 2 }));
    }

    [Test]
    public async Task DispatcherRoundSmallerThanTheBacklogTakesFromEveryPartition()
    {
        var stream = Service<SendStream>();
        await stream.AddAsync([.. Enumerable.Range(1, 60).Select(i => (ulong)i)]);

        var read = await stream.ReadAsync("fair-reader", 12);

        Assert.That(read.GroupBy(e => e.Partition).Select(g => g.Count()), Is.EquivalentTo(new[] { 2, 2, 2, 2, 2, 2 }), "an equal share from each of the 6 partitions");
        Assert.That(read.Select(e => (int)(e.SendId % 6)), Is.EquivalentTo(read.Select(e => e.Partition)), "each send on the partition of its id");
        await stream.CompleteAsync(read);
        Assert.That((await stream.DepthAsync()).Length, Is.EqualTo(48), "the entries read are done, the others wait");
    }
}
