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

    /// <summary>A retry of a push that the recovery job is processing right now.</summary>
    InFlight,

    /// <summary>A retry of a push whose earlier processing failed or died: this request takes it over.</summary>
    TakenOver,
}

public sealed record RecordedPush(ulong Id, PushState State, string? ReplyXml);

/// <summary>
/// The durable record of every push (<c>wechat_push</c>). It is what makes WeChat's retries harmless:
/// the unique (app_id, dedup_hash) key finds the first delivery, and the stored reply answers the retry.
/// Every method runs inside the caller's transaction (see <see cref="PushPipeline"/>).
/// </summary>
public sealed class PushStore(MySqlDataSource dataSource, TimeProvider time)
{
    /// <summary>How long the recovery job may process a push before another instance takes it over.</summary>
    public static readonly TimeSpan ClaimTime = TimeSpan.FromSeconds(15);

    public async Task<RecordedPush> RecordAsync(MySqlConnection connection, MySqlTransaction transaction, string appId, WechatPush push, string securityMode, string rawXml, CancellationToken ct)
    {
        // One round trip: ON DUPLICATE KEY with LAST_INSERT_ID(id) names the row either way, and ROW_COUNT() is 1 for
        // an insert and 2 for a retry (deliveries always changes). A concurrent delivery of the same push waits on the
        // unique key until the first one's transaction ends, then finds its answer.
        const string sql = """
            INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, event, msg_id, create_time,
                                     security_mode, raw_xml, received_at, status)
            VALUES (@appId, @dedupHash, @dedupKey, @openId, @msgType, @event, @msgId, @createTime,
                    @securityMode, @rawXml, @now, 'processing')
            ON DUPLICATE KEY UPDATE deliveries = deliveries + 1, id = LAST_INSERT_ID(id);
            SELECT LAST_INSERT_ID() AS Id, ROW_COUNT() AS RowCount;
            """;
        var now = time.GetUtcNow().UtcDateTime;
        var dedupKey = push.DeduplicationKey;
        var (id, rowCount) = await connection.QuerySingleAsync<(ulong Id, long RowCount)>(new CommandDefinition(sql, new
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
        }, transaction, cancellationToken: ct));
        if (rowCount == 1)
        {
            return new RecordedPush(id, PushState.New, null);
        }

        const string existing = "SELECT status AS Status, reply_xml AS ReplyXml, claimed_until AS ClaimedUntil FROM wechat_push WHERE id = @id FOR UPDATE";
        var row = await connection.QuerySingleAsync<PushRow>(new CommandDefinition(existing, new { id }, transaction, cancellationToken: ct));
        return row switch
        {
            { Status: "processed" } => new RecordedPush(id, PushState.Answered, row.ReplyXml),
            { ClaimedUntil: { } until } when until > now => new RecordedPush(id, PushState.InFlight, null),
            _ => new RecordedPush(id, PushState.TakenOver, null),
        };
    }

    public async Task CompleteAsync(MySqlConnection connection, MySqlTransaction transaction, ulong id, string? replyXml, CancellationToken ct)
    {
        const string sql = """
            UPDATE wechat_push SET status = 'processed', reply_xml = @replyXml, processed_at = @now, claimed_until = NULL
            WHERE id = @id
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, replyXml, now = time.GetUtcNow().UtcDateTime }, transaction, cancellationToken: ct));
    }

    /// <summary>Waits for the recovery job to answer the push, so a retry gets the same answer.</summary>
    public async Task<string?> WaitForReplyAsync(ulong id, TimeSpan timeout, CancellationToken ct)
    {
        const string sql = "SELECT status AS Status, reply_xml AS ReplyXml, claimed_until AS ClaimedUntil FROM wechat_push WHERE id = @id";
        var deadline = time.GetUtcNow() + timeout;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        while (true)
        {
            var row = await connection.QuerySingleAsync<PushRow>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
            if (row.Status == "processed" || time.GetUtcNow() >= deadline)
            {
                return row.ReplyXml;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
        }
    }

    public sealed record StrandedPush(ulong Id, string AppId, string RawXml);

    /// <summary>Claims up to <paramref name="limit"/> pushes whose processing failed or died, for the recovery job.</summary>
    public async Task<IReadOnlyList<StrandedPush>> ClaimStrandedAsync(int limit, CancellationToken ct)
    {
        const string select = """
            SELECT id AS Id, app_id AS AppId, raw_xml AS RawXml FROM wechat_push
            WHERE status = 'processing' AND (claimed_until IS NULL OR claimed_until < @now)
            ORDER BY id LIMIT @limit
            """;
        const string claim = """
            UPDATE wechat_push SET claimed_until = @claimedUntil
            WHERE id = @id AND status = 'processing' AND (claimed_until IS NULL OR claimed_until < @now)
            """;
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

    private sealed record PushRow(string Status, string? ReplyXml, DateTime? ClaimedUntil);
}
