using System.Security.Cryptography;
using System.Text;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>One <c>wechat_push</c> row of a batch: the first delivery of a push, and how many deliveries of it the batch holds.</summary>
/// <param name="ReceivedAt">When the push came: now for the group commit, the original arrival for a push replayed from the spool.</param>
public sealed record PushRow(PushToRecord Push, byte[] Hash, int Deliveries, DateTime ReceivedAt);

/// <summary>
/// The one statement that records pushes, shared by the group commit (<see cref="PushRecorder"/>) and the spool's
/// replay (<see cref="SpoolDrainer"/>): both go through the same dedup key, so a push spooled and also delivered again
/// by WeChat is one row, whichever comes first.
/// </summary>
public sealed class PushTable(MySqlDataSource dataSource)
{
    /// <summary>
    /// Groups a batch by dedup key (a retry in the same batch joins its first delivery's row), in key order, so two
    /// writers whose batches share pushes lock their rows in the same order.
    /// </summary>
    public static List<List<T>> InKeyOrder<T>(IEnumerable<T> items, Func<T, string> appId, Func<T, byte[]> hash) =>
        items.GroupBy(i => (appId(i), Convert.ToHexString(hash(i))))
            .Select(g => g.ToList())
            .OrderBy(g => appId(g[0]), StringComparer.Ordinal).ThenBy(g => hash(g[0]), ByteOrder.Instance)
            .ToList();

    public static byte[] DedupHash(WechatPush push) => SHA256.HashData(Encoding.UTF8.GetBytes(push.DeduplicationKey));

    /// <summary>
    /// Records the rows in one transaction, in one round trip: the isolation level, the transaction's start, the rows,
    /// the read-back of their state and the commit go as one multi-statement command (through the driver's transaction
    /// API they would take four: the level, the start and the commit each on their own).
    /// </summary>
    /// <remarks>
    /// When a statement fails, the server runs none after it, so the transaction is still open: it is rolled back here
    /// before the connection goes back to the pool, which resets it only when the connection string leaves
    /// <c>ConnectionReset</c> on. The rows' read-back is checked after the
    /// commit; a mismatch (which would be a bug) fails the batch's requests, and WeChat's retries find the rows.
    /// </remarks>
    /// <returns>By hex dedup hash: the row's id, whether this call created it, and the reply its first delivery got.</returns>
    public async Task<Dictionary<string, RecordedPush>> InsertAsync(IReadOnlyList<PushRow> rows, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var command = new MySqlCommand { Connection = connection };
        var sql = new StringBuilder("""
            SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;
            START TRANSACTION;
            INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, event, msg_id, create_time,
                                     security_mode, raw_xml, received_at, status, problem, reply_xml, reply_deferred, deliveries, claimed_until)
            VALUES
            """);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var push = row.Push.Push;
            sql.Append(i == 0 ? "\n" : ",\n").Append(
                $"(@a{i}, @h{i}, @k{i}, @o{i}, @t{i}, @e{i}, @m{i}, @c{i}, @s{i}, @x{i}, @w{i}, @st{i}, @p{i}, @r{i}, @rd{i}, @d{i}, @u{i})");
            var parameters = command.Parameters;
            parameters.AddWithValue($"@a{i}", row.Push.AppId);
            parameters.AddWithValue($"@h{i}", row.Hash);
            parameters.AddWithValue($"@k{i}", Columns.Fit(push.DeduplicationKey, 1024));
            parameters.AddWithValue($"@o{i}", Columns.Fit(push.FromUserName, 128));
            parameters.AddWithValue($"@t{i}", Columns.Fit(push.MsgType, 32));
            parameters.AddWithValue($"@e{i}", push is WechatEvent evt ? Columns.Fit(evt.Event, 64) : null);
            parameters.AddWithValue($"@m{i}", MsgIdOf(push) is { } msgId ? Columns.Fit(msgId, 128) : null);
            parameters.AddWithValue($"@c{i}", push.CreateTime);
            parameters.AddWithValue($"@s{i}", row.Push.SecurityMode);
            parameters.AddWithValue($"@x{i}", row.Push.RawXml);
            parameters.AddWithValue($"@w{i}", row.ReceivedAt);
            parameters.AddWithValue($"@st{i}", push is UnparsedPush ? PushStatus.Unparsed : PushStatus.Recorded);
            parameters.AddWithValue($"@p{i}", push is UnparsedPush unparsed ? Columns.Fit(unparsed.Problem, 500) : null);
            parameters.AddWithValue($"@r{i}", row.Push.ReplyXml);
            // A push its request waits for is deferred until that processing stores the reply: if the request stops
            // waiting, the worker that takes it after the hold queues the reply instead.
            parameters.AddWithValue($"@rd{i}", row.Push.ReplyDeferred || row.Push.HeldForAnswer);
            parameters.AddWithValue($"@d{i}", row.Deliveries);
            parameters.AddWithValue($"@u{i}", row.Push.HeldForAnswer ? row.ReceivedAt + PushRecorder.HoldForAnswer : null);
        }

        // An existing row is a retry: it keeps its answer (and whether its reply was deferred) and counts the
        // delivery. After this statement a row we inserted has exactly the deliveries we gave it, and an older one more
        // (it had at least one).
        sql.Append("\nON DUPLICATE KEY UPDATE deliveries = deliveries + VALUES(deliveries);\n");
        var byApp = rows.Select((r, i) => (r.Push.AppId, i)).GroupBy(r => r.AppId).ToList();
        foreach (var app in byApp)
        {
            var index = app.First().i;
            sql.Append($"SELECT id, dedup_hash, deliveries, reply_xml FROM wechat_push WHERE app_id = @a{index} AND dedup_hash IN (")
                .AppendJoin(", ", app.Select(r => $"@h{r.i}"))
                .Append(");\n");
        }

        sql.Append("COMMIT;");
        command.CommandText = sql.ToString();
        var deliveriesOf = rows.ToDictionary(r => Convert.ToHexString(r.Hash), r => r.Deliveries);
        var stored = new Dictionary<string, RecordedPush>(rows.Count);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            do
            {
                while (await reader.ReadAsync(ct))
                {
                    var hash = Convert.ToHexString((byte[])reader.GetValue(1));
                    var deliveries = reader.GetInt32(2);
                    var reply = reader.IsDBNull(3) ? null : reader.GetString(3);
                    stored[hash] = new RecordedPush(reader.GetUInt64(0), deliveries == deliveriesOf[hash], reply);
                }
            }
            while (await reader.NextResultAsync(ct));
        }
        catch
        {
            await RollBackAsync(connection);
            throw;
        }

        if (stored.Count != rows.Count)
        {
            throw new InvalidOperationException($"Recorded {rows.Count} pushes but read back {stored.Count}.");
        }

        return stored;
    }

    /// <summary>Ends what a failed batch left open; a connection that cannot take it is broken and leaves the pool anyway.</summary>
    private static async Task RollBackAsync(MySqlConnection connection)
    {
        try
        {
            await using var rollback = new MySqlCommand("ROLLBACK", connection);
            await rollback.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is MySqlException or InvalidOperationException or IOException)
        {
            // Broken: MySqlConnector does not return it to the pool.
        }
    }

    /// <summary>The id WeChat gave a message, or the message a send report is about.</summary>
    private static string? MsgIdOf(WechatPush push) => push switch
    {
        WechatMessage message => message.MsgId,
        TemplateSendJobFinishEvent report => report.MsgId,
        MassSendJobFinishEvent report => report.MsgId,
        _ => null,
    };

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
