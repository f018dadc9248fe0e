using System.Security.Cryptography;
using System.Text;
using Dapper;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Campaigns;

/// <summary>A template the member answered in a subscribe popup or the mini-program's wx.requestSubscribeMessage.</summary>
/// <param name="Status"><c>accept</c> grants one send; <c>reject</c> (or <c>ban</c>) withdraws the unspent consents.</param>
public sealed record ConsentChoice(string TemplateId, string Status);

/// <summary>
/// One-time subscribe consents (一次性订阅消息): every "accept" lets the account send that template to that user once.
/// Granted from pushes and from the mini-program, spent by the subscribe channel in its batch's transaction, one per
/// send, keyed by the send's source key so one send never spends two.
/// </summary>
public sealed class SubscribeConsents
{
    public const string Accept = "accept";

    /// <summary>Erasure: consents are not personal data beyond the OpenID, but a member who asked to be forgotten gets no more sends.</summary>
    public static readonly Members.MemberSql EraseConsents = new("""
        UPDATE subscribe_consent SET withdrawn_at = COALESCE(withdrawn_at, UTC_TIMESTAMP(6)) WHERE member_id = @memberId AND spent_by IS NULL
        """);

    /// <summary>Merge: the survivor may use the absorbed member's consents (they name the OpenID they were given on).</summary>
    public const string MergeConsents = "UPDATE subscribe_consent SET member_id = @into WHERE member_id = @from";

    /// <summary>
    /// Records a user's choices: one consent per accepted template (once per <paramref name="sourceKey"/> and template,
    /// so a retried push or request grants once); a rejection withdraws the unspent consents of that template.
    /// </summary>
    /// <returns>How many consents were granted.</returns>
    public async Task<int> RecordAsync(MySqlConnection connection, MySqlTransaction? transaction,
        string appId, string openId, ulong memberId, IReadOnlyList<ConsentChoice> choices, string sourceKey, DateTime now, CancellationToken ct)
    {
        const string grant = """
            INSERT IGNORE INTO subscribe_consent (app_id, open_id, member_id, template_id, source_key, granted_at)
            VALUES (@appId, @openId, @memberId, @templateId, @key, @now)
            """;
        const string withdraw = """
            UPDATE subscribe_consent SET withdrawn_at = @now
            WHERE app_id = @appId AND open_id = @openId AND template_id = @templateId AND spent_by IS NULL AND withdrawn_at IS NULL
            """;
        var granted = 0;
        foreach (var choice in choices.Where(c => c.TemplateId.Length is > 0 and <= 128))
        {
            var accepted = string.Equals(choice.Status, Accept, StringComparison.OrdinalIgnoreCase);
            var parameters = new { appId, openId, memberId, templateId = choice.TemplateId, key = $"{sourceKey}:{choice.TemplateId}", now };
            var changed = await connection.ExecuteAsync(new CommandDefinition(accepted ? grant : withdraw, parameters, transaction, cancellationToken: ct));
            if (accepted)
            {
                granted += changed;
            }
        }

        return granted;
    }

    /// <summary>
    /// How long an identical result from one member counts as a retry of the same request when the mini-program sends
    /// no Idempotency-Key (wx.request retried on a flaky network, a page re-sending on show).
    /// </summary>
    public static readonly TimeSpan RetryWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The source key of a request without Idempotency-Key: the member, a hash of the choices (template ids and
    /// results, in any order) and the <see cref="RetryWindow"/> it falls in, or the previous window when that one granted
    /// the same choices less than a window ago (a retry across the boundary). Two identical popups accepted within the
    /// window grant once: one send fewer than the user allowed, never one more.
    /// </summary>
    public static async Task<string> DerivedSourceAsync(MySqlConnection connection, ulong memberId, IReadOnlyList<ConsentChoice> choices, DateTime now, CancellationToken ct)
    {
        var body = string.Join("\n", choices.Select(c => $"{c.TemplateId}={c.Status.ToLowerInvariant()}").Order(StringComparer.Ordinal));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..16];
        var window = new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc)).ToUnixTimeSeconds() / (long)RetryWindow.TotalSeconds;
        string Key(long w) => $"mp-auto:{memberId}:{hash}:{w}";
        if (choices.FirstOrDefault(c => string.Equals(c.Status, Accept, StringComparison.OrdinalIgnoreCase)) is not { } accepted)
        {
            return Key(window);
        }

        const string sql = "SELECT COUNT(*) FROM subscribe_consent WHERE source_key = @key AND granted_at >= @since";
        var previous = Key(window - 1);
        var recent = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            sql, new { key = $"{previous}:{accepted.TemplateId}", since = now - RetryWindow }, cancellationToken: ct));
        return recent > 0 ? previous : Key(window);
    }

    /// <summary>Spends one unspent consent for the send <paramref name="spentBy"/>; false when there is none left.</summary>
    public async Task<bool> SpendAsync(MySqlConnection connection, MySqlTransaction transaction,
        string appId, string openId, string templateId, string spentBy, DateTime now, CancellationToken ct)
    {
        // The oldest first; spent_by is unique, so a send that was already paid for (its batch retried) cannot pay twice.
        const string sql = """
            UPDATE IGNORE subscribe_consent SET spent_by = @spentBy, spent_at = @now
            WHERE app_id = @appId AND open_id = @openId AND template_id = @templateId AND spent_by IS NULL AND withdrawn_at IS NULL
            ORDER BY id LIMIT 1
            """;
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { appId, openId, templateId, spentBy, now }, transaction, cancellationToken: ct)) == 1;
    }

    /// <summary>A member's unspent consents per template (the member detail and the mini-program show them).</summary>
    public async Task<IReadOnlyDictionary<string, int>> AvailableAsync(MySqlConnection connection, string appId, string openId, CancellationToken ct)
    {
        const string sql = """
            SELECT template_id AS TemplateId, COUNT(*) AS Count FROM subscribe_consent
            WHERE app_id = @appId AND open_id = @openId AND spent_by IS NULL AND withdrawn_at IS NULL
            GROUP BY template_id
            """;
        var rows = await connection.QueryAsync<(string TemplateId, long Count)>(new CommandDefinition(sql, new { appId, openId }, cancellationToken: ct));
        return rows.ToDictionary(r => r.TemplateId, r => (int)r.Count, StringComparer.Ordinal);
    }
}

/// <summary>
/// Records the consents WeChat pushes: <c>subscribe_msg_popup_event</c> (the user's choices in a popup) and
/// <c>subscribe_msg_change_event</c> (a change in the message settings). Keyed by the push, so a retry grants once.
/// </summary>
public sealed class ConsentPushHandler(SubscribeConsents consents) : IPushHandler
{
    public string Name => "subscribe-consents";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        IReadOnlyList<SubscribeMessageChoice>? choices = work.Push switch
        {
            SubscribeMessagePopupEvent popup => popup.Choices,
            SubscribeMessageChangeEvent change => change.Choices,
            _ => null,
        };
        if (choices is not { Count: > 0 })
        {
            return;
        }

        await consents.RecordAsync(connection, transaction, work.Account.AppId, work.Push.FromUserName, work.MemberId,
            [.. choices.Select(c => new ConsentChoice(c.TemplateId, c.SubscribeStatus))], $"push:{work.PushId}", work.ReceivedAt, ct);
    }
}
