using System.Security.Cryptography;
using System.Text;
using Dapper;
using MySqlConnector;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

public enum PushState
{
    /// <summary>First delivery: this request owns the push and must process it.</summary>
    New,

    /// <summary>A retry of a push that an earlier delivery already answered.</summary>
    Answered,

    /// <summary>A retry of a push whose earlier delivery is still processing it.</summary>
    InFlight,

    /// <summary>A retry of a push whose earlier delivery died while processing: this request takes it over.</summary>
    TakenOver,
}

public sealed record RecordedPush(ulong Id, PushState State, string? ReplyXml);

/// <summary>
/// The durable record of every push (<c>wechat_push</c>). It is what makes WeChat's retries harmless:
/// the unique (app_id, dedup_hash) key finds the first delivery, and the stored reply answers the retry.
/// </summary>
public sealed class PushStore(MySqlDataSource dataSource, TimeProvider time)
{
    /// <summary>How long a delivery may process a push before a retry takes it over. WeChat waits 5 s per try.</summary>
    public static readonly TimeSpan ClaimTime = TimeSpan.FromSeconds(15);

    public async Task<RecordedPush> RecordAsync(string appId, WechatPush push, string securityMode, string rawXml, CancellationToken ct)
    {
        // Concurrent deliveries of one push race for the same unique key, and InnoDB may pick one of them as a
        // deadlock victim: that one simply tries again and finds the row.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryRecordAsync(appId, push, securityMode, rawXml, ct);
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.LockDeadlock && attempt < 3)
            {
            }
        }
    }

    private async Task<RecordedPush> TryRecordAsync(string appId, WechatPush push, string securityMode, string rawXml, CancellationToken ct)
    {
        // ON DUPLICATE KEY with LAST_INSERT_ID(id) names the row either way; affected rows are 1 for an insert
        // and 2 for a retry (MySqlConnector reports found rows, and deliveries always changes).
        const string sql = """
            INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, event, msg_id, create_time,
                                     security_mode, raw_xml, received_at, status, claimed_until)
            VALUES (@appId, @dedupHash, @dedupKey, @openId, @msgType, @event, @msgId, @createTime,
                    @securityMode, @rawXml, @now, 'processing', @claimedUntil)
            ON DUPLICATE KEY UPDATE deliveries = deliveries + 1, id = LAST_INSERT_ID(id)
            """;
        var now = time.GetUtcNow().UtcDateTime;
        var dedupKey = push.DeduplicationKey;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var affected = await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            appId,
            dedupHash = SHA256.HashData(Encoding.UTF8.GetBytes(dedupKey)),
            dedupKey = dedupKey.Length > 1024 ? dedupKey[..1024] : dedupKey,
            openId = push.FromUserName,
            msgType = push.MsgType,
            @event = (push as WechatEvent)?.Event,
            msgId = (push as WechatMessage)?.MsgId,
            createTime = push.CreateTime,
            securityMode,
            rawXml,
            now,
            claimedUntil = now + ClaimTime,
        }, cancellationToken: ct));
        var id = await connection.ExecuteScalarAsync<ulong>(new CommandDefinition("SELECT LAST_INSERT_ID()", cancellationToken: ct));
        if (affected == 1)
        {
            return new RecordedPush(id, PushState.New, null);
        }

        return await InspectRetryAsync(connection, id, ct);
    }

    private async Task<RecordedPush> InspectRetryAsync(MySqlConnection connection, ulong id, CancellationToken ct)
    {
        const string takeOver = """
            UPDATE wechat_push SET claimed_until = @claimedUntil
            WHERE id = @id AND status = 'processing' AND claimed_until < @now
            """;
        var now = time.GetUtcNow().UtcDateTime;
        var taken = await connection.ExecuteAsync(new CommandDefinition(takeOver, new { id, now, claimedUntil = now + ClaimTime }, cancellationToken: ct));
        if (taken == 1)
        {
            return new RecordedPush(id, PushState.TakenOver, null);
        }

        var row = await ReadAsync(connection, id, ct);
        return row.Status == "processed"
            ? new RecordedPush(id, PushState.Answered, row.ReplyXml)
            : new RecordedPush(id, PushState.InFlight, null);
    }

    /// <summary>Waits for the delivery that owns the push to answer it, so a retry gets the same answer.</summary>
    public async Task<string?> WaitForReplyAsync(ulong id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + timeout;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        while (true)
        {
            var row = await ReadAsync(connection, id, ct);
            if (row.Status == "processed" || time.GetUtcNow() >= deadline)
            {
                return row.ReplyXml;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        }
    }

    public async Task CompleteAsync(ulong id, string? replyXml, CancellationToken ct)
    {
        const string sql = """
            UPDATE wechat_push SET status = 'processed', reply_xml = @replyXml, processed_at = @now, claimed_until = NULL
            WHERE id = @id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, replyXml, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
    }

    /// <summary>Lets the recovery job take the push at once, after the delivery that owned it failed to process it.</summary>
    public async Task ReleaseAsync(ulong id, CancellationToken ct)
    {
        const string sql = "UPDATE wechat_push SET claimed_until = @now WHERE id = @id AND status = 'processing'";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
    }

    public sealed record StrandedPush(ulong Id, string AppId, string RawXml);

    /// <summary>Claims up to <paramref name="limit"/> pushes whose delivery died or failed, for the recovery job.</summary>
    public async Task<IReadOnlyList<StrandedPush>> ClaimStrandedAsync(int limit, CancellationToken ct)
    {
        const string select = """
            SELECT id AS Id, app_id AS AppId, raw_xml AS RawXml FROM wechat_push
            WHERE status = 'processing' AND claimed_until < @now
            ORDER BY id LIMIT @limit
            """;
        const string claim = "UPDATE wechat_push SET claimed_until = @claimedUntil WHERE id = @id AND status = 'processing' AND claimed_until < @now";
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var candidates = await connection.QueryAsync<StrandedPush>(new CommandDefinition(select, new { now, limit }, cancellationToken: ct));
        var claimed = new List<StrandedPush>();
        foreach (var push in candidates)
        {
            // Another worker instance may claim the same row: only the one whose update lands owns it.
            if (await connection.ExecuteAsync(new CommandDefinition(claim, new { push.Id, now, claimedUntil = now + ClaimTime }, cancellationToken: ct)) == 1)
            {
                claimed.Add(push);
            }
        }

        return claimed;
    }

    private static async Task<PushRow> ReadAsync(MySqlConnection connection, ulong id, CancellationToken ct)
    {
        const string sql = "SELECT status AS Status, reply_xml AS ReplyXml FROM wechat_push WHERE id = @id";
        return await connection.QuerySingleAsync<PushRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
    }

    private sealed record PushRow(string Status, string? ReplyXml);
}
