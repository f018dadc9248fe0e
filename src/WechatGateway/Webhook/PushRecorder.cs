using System.Data;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Storage;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

/// <summary>What the webhook hands the recorder: the opened push, how it came, and the passive reply it was given.</summary>
/// <param name="HeldForAnswer">
/// The request processes this push itself before answering (a passive reply that reads what the push's handlers change):
/// the row is recorded already claimed for <see cref="PushRecorder.HoldForAnswer"/>, so no worker takes it meanwhile.
/// </param>
public sealed record PushToRecord(string AppId, WechatPush Push, string SecurityMode, string RawXml, string? ReplyXml, bool HeldForAnswer = false);

/// <param name="Id">The <c>wechat_push</c> row.</param>
/// <param name="IsNew">False for a retry (WeChat's, or a duplicate in the same batch): it gets <paramref name="ReplyXml"/>, the first delivery's answer.</param>
public sealed record RecordedPush(ulong Id, bool IsNew, string? ReplyXml);

/// <summary>
/// Group commit: concurrent pushes share one transaction and one commit. Requests queue their push and wait; each
/// writer takes everything that arrived while the previous commit was in flight (up to
/// <see cref="WebhookOptions.MaxBatch"/> rows or <see cref="WebhookOptions.MaxBatchBytes"/>), records it with one
/// multi-row statement, learns which rows are new and which are retries, commits, and only then releases the waiting
/// requests. A batch that cannot be committed fails every request in it (503 at the webhook); nothing is answered 200
/// before its row is durable.
/// </summary>
public sealed class PushRecorder(
    MySqlDataSource dataSource,
    PushSignal signal,
    WebhookMetrics metrics,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    ILogger<PushRecorder> logger) : BackgroundService
{
    /// <summary>
    /// How long a push recorded for its request to process stays claimed by that request: longer than the request can
    /// take (it gives up after <see cref="WebhookOptions.AnswerAfterProcessingMilliseconds"/>), short enough that a
    /// worker soon takes a push whose request died.
    /// </summary>
    public static readonly TimeSpan HoldForAnswer = TimeSpan.FromSeconds(10);

    private readonly WebhookOptions _options = options.Value;

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.QueueCapacity)
    {
        SingleReader = false,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Records a push durably; the answer comes after the commit of the batch it joined.</summary>
    /// <exception cref="TimeoutException">Not committed within <see cref="WebhookOptions.RecordTimeoutMilliseconds"/>.</exception>
    /// <exception cref="MySqlException">The batch could not be committed.</exception>
    public async Task<RecordedPush> RecordAsync(PushToRecord push, CancellationToken ct)
    {
        var pending = new Pending(push, DedupHash(push));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromMilliseconds(_options.RecordTimeoutMilliseconds));
        try
        {
            await _queue.Writer.WriteAsync(pending, deadline.Token);
            return await pending.Done.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The batch may still commit; WeChat's retry then finds the row and gets its answer.
            throw new TimeoutException($"The push was not recorded within {_options.RecordTimeoutMilliseconds} ms.");
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, _options.Writers).Select(_ => Task.Run(() => WriteLoopAsync(stoppingToken), stoppingToken)));

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(_options.MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            long bytes = 0;
            while (batch.Count < _options.MaxBatch && bytes < _options.MaxBatchBytes && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
                bytes += pending.Push.RawXml.Length + (pending.Push.ReplyXml?.Length ?? 0);
            }

            if (batch.Count > 0)
            {
                await WriteBatchAsync(batch, stoppingToken);
            }
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch, CancellationToken stoppingToken)
    {
        // A retry that arrives while its first delivery waits in the same batch joins that delivery's row. Rows are
        // written in key order, so two writers whose batches share pushes lock them in the same order.
        var rows = batch.GroupBy(p => (p.Push.AppId, Convert.ToHexString(p.Hash)), p => p)
            .Select(g => g.ToList())
            .OrderBy(g => g[0].Push.AppId, StringComparer.Ordinal).ThenBy(g => g[0].Hash, ByteOrder.Instance)
            .ToList();
        var started = time.GetTimestamp();
        try
        {
            // A deadlock victim is rolled back whole: nothing of the batch is kept, so it simply runs again.
            var stored = await DeadlockRetry.RunAsync(
                async () =>
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(TimeSpan.FromMilliseconds(_options.RecordTimeoutMilliseconds));
                    return await InsertAsync(rows, timeout.Token);
                },
                () => logger.LogInformation("Push batch of {Count} was a deadlock victim; writing it again", batch.Count));
            Release(rows, stored);
            metrics.RecordBatch(batch.Count, time.GetElapsedTime(started));
            if (stored.Values.Any(s => s.IsNew))
            {
                signal.Notify();
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not record a batch of {Count} pushes; each is answered 503 so WeChat tries again", batch.Count);
            foreach (var pending in batch)
            {
                pending.Done.TrySetException(e);
            }
        }
    }

    /// <summary>One round trip for the rows and their state, one for the commit.</summary>
    private async Task<Dictionary<string, RecordedPush>> InsertAsync(List<List<Pending>> rows, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await using var command = new MySqlCommand { Connection = connection, Transaction = transaction };
        var now = time.GetUtcNow().UtcDateTime;
        var sql = new StringBuilder("""
            INSERT INTO wechat_push (app_id, dedup_hash, dedup_key, open_id, msg_type, event, msg_id, create_time,
                                     security_mode, raw_xml, received_at, status, problem, reply_xml, deliveries, claimed_until)
            VALUES
            """);
        for (var i = 0; i < rows.Count; i++)
        {
            var first = rows[i][0];
            var push = first.Push.Push;
            sql.Append(i == 0 ? "\n" : ",\n").Append(
                $"(@a{i}, @h{i}, @k{i}, @o{i}, @t{i}, @e{i}, @m{i}, @c{i}, @s{i}, @x{i}, @now, @st{i}, @p{i}, @r{i}, @d{i}, @u{i})");
            var parameters = command.Parameters;
            parameters.AddWithValue($"@a{i}", first.Push.AppId);
            parameters.AddWithValue($"@h{i}", first.Hash);
            parameters.AddWithValue($"@k{i}", Truncate(push.DeduplicationKey, 1024));
            parameters.AddWithValue($"@o{i}", Truncate(push.FromUserName, 128));
            parameters.AddWithValue($"@t{i}", Truncate(push.MsgType, 32));
            parameters.AddWithValue($"@e{i}", push is WechatEvent evt ? Truncate(evt.Event, 64) : null);
            parameters.AddWithValue($"@m{i}", MsgIdOf(push) is { } msgId ? Truncate(msgId, 128) : null);
            parameters.AddWithValue($"@c{i}", push.CreateTime);
            parameters.AddWithValue($"@s{i}", first.Push.SecurityMode);
            parameters.AddWithValue($"@x{i}", first.Push.RawXml);
            parameters.AddWithValue($"@st{i}", push is UnparsedPush ? PushStatus.Unparsed : PushStatus.Recorded);
            parameters.AddWithValue($"@p{i}", push is UnparsedPush unparsed ? Truncate(unparsed.Problem, 500) : null);
            parameters.AddWithValue($"@r{i}", first.Push.ReplyXml);
            parameters.AddWithValue($"@d{i}", rows[i].Count);
            parameters.AddWithValue($"@u{i}", first.Push.HeldForAnswer ? now + HoldForAnswer : null);
        }

        // An existing row is a retry: it keeps its answer and counts the delivery. After this statement a row we
        // inserted has exactly the deliveries we gave it, and an older one more (it had at least one).
        sql.Append("\nON DUPLICATE KEY UPDATE deliveries = deliveries + VALUES(deliveries);\n");
        command.Parameters.AddWithValue("@now", now);
        var byApp = rows.Select((r, i) => (r[0].Push.AppId, i)).GroupBy(r => r.AppId).ToList();
        foreach (var app in byApp)
        {
            var index = app.First().i;
            sql.Append($"SELECT id, dedup_hash, deliveries, reply_xml FROM wechat_push WHERE app_id = @a{index} AND dedup_hash IN (")
                .AppendJoin(", ", app.Select(r => $"@h{r.i}"))
                .Append(");\n");
        }

        command.CommandText = sql.ToString();
        var deliveriesOf = rows.ToDictionary(r => Convert.ToHexString(r[0].Hash), r => r.Count);
        var stored = new Dictionary<string, RecordedPush>(rows.Count);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
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

        if (stored.Count != rows.Count)
        {
            throw new InvalidOperationException($"Recorded {rows.Count} pushes but read back {stored.Count}.");
        }

        await transaction.CommitAsync(ct);
        return stored;
    }

    private static void Release(List<List<Pending>> rows, Dictionary<string, RecordedPush> stored)
    {
        foreach (var row in rows)
        {
            var recorded = stored[Convert.ToHexString(row[0].Hash)];
            row[0].Done.TrySetResult(recorded);
            foreach (var duplicate in row.Skip(1))
            {
                duplicate.Done.TrySetResult(recorded with { IsNew = false });
            }
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

    private static byte[] DedupHash(PushToRecord push) => SHA256.HashData(Encoding.UTF8.GetBytes(push.Push.DeduplicationKey));

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    private sealed record Pending(PushToRecord Push, byte[] Hash)
    {
        public TaskCompletionSource<RecordedPush> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
