using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WechatGateway.Storage;

namespace WechatGateway.Push;

/// <summary>One stream entry: a send id, the partition it was read from and where it sits in that stream.</summary>
public sealed record SendEntry(RedisValue EntryId, ulong SendId, int Partition);

/// <summary>
/// The Redis side of the queue: <see cref="SendQueueOptions.Partitions"/> streams (<see cref="RedisKeys.SendStreams"/>),
/// each with the consumer group <see cref="RedisKeys.SendConsumerGroup"/>, and the dead letters. An entry carries only
/// the send id: the row in MySQL holds the body and the state, so an entry read twice is one send (the dispatcher's
/// lease decides). Processed entries are acknowledged and deleted, so the streams' length is the queue's depth.
/// </summary>
/// <remarks>
/// A send goes to partition <c>id % Partitions</c>: any component finds an entry's stream from the send id alone, and
/// the partitions fill evenly whatever the mix of accounts and followers. Nothing is ordered by partition: a
/// dispatcher sends a batch's calls concurrently anyway. On a Redis Cluster the partitions live on different masters,
/// so the queue is not bound to one node.
/// A Redis that comes back empty (or a failover to a replica that never had the writes) loses a stream and its
/// entries, and the <c>queued</c> sends they carried would wait for <see cref="SendQueueOptions.RequeueAfterSeconds"/>.
/// So a stream is known to have been reset when a read finds no group (NOGROUP) or when
/// <see cref="RedisKeys.SendStreamMarker"/>, set with the groups, is gone: the groups and the marker are created again
/// and <see cref="TakeResetAsync"/> tells the relay to queue those sends again at once.
/// </remarks>
public sealed class SendStream(IConnectionMultiplexer redis, RelaySignal relay, IOptions<SendQueueOptions> options, TimeProvider time)
{
    private const string SendField = "send";

    private int _resetSeen;

    private readonly string[] _streams = RedisKeys.SendStreams(options.Value.Partitions);

    // Which partition is served first by the next read, so that over rounds each comes first in turn.
    private int _nextFirst;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>XADD of every id to its partition, pipelined (to every master at once on a cluster).</summary>
    public async Task AddAsync(IReadOnlyCollection<ulong> sendIds)
    {
        var batch = Db.CreateBatch();
        var adds = sendIds.Select(id => batch.StreamAddAsync(_streams[PartitionOf(id)], SendField, id)).ToArray();
        batch.Execute();
        await Task.WhenAll(adds);
    }

    /// <summary>XREADGROUP of new entries for <paramref name="consumer"/> (creating the group when it is missing), from every partition.</summary>
    public Task<IReadOnlyList<SendEntry>> ReadAsync(string consumer, int count) =>
        FromEveryPartitionAsync(count, (stream, n) =>
            WithGroupAsync(stream, () => Db.StreamReadGroupAsync(stream, RedisKeys.SendConsumerGroup, consumer, StreamPosition.NewMessages, n)));

    /// <summary>
    /// XAUTOCLAIM: entries another consumer read and left unacknowledged for <see cref="SendQueueOptions.ClaimIdleMilliseconds"/>
    /// become <paramref name="consumer"/>'s. Entries deleted meanwhile are dropped from the pending list by Redis itself.
    /// </summary>
    public Task<IReadOnlyList<SendEntry>> ClaimAbandonedAsync(string consumer, int count) =>
        FromEveryPartitionAsync(count, async (stream, n) => (await WithGroupAsync(stream, () => Db.StreamAutoClaimAsync(
            stream, RedisKeys.SendConsumerGroup, consumer, options.Value.ClaimIdleMilliseconds, "0-0", n))).ClaimedEntries);

    /// <summary>XACK and XDEL on each entry's partition: the entry is done, whatever became of its send (the row says what).</summary>
    public async Task CompleteAsync(IReadOnlyCollection<SendEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var batch = Db.CreateBatch();
        var calls = new List<Task>();
        foreach (var partition in entries.GroupBy(e => e.Partition))
        {
            var ids = partition.Select(e => e.EntryId).ToArray();
            calls.Add(batch.StreamAcknowledgeAsync(_streams[partition.Key], RedisKeys.SendConsumerGroup, ids));
            calls.Add(batch.StreamDeleteAsync(_streams[partition.Key], ids));
        }

        batch.Execute();
        await Task.WhenAll(calls);
    }

    /// <summary>A dead letter: the send id, its last errcode and error, for operators.</summary>
    public Task AddDeadLetterAsync(ulong sendId, int? errcode, string? error) =>
        Db.StreamAddAsync(RedisKeys.SendDeadLetters,
            [new(SendField, sendId), new("errcode", errcode?.ToString(CultureInfo.InvariantCulture) ?? ""), new("error", error ?? "")],
            maxLength: options.Value.DeadLetterMaxLength, useApproximateMaxLength: true);

    /// <summary>Removes a replayed send's dead letters (the stream is bounded, so a range scan is).</summary>
    public async Task RemoveDeadLetterAsync(ulong sendId)
    {
        var entries = await Db.StreamRangeAsync(RedisKeys.SendDeadLetters);
        var ids = entries.Where(e => (string?)e[SendField] == sendId.ToString(CultureInfo.InvariantCulture)).Select(e => e.Id).ToArray();
        if (ids.Length > 0)
        {
            await Db.StreamDeleteAsync(RedisKeys.SendDeadLetters, ids);
        }
    }

    /// <summary>
    /// Length of the partitions (entries not yet done), entries read but not acknowledged, consumers (the most any
    /// partition has: every dispatcher reads every partition), dead letters.
    /// </summary>
    public async Task<StreamDepth> DepthAsync()
    {
        var dead = Db.StreamLengthAsync(RedisKeys.SendDeadLetters);
        var partitions = await Task.WhenAll(_streams.Select(PartitionDepthAsync));
        return new StreamDepth(partitions.Sum(p => p.Length), partitions.Sum(p => p.InFlight), partitions.Max(p => p.Consumers), await dead);
    }

    private async Task<StreamDepth> PartitionDepthAsync(string stream)
    {
        var length = await Db.StreamLengthAsync(stream);
        long inFlight = 0;
        var consumers = 0;
        if (length > 0 || await Db.KeyExistsAsync(stream))
        {
            try
            {
                var pending = await Db.StreamPendingAsync(stream, RedisKeys.SendConsumerGroup);
                inFlight = pending.PendingMessageCount;
                consumers = pending.Consumers.Length;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // No dispatcher has read yet.
            }
        }

        return new StreamDepth(length, inFlight, consumers, 0);
    }

    /// <summary>
    /// True once after a stream was found reset (by a read here, or because the marker is gone): the caller queues
    /// the <c>queued</c> sends again. The marker is set with NX, so of several instances one sees a lost marker.
    /// </summary>
    public async Task<bool> TakeResetAsync()
    {
        if (await Db.StringSetAsync(RedisKeys.SendStreamMarker, time.GetUtcNow().ToUnixTimeMilliseconds(), when: When.NotExists))
        {
            await Task.WhenAll(_streams.Select(CreateGroupAsync));
            Interlocked.Exchange(ref _resetSeen, 0);
            return true;
        }

        return Interlocked.Exchange(ref _resetSeen, 0) == 1;
    }

    private int PartitionOf(ulong sendId) => (int)(sendId % (ulong)_streams.Length);

    /// <summary>
    /// Up to <paramref name="count"/> entries from all partitions, fairly: each partition first gets an equal share,
    /// read at once (they may live on different masters); what is left of the count then goes to the partitions that
    /// filled their share, so a backlog on one partition neither starves the others nor leaves the batch short. The
    /// partition served first turns with every call.
    /// </summary>
    private async Task<IReadOnlyList<SendEntry>> FromEveryPartitionAsync(int count, Func<string, int, Task<StreamEntry[]>> read)
    {
        var n = _streams.Length;
        var first = (int)((uint)Interlocked.Increment(ref _nextFirst) % (uint)n);
        var shares = Enumerable.Range(0, n)
            .Select(i => (Partition: (first + i) % n, Share: (count / n) + (i < count % n ? 1 : 0)))
            .Where(s => s.Share > 0)
            .ToArray();
        var rounds = await Task.WhenAll(shares.Select(async s => (s.Partition, s.Share, Entries: await read(_streams[s.Partition], s.Share))));
        var entries = rounds.SelectMany(r => Parse(r.Partition, r.Entries)).ToList();
        foreach (var (partition, _, _) in rounds.Where(r => r.Entries.Length == r.Share))
        {
            if (entries.Count >= count)
            {
                break;
            }

            entries.AddRange(Parse(partition, await read(_streams[partition], count - entries.Count)));
        }

        return entries;
    }

    private async Task<T> WithGroupAsync<T>(string stream, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            await CreateGroupAsync(stream);
            await Db.StringSetAsync(RedisKeys.SendStreamMarker, time.GetUtcNow().ToUnixTimeMilliseconds(), when: When.NotExists);

            // No group: the stream was never read, or it was lost with its entries. The relay cannot tell which, and
            // queuing again sends whose entries are alive costs only a duplicate entry (the lease keeps it one send).
            Interlocked.Exchange(ref _resetSeen, 1);
            relay.Notify();
            return await call();
        }
    }

    private async Task CreateGroupAsync(string stream)
    {
        // The group reads from the start: entries the relay added before the first dispatcher came are not skipped.
        try
        {
            await Db.StreamCreateConsumerGroupAsync(stream, RedisKeys.SendConsumerGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException busy) when (busy.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another instance created it first.
        }
    }

    private static List<SendEntry> Parse(int partition, StreamEntry[] entries)
    {
        var parsed = new List<SendEntry>(entries.Length);
        foreach (var entry in entries)
        {
            // An entry without a readable id cannot be sent by anyone; it is still returned so that it is acknowledged.
            parsed.Add(new SendEntry(entry.Id, ulong.TryParse((string?)entry[SendField], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0, partition));
        }

        return parsed;
    }
}

public sealed record StreamDepth(long Length, long InFlight, int Consumers, long DeadLetters);
