using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Processing;

namespace WechatGateway.Push;

/// <summary>
/// The entry to the send queue: a send is a row in <c>outbound_send</c>, written inside the caller's transaction, so it
/// exists exactly when the work that caused it commits. Redis is not touched here: when Redis is down the send waits in
/// MySQL as <c>pending</c> and the <see cref="SendRelay"/> moves it to the stream once Redis answers again.
/// </summary>
public sealed class SendOutbox(RelaySignal signal, TimeProvider time)
{
    private const int MaxSourceKeyLength = 191;

    // INSERT IGNORE would also swallow a value that does not fit a column; Validate rules those out first, so a row
    // not inserted means only one thing: its source key is taken.
    private const string InsertInto = "INSERT IGNORE INTO outbound_send (app_id, to_user, member_id, kind, body, fallback_body, source_key, status, created_at) VALUES ";

    /// <summary>
    /// Erasure (<see cref="Members.MemberTables"/>): the rendered bodies go (they may hold the nickname and the follower's
    /// own words), and sends not made yet are cancelled rather than sent with an empty body.
    /// </summary>
    public static readonly Members.MemberSql EraseBodies = new("""
        UPDATE outbound_send
        SET last_error = IF(status IN @unsent, @reason, last_error),
            status = IF(status IN @unsent, @cancelled, status),
            body = JSON_OBJECT(), fallback_body = NULL
        WHERE member_id = @memberId
        """, new { unsent = SendStatus.Unsent, cancelled = SendStatus.Cancelled, reason = "cancelled: the member's personal data was erased" });

    // Rows per INSERT statement in AddAsync of many: a few hundred keeps a statement well under max_allowed_packet.
    private const int RowsPerStatement = 200;

    /// <summary>
    /// Adds a send unless one with the same <see cref="OutboundMessage.SourceKey"/> was added before (INSERT IGNORE on the
    /// unique key). Returns the new send id, or null when that source key was already added.
    /// </summary>
    /// <exception cref="ArgumentException">A body that is not a JSON object, or a field longer than its column.</exception>
    public async Task<ulong?> AddAsync(MySqlConnection connection, MySqlTransaction transaction, OutboundMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(message);
        Validate(message);
        var parameters = new DynamicParameters();
        var sql = InsertInto + Row(parameters, 0, message, time.GetUtcNow().UtcDateTime) + "; SELECT IF(ROW_COUNT() > 0, LAST_INSERT_ID(), NULL);";
        var id = await connection.ExecuteScalarAsync<ulong?>(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
        if (id is not null)
        {
            // The caller has not committed yet: the relay looks now and again shortly after (see SendRelay).
            signal.Notify();
        }

        return id;
    }

    /// <summary>
    /// Adds a send to the push-processing batch's (a handler's reply): validated now, written with the batch's other
    /// sends in multi-row INSERTs just before the batch commits (<see cref="PushBatch.Defer{T}"/>), and the relay woken
    /// after the commit. A source key added before is skipped, as in the other overloads.
    /// </summary>
    /// <exception cref="ArgumentException">A body that is not a JSON object, or a field longer than its column.</exception>
    public void Add(PushBatch batch, OutboundMessage message)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(message);
        Validate(message);
        // The relay is woken once, after the commit: woken at the write it would find the rows still uncommitted and
        // poll again and again until the commit (SendRelay's after-wake looks).
        batch.Defer(this, message, InsertAsync);
        batch.AfterCommit(Committed);
    }

    /// <summary>
    /// Wakes the relay in this process: for a caller to call once the transaction that added sends has committed, so
    /// they go out now rather than at the relay's next poll.
    /// </summary>
    public void Committed() => signal.Notify();

    /// <summary>
    /// Adds several sends in the caller's transaction with multi-row INSERTs (one round trip per
    /// <see cref="RowsPerStatement"/> sends instead of one per send); a source key added before is skipped, as in the
    /// single <see cref="AddAsync(MySqlConnection, MySqlTransaction, OutboundMessage, CancellationToken)"/>. Returns how
    /// many sends are new. Every message is validated before anything is written.
    /// </summary>
    /// <exception cref="ArgumentException">A body that is not a JSON object, or a field longer than its column.</exception>
    public async Task<int> AddAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<OutboundMessage> messages, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            Validate(message);
        }

        var added = await InsertAsync(messages, connection, transaction, ct);
        if (added > 0)
        {
            // The caller has not committed yet: the relay looks now and again shortly after (see SendRelay).
            signal.Notify();
        }

        return added;
    }

    private async Task<int> InsertAsync(IReadOnlyList<OutboundMessage> messages, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var added = 0;
        foreach (var chunk in messages.Chunk(RowsPerStatement))
        {
            var parameters = new DynamicParameters();
            var sql = InsertInto + string.Join(", ", chunk.Select((m, i) => Row(parameters, i, m, now)));
            added += await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
        }

        return added;
    }

    /// <summary>The VALUES tuple of row <paramref name="i"/> of a statement, its values added to <paramref name="parameters"/>.</summary>
    private static string Row(DynamicParameters parameters, int i, OutboundMessage message, DateTime now)
    {
        parameters.Add($"a{i}", message.AppId);
        parameters.Add($"u{i}", message.ToUser);
        parameters.Add($"m{i}", message.MemberId);
        parameters.Add($"k{i}", SendStatus.Of(message.Kind));
        parameters.Add($"b{i}", message.Body);
        parameters.Add($"f{i}", message.FallbackBody);
        parameters.Add($"s{i}", message.SourceKey);
        parameters.Add($"t{i}", now);
        parameters.Add("pending", SendStatus.Pending);
        return $"(@a{i}, @u{i}, @m{i}, @k{i}, @b{i}, @f{i}, @s{i}, @pending, @t{i})";
    }

    private static void Validate(OutboundMessage message)
    {
        ArgumentException.ThrowIfNullOrEmpty(message.AppId);
        ArgumentException.ThrowIfNullOrEmpty(message.ToUser);
        ArgumentException.ThrowIfNullOrEmpty(message.SourceKey);
        if (message.AppId.Length > 64 || message.ToUser.Length > 128)
        {
            throw new ArgumentException("AppId is at most 64 characters and ToUser at most 128.", nameof(message));
        }

        if (message.SourceKey.Length > MaxSourceKeyLength)
        {
            throw new ArgumentException($"SourceKey is at most {MaxSourceKeyLength} characters.", nameof(message));
        }

        RequireObject(message.Body, nameof(OutboundMessage.Body));
        if (message.FallbackBody is not null)
        {
            if (message.Kind != SendKind.Custom)
            {
                throw new ArgumentException("Only a customer-service send has a fallback: it is what WeChat refuses outside the 48-hour window.", nameof(message));
            }

            RequireObject(message.FallbackBody, nameof(OutboundMessage.FallbackBody));
        }
    }

    private static void RequireObject(string json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"{name} must be a JSON object (WeChat's request body).", name);
            }
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{name} is not valid JSON: {e.Message}", name, e);
        }
    }
}
