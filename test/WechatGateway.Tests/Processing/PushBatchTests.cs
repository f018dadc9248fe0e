using NUnit.Framework;
using WechatGateway.Processing;

namespace WechatGateway.Tests.Processing;

public sealed class PushBatchTests
{
    [Test]
    public async Task ABatchReadsEachKeyOnceAndKeepsKeysApart()
    {
        var batch = new PushBatch();
        var reads = 0;
        Task<int> Read(int value)
        {
            reads++;
            return Task.FromResult(value);
        }

        Assert.That(await batch.OnceAsync(("rules", "keyword"), () => Read(1)), Is.EqualTo(1));
        Assert.That(await batch.OnceAsync(("rules", "keyword"), () => Read(2)), Is.EqualTo(1), "the second push of the batch sees the first read");
        Assert.That(await batch.OnceAsync(("rules", "feedback"), () => Read(3)), Is.EqualTo(3));
        Assert.That(reads, Is.EqualTo(2));
        Assert.That(await new PushBatch().OnceAsync(("rules", "keyword"), () => Read(4)), Is.EqualTo(4), "the next batch reads again");
    }

    [Test]
    public async Task WhatRunsAfterTheCommitRunsOnceAndOnlyAfterIt()
    {
        var batch = new PushBatch();
        var wakes = 0;
        void Wake() => wakes++;
        batch.AfterCommit(Wake);
        batch.AfterCommit(Wake);
        Assert.That(wakes, Is.Zero, "nothing runs before the commit (a rolled-back batch never calls Committed)");
        await batch.CommittedAsync();
        Assert.That(wakes, Is.EqualTo(1), "asked for by every push of the batch, run once");
    }

    [Test]
    public async Task CallsCollectedForAfterTheCommitRunOnceWithEveryItemButThoseOfAFailedHandler()
    {
        var batch = new PushBatch();
        var runs = new List<string[]>();
        Task Run(IReadOnlyList<string> items)
        {
            runs.Add([.. items]);
            return Task.CompletedTask;
        }

        batch.AfterCommit("window", "first push", Run);
        batch.AfterCommit("window", "second push", Run);
        batch.DiscardDeferred();
        Assert.That(runs, Is.Empty, "nothing runs before the commit");

        // The push-by-push path: a handler's items are kept once it succeeded, dropped when it failed.
        var written = new PushBatch();
        written.AfterCommit("window", "succeeded", Run);
        await written.WriteDeferredAsync(null!, null!, CancellationToken.None);
        written.AfterCommit("window", "failed", Run);
        written.DiscardDeferred();
        await written.CommittedAsync();

        Assert.That(runs, Is.EqualTo(new[] { new[] { "succeeded" } }));
    }
}
