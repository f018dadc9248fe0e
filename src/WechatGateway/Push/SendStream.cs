using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WechatGateway.Storage;

namespace WechatGateway.Push;

/// <summary>One stream entry: a send id and where it sits in the stream.</summary>
public sealed record SendEntry(RedisValue EntryId, ulong SendId);

/// <summary>
/// The Redis side of the queue: <see cref="RedisKeys.SendStream"/> with the consumer group
/// <see cref="RedisKeys.SendConsumerGroup"/>, and the dead letters. An entry carries only the send id: the row in
/// MySQL holds the body and the state, so an entry read twice is one send (the dispatcher's lease decides).
/// Processed entries are acknowledged and deleted, so the stream's length is the queue's depth.
/// </summary>
/// <remarks>
/// A Redis that comes back empty loses the stream and its entries, and the <c>queued</c> sends they carried would wait
/// for <see cref="SendQueueOptions.RequeueAfterSeconds"/>. So the stream is known to have been reset when a read finds
/// no group (NOGROUP) or when <see cref="RedisKeys.SendStreamMarker"/>, set with the group, is gone: the group and the
/// marker are created again and <see cref="TakeResetAsync"/> tells the relay to queue those sends again at once.
/// </remarks>
public sealed class SendStream(IConnectionMultiplexer redis, RelaySignal relay, IOptions<SendQueueOptions> options, TimeProvider time)
{
    private const string SendField = "send";

    private int _resetSeen;

    private IDatabase Db => redis.GetDatabase();

    /// <summary>XADD of every id, pipelined.</summary>
    public async Task AddAsync(IReadOnlyCollection<ulong> sendIds)
    {
        var batch = Db.CreateBatch();
        var adds = sendIds.Select(id => batch.StreamAddAsync(RedisKeys.SendStream, SendField, id)).ToArray();
        batch.Execute();
        await Task.WhenAll(adds);
    }

    /// <summary>XREADGROUP of new entries for <paramref name="consumer"/> (creating the group when it is missing).</summary>
    public async Task<IReadOnlyList<SendEntry>> ReadAsync(string consumer, int count)
    {
        var entries = await WithGroupAsync(() => Db.StreamReadGroupAsync(RedisKeys.SendStream, RedisKeys.SendConsumerGroup, consumer, StreamPosition.NewMessages, count));
        return Parse(entries);
    }

    /// <summary>
    /// XAUTOCLAIM: entries another consumer read and left unacknowledged for <see cref="SendQueueOptions.ClaimIdleMilliseconds"/>
    /// become <paramref name="consumer"/>'s. Entries deleted meanwhile are dropped from the pending list by Redis itself.
    /// </summary>
    public async Task<IReadOnlyList<SendEntry>> ClaimAbandonedAsync(string consumer, int count)
    {
        var result = await WithGroupAsync(() => Db.StreamAutoClaimAsync(
            RedisKeys.SendStream, RedisKeys.SendConsumerGroup, consumer, options.Value.ClaimIdleMilliseconds, "0-0", count));
        return Parse(result.ClaimedEntries);
    }

    /// <summary>XACK and XDEL: the entry is done, whatever became of its send (the row says what).</summary>
    public async Task CompleteAsync(IReadOnlyCollection<RedisValue> entryIds)
    {
        if (entryIds.Count == 0)
        {
            return;
        }

        var ids = entryIds.ToArray();
        var batch = Db.CreateBatch();
        var ack = batch.StreamAcknowledgeAsync(RedisKeys.SendStream, RedisKeys.SendConsumerGroup, ids);
        var delete = batch.StreamDeleteAsync(RedisKeys.SendStream, ids);
        batch.Execute();
        await Task.WhenAll(ack, delete);
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

    /// <summary>Stream length (entries not yet done), entries read but not acknowledged, consumers, dead letters.</summary>
    public async Task<StreamDepth> DepthAsync()
    {
        var length = await Db.StreamLengthAsync(RedisKeys.SendStream);
        var dead = await Db.StreamLengthAsync(RedisKeys.SendDeadLetters);
        long inFlight = 0;
        var consumers = 0;
        if (length > 0 || await Db.KeyExistsAsync(RedisKeys.SendStream))
        {
            try
            {
                var pending = await Db.StreamPendingAsync(RedisKeys.SendStream, RedisKeys.SendConsumerGroup);
                inFlight = pending.PendingMessageCount;
                consumers = pending.Consumers.Length;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // No dispatcher has read yet.
            }
        }

        return new StreamDepth(length, inFlight, consumers, dead);
    }

    /// <summary>
    /// True once after the stream was found reset (by a read here, or because the marker is gone): the caller queues
    /// the <c>queued</c> sends again. The marker is set with NX, so of several instances one sees a lost marker.
    /// </summary>
    public async Task<bool> TakeResetAsync()
    {
        if (await Db.StringSetAsync(RedisKeys.SendStreamMarker, time.GetUtcNow().ToUnixTimeMilliseconds(), when: When.NotExists))
        {
            await CreateGroupAsync();
            Interlocked.Exchange(ref _resetSeen, 0);
            return true;
        }

        return Interlocked.Exchange(ref _resetSeen, 0) == 1;
    }

    private async Task<T> WithGroupAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
        {
            await CreateGroupAsync();
            await Db.StringSetAsync(RedisKeys.SendStreamMarker, time.GetUtcNow().ToUnixTimeMilliseconds(), when: When.NotExists);

            // No group: the stream was never read, or it was lost with its entries. The relay cannot tell which, and
            // queuing again sends whose entries are alive costs only a duplicate entry (the lease keeps it one send).
            Interlocked.Exchange(ref _resetSeen, 1);
            relay.Notify();
            return await call();
        }
    }

    private async Task CreateGroupAsync()
    {
        // The group reads from the start: entries the relay added before the first dispatcher came are not skipped.
        try
        {
            await Db.StreamCreateConsumerGroupAsync(RedisKeys.SendStream, RedisKeys.SendConsumerGroup, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException busy) when (busy.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another instance created it first.
        }
    }

    private static List<SendEntry> Parse(StreamEntry[] entries)
    {
        var parsed = new List<SendEntry>(entries.Length);
        foreach (var entry in entries)
        {
            // An entry without a readable id cannot be sent by anyone; it is still returned so that it is acknowledged.
            parsed.Add(new SendEntry(entry.Id, ulong.TryParse((string?)entry[SendField], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0));
        }

        return parsed;
    }
}

public sealed record StreamDepth(long Length, long InFlight, int Consumers, long DeadLetters);
