using System.Text.Json;
using Dapper;
using MySqlConnector;

namespace WechatGateway.Push;

/// <summary>
/// The entry to the send queue: a send is a row in <c>outbound_send</c>, written inside the caller's transaction, so it
/// exists exactly when the work that caused it commits. Redis is not touched here: when Redis is down the send waits in
/// MySQL as <c>pending</c> and the <see cref="SendRelay"/> moves it to the stream once Redis answers again.
/// </summary>
public sealed class SendOutbox(RelaySignal signal, TimeProvider time)
{
    private const int MaxSourceKeyLength = 191;

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

        // IGNORE would also swallow a value that does not fit a column; Validate rules those out first, so a null
        // here means only one thing: the source key is taken.
        const string sql = """
            INSERT IGNORE INTO outbound_send (app_id, to_user, member_id, kind, body, fallback_body, source_key, status, created_at)
            VALUES (@AppId, @ToUser, @MemberId, @kind, @Body, @FallbackBody, @SourceKey, @pending, @now);
            SELECT IF(ROW_COUNT() > 0, LAST_INSERT_ID(), NULL);
            """;
        var id = await connection.ExecuteScalarAsync<ulong?>(new CommandDefinition(sql, new
        {
            message.AppId,
            message.ToUser,
            message.MemberId,
            kind = SendStatus.Of(message.Kind),
            message.Body,
            message.FallbackBody,
            message.SourceKey,
            pending = SendStatus.Pending,
            now = time.GetUtcNow().UtcDateTime,
        }, transaction, cancellationToken: ct));

        // The caller has not committed yet: the relay looks now and again shortly after (see SendRelay).
        if (id is not null)
        {
            signal.Notify();
        }

        return id;
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
