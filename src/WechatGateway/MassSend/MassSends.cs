using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Api;

namespace WechatGateway.MassSend;

/// <summary>The states of a mass send and of each of its calls, as stored.</summary>
public static class MassSendState
{
    public const string Pending = "pending";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";
}

/// <summary>Who a mass send goes to: every follower, the followers with a mirrored tag, or an OpenID list.</summary>
public static class MassTarget
{
    public const string All = "all";
    public const string Tag = "tag";
    public const string OpenIds = "openids";
}

/// <summary>Why a mass send, or a follower of one, is refused before anything is sent.</summary>
public static class MassRefusals
{
    /// <summary>A service account's follower receives at most four mass sends a month: the follower is skipped.</summary>
    public const string MonthlyLimit = "monthly-limit";

    /// <summary>A subscription account mass sends once a day.</summary>
    public const string DailyLimit = "daily-limit";

    /// <summary>A mass send by tag needs a tag mirrored on the account (a tag only WeChat knows reaches people no segment describes).</summary>
    public const string TagNotMirrored = "tag-not-mirrored";

    /// <summary>Only a service account may mass send to an OpenID list (message/mass/send).</summary>
    public const string ServiceAccountsOnly = "service-accounts-only";

    /// <summary>WeChat's message/mass/send needs at least two followers.</summary>
    public const string TooFewRecipients = "too-few-recipients";
}

/// <summary>A mass send asked for: where it goes and what it says.</summary>
/// <param name="SourceKey">The caller's idempotency key: the same key plans nothing a second time.</param>
public sealed record MassSendRequest(string AppId, string SourceKey, string Target, string? Tag, IReadOnlyList<string>? OpenIds, MassMessage Message, string? CreatedBy);

/// <summary>The plan of a mass send: its id, followers addressed, skipped for the monthly limit, calls to make; or why it was refused.</summary>
public sealed record MassSendPlan(ulong Id, int Addressed, int SkippedMonthly, int Calls, bool Repeated, string? Refused = null);

/// <summary>One call of a mass send as the admin API shows it: our side and WeChat's totals.</summary>
public sealed record MassSendCallView(int Seq, string ClientMsgId, int Recipients, string State, int Attempts, long? MsgId, int? Errcode, DateTime? SentAt,
    string? WechatStatus, int? TotalCount, int? FilterCount, int? SentCount, int? ErrorCount, DateTime? ReportedAt, DateTime? PolledAt);

public sealed record MassSendView(ulong Id, string AppId, string SourceKey, string Target, int? TagId, string State, int Addressed, int SkippedMonthly,
    string? CreatedBy, DateTime CreatedAt, IReadOnlyList<MassSendCallView> Calls);

/// <summary>
/// A mass send's state beside WeChat's totals over its calls (null until a report or poll gives them): TotalCount
/// addressed, FilterCount after WeChat's filtering (its monthly limit, unfollows), SentCount and ErrorCount.
/// </summary>
public sealed class MassSendReport
{
    public ulong MassSendId { get; init; }

    public string State { get; init; } = "";

    public int Addressed { get; init; }

    public int SkippedMonthly { get; init; }

    public int Calls { get; init; }

    public int Reported { get; init; }

    public int? TotalCount { get; init; }

    public int? FilterCount { get; init; }

    public int? SentCount { get; init; }

    public int? ErrorCount { get; init; }
}

/// <summary>What WeChat allows this account now, shown before a send.</summary>
public sealed record MassSendLimits(string ServiceType, int? DailyLimit, int SentToday, int MonthlyPerFollower, int FollowersAtMonthlyLimit, int CallsPerMinute);

/// <summary>
/// Mass sends (群发) of official accounts, planned in one transaction and sent by <see cref="MassSendJob"/>. WeChat's
/// limits are kept before anything is sent: a subscription account sends once a day; a service account's follower
/// receives at most four a month (members at four are skipped and counted); an OpenID list call holds 2 to 10,000
/// followers; a tag must be mirrored. A campaign run plans its frozen audience as an OpenID list with the run as the
/// source key, so a retried run plans nothing twice.
/// </summary>
public sealed class MassSends(MySqlDataSource dataSource, AccountRegistry accounts, TimeProvider time)
{
    public const int MonthlyPerFollower = 4;

    public const int CallsPerMinute = 60;

    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    public async Task<MassSendPlan> PlanAsync(MassSendRequest request, CancellationToken ct)
    {
        var subscription = IsSubscription(request.AppId);
        if (subscription && request.Target == MassTarget.OpenIds)
        {
            return Refused(MassRefusals.ServiceAccountsOnly);
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        var existing = await connection.QuerySingleOrDefaultAsync<(ulong Id, int Addressed, int Skipped)?>(new CommandDefinition(
            "SELECT id, addressed, skipped_monthly FROM mass_send WHERE app_id = @AppId AND source_key = @SourceKey FOR UPDATE", request, transaction, cancellationToken: ct));
        if (existing is { } repeat)
        {
            var calls = await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM mass_send_call WHERE mass_send_id = @Id", new { repeat.Id }, transaction, cancellationToken: ct));
            return new MassSendPlan(repeat.Id, repeat.Addressed, repeat.Skipped, calls, Repeated: true);
        }

        var now = time.GetUtcNow();
        var day = DateOnly.FromDateTime(now.ToOffset(Beijing).DateTime);
        // The account's row lock of sorts: mass sends of one account are planned one at a time, so two plans cannot both take the day's one send.
        await connection.ExecuteAsync(new CommandDefinition("SELECT id FROM mass_send WHERE app_id = @AppId AND local_day = @day FOR UPDATE",
            new { request.AppId, day = day.ToDateTime(TimeOnly.MinValue) }, transaction, cancellationToken: ct));
        if (subscription && await SentOnAsync(connection, transaction, request.AppId, day, ct) > 0)
        {
            return Refused(MassRefusals.DailyLimit);
        }

        int? tagId = null;
        if (request.Target == MassTarget.Tag)
        {
            tagId = await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
                "SELECT tag_id FROM wechat_tag_mirror WHERE app_id = @AppId AND tag = @Tag", request, transaction, cancellationToken: ct));
            if (tagId is null)
            {
                return Refused(MassRefusals.TagNotMirrored);
            }
        }

        var addressed = 0;
        var skipped = 0;
        var chunks = new List<string[]?>();
        if (request.Target == MassTarget.OpenIds)
        {
            var openIds = (request.OpenIds ?? []).Where(o => o.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            addressed = openIds.Count;
            var eligible = await TakeMonthlyAsync(connection, transaction, request.AppId, openIds, now, ct);
            skipped = addressed - eligible.Count;
            if (eligible.Count < 2)
            {
                await transaction.RollbackAsync(ct);
                return Refused(eligible.Count == 0 && addressed > 0 ? MassRefusals.MonthlyLimit : MassRefusals.TooFewRecipients);
            }

            chunks.AddRange(Split(eligible));
        }
        else
        {
            chunks.Add(null);
        }

        const string insert = """
            INSERT INTO mass_send (app_id, source_key, target, tag_id, message_json, state, addressed, skipped_monthly, created_by, created_at, local_day)
            VALUES (@AppId, @SourceKey, @Target, @tagId, @message, @sending, @addressed, @skipped, @CreatedBy, @now, @day);
            SELECT LAST_INSERT_ID();
            """;
        var id = await connection.QuerySingleAsync<ulong>(new CommandDefinition(insert, new
        {
            request.AppId, request.SourceKey, request.Target, tagId, message = JsonSerializer.Serialize(request.Message), sending = MassSendState.Sending,
            addressed, skipped, request.CreatedBy, now = now.UtcDateTime, day = day.ToDateTime(TimeOnly.MinValue),
        }, transaction, cancellationToken: ct));
        const string call = """
            INSERT INTO mass_send_call (mass_send_id, seq, client_msg_id, open_ids, recipients, state, next_attempt_at)
            VALUES (@id, @seq, @clientMsgId, @openIds, @recipients, @pending, @now)
            """;
        await connection.ExecuteAsync(new CommandDefinition(call, chunks.Select((c, seq) => new
        {
            id, seq, clientMsgId = ClientMsgId(request.AppId, request.SourceKey, seq), openIds = c is null ? null : JsonSerializer.Serialize(c),
            recipients = c?.Length ?? 0, pending = MassSendState.Pending, now = now.UtcDateTime,
        }), transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return new MassSendPlan(id, addressed, skipped, chunks.Count, Repeated: false);
    }

    public async Task<MassSendView?> GetAsync(string appId, ulong id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var head = await connection.QuerySingleOrDefaultAsync<(ulong Id, string AppId, string SourceKey, string Target, int? TagId, string State, int Addressed, int SkippedMonthly, string? CreatedBy, DateTime CreatedAt)?>(
            new CommandDefinition("SELECT id, app_id, source_key, target, tag_id, state, addressed, skipped_monthly, created_by, created_at FROM mass_send WHERE id = @id AND app_id = @appId", new { id, appId }, cancellationToken: ct));
        if (head is not { } h)
        {
            return null;
        }

        const string calls = """
            SELECT seq AS Seq, client_msg_id AS ClientMsgId, recipients AS Recipients, state AS State, attempts AS Attempts, msg_id AS MsgId, errcode AS Errcode,
                   sent_at AS SentAt, wechat_status AS WechatStatus, total_count AS TotalCount, filter_count AS FilterCount, sent_count AS SentCount,
                   error_count AS ErrorCount, reported_at AS ReportedAt, polled_at AS PolledAt
            FROM mass_send_call WHERE mass_send_id = @id ORDER BY seq
            """;
        var list = (await connection.QueryAsync<MassSendCallView>(new CommandDefinition(calls, new { id }, cancellationToken: ct))).AsList();
        return new MassSendView(h.Id, h.AppId, h.SourceKey, h.Target, h.TagId, h.State, h.Addressed, h.SkippedMonthly, h.CreatedBy, h.CreatedAt, list);
    }

    /// <summary>The account's limits now: a subscription account's sends today; a service account's followers who had their four this month.</summary>
    public async Task<MassSendLimits> LimitsAsync(string appId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var sentToday = await SentOnAsync(connection, null, appId, DateOnly.FromDateTime(now.ToOffset(Beijing).DateTime), ct);
        var atLimit = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM mass_send_receipt WHERE app_id = @appId AND month = @month AND received >= @MonthlyPerFollower",
            new { appId, month = MonthOf(now), MonthlyPerFollower }, cancellationToken: ct));
        var subscription = IsSubscription(appId);
        return new MassSendLimits(subscription ? "Subscription" : "Service", subscription ? 1 : null, sentToday, MonthlyPerFollower, atLimit, CallsPerMinute);
    }

    public bool IsSubscription(string appId) => accounts.Find(appId)?.Options.ServiceType == OfficialAccountServiceType.Subscription;

    /// <summary>
    /// The followers of <paramref name="openIds"/> who may receive one more mass send this month, each counted now in
    /// the plan's transaction (a subscription account's followers have no monthly limit).
    /// </summary>
    private async Task<List<string>> TakeMonthlyAsync(MySqlConnection connection, MySqlTransaction transaction, string appId, List<string> openIds, DateTimeOffset now, CancellationToken ct)
    {
        var month = MonthOf(now);
        var full = await AtMonthlyLimitAsync(connection, transaction, appId, openIds, now, forUpdate: true, ct);
        var eligible = openIds.Where(o => !full.Contains(o)).ToList();
        foreach (var chunk in eligible.Chunk(500))
        {
            var values = string.Join(",", chunk.Select((_, i) => $"(@appId, @o{i}, @month, 1)"));
            var parameters = new DynamicParameters(new { appId, month });
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"o{i}", chunk[i]);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO mass_send_receipt (app_id, open_id, month, received) VALUES {values} ON DUPLICATE KEY UPDATE received = received + 1",
                parameters, transaction, cancellationToken: ct));
        }

        return eligible;
    }

    /// <summary>
    /// The followers of <paramref name="openIds"/> who have had their four mass sends this month (Beijing time), read
    /// in the caller's transaction (locked when <paramref name="forUpdate"/>: the plan counts them next).
    /// </summary>
    public static async Task<HashSet<string>> AtMonthlyLimitAsync(
        MySqlConnection connection, MySqlTransaction transaction, string appId, IReadOnlyCollection<string> openIds, DateTimeOffset now, bool forUpdate, CancellationToken ct)
    {
        var sql = "SELECT open_id FROM mass_send_receipt WHERE app_id = @appId AND month = @month AND open_id IN @chunk AND received >= @MonthlyPerFollower"
            + (forUpdate ? " FOR UPDATE" : "");
        var full = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in openIds.Chunk(1000))
        {
            full.UnionWith(await connection.QueryAsync<string>(new CommandDefinition(sql, new { appId, month = MonthOf(now), chunk, MonthlyPerFollower }, transaction, cancellationToken: ct)));
        }

        return full;
    }

    /// <summary>One call's outcome and the followers it addressed (null for a send to all or to a tag).</summary>
    public sealed record CallOutcome(string State, int? Errcode, string[]? OpenIds);

    /// <summary>The mass send planned under <paramref name="sourceKey"/>: its state and calls, or null when none was planned.</summary>
    public async Task<(ulong Id, string State, IReadOnlyList<CallOutcome> Calls)?> OutcomeAsync(string appId, string sourceKey, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var head = await connection.QuerySingleOrDefaultAsync<(ulong Id, string State)?>(new CommandDefinition(
            "SELECT id, state FROM mass_send WHERE app_id = @appId AND source_key = @sourceKey", new { appId, sourceKey }, cancellationToken: ct));
        if (head is not { } h)
        {
            return null;
        }

        var rows = await connection.QueryAsync<(string State, int? Errcode, string? OpenIds)>(new CommandDefinition(
            "SELECT state, errcode, open_ids FROM mass_send_call WHERE mass_send_id = @Id ORDER BY seq", new { h.Id }, cancellationToken: ct));
        return (h.Id, h.State, [.. rows.Select(r => new CallOutcome(r.State, r.Errcode, r.OpenIds is null ? null : JsonSerializer.Deserialize<string[]>(r.OpenIds)))]);
    }

    /// <summary>WeChat's totals of the mass send planned under <paramref name="sourceKey"/>, summed over its calls (MASSSENDJOBFINISH or message/mass/get).</summary>
    public async Task<MassSendReport?> ReportAsync(string appId, string sourceKey, CancellationToken ct)
    {
        const string sql = """
            SELECT m.id AS MassSendId, m.state AS State, m.addressed AS Addressed, m.skipped_monthly AS SkippedMonthly, COUNT(c.id) AS Calls,
                   CAST(SUM(c.reported_at IS NOT NULL) AS SIGNED) AS Reported, CAST(SUM(c.total_count) AS SIGNED) AS TotalCount,
                   CAST(SUM(c.filter_count) AS SIGNED) AS FilterCount, CAST(SUM(c.sent_count) AS SIGNED) AS SentCount, CAST(SUM(c.error_count) AS SIGNED) AS ErrorCount
            FROM mass_send m LEFT JOIN mass_send_call c ON c.mass_send_id = m.id
            WHERE m.app_id = @appId AND m.source_key = @sourceKey
            GROUP BY m.id, m.state, m.addressed, m.skipped_monthly
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<MassSendReport>(new CommandDefinition(sql, new { appId, sourceKey }, cancellationToken: ct));
    }

    private static Task<int> SentOnAsync(MySqlConnection connection, MySqlTransaction? transaction, string appId, DateOnly day, CancellationToken ct) =>
        connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM mass_send WHERE app_id = @appId AND local_day = @day AND state <> @failed AND target <> @openIds",
            new { appId, day = day.ToDateTime(TimeOnly.MinValue), failed = MassSendState.Failed, openIds = MassTarget.OpenIds }, transaction, cancellationToken: ct));

    /// <summary>OpenID lists of at most 10,000, as even as can be (so none is left with the single OpenID WeChat refuses).</summary>
    private static IEnumerable<string[]> Split(List<string> openIds)
    {
        var calls = (openIds.Count + WechatApiClient.MassSendMaxOpenIds - 1) / WechatApiClient.MassSendMaxOpenIds;
        var size = (openIds.Count + calls - 1) / calls;
        return openIds.Chunk(size);
    }

    /// <summary>The call's clientmsgid (at most 64 characters): the same for every attempt of the call, different for every call.</summary>
    public static string ClientMsgId(string appId, string sourceKey, int seq) =>
        "wg" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{appId}\n{sourceKey}\n{seq}")))[..40];

    private static int MonthOf(DateTimeOffset now)
    {
        var local = now.ToOffset(Beijing);
        return local.Year * 100 + local.Month;
    }

    private static MassSendPlan Refused(string reason) => new(0, 0, 0, 0, false, reason);
}
