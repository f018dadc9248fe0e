using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace WechatGateway.Feedback;

public static class SurveyStatus
{
    /// <summary>Waiting for its due time.</summary>
    public const string Scheduled = "scheduled";

    /// <summary>Added to the send queue (<c>feedback_survey.send_id</c>); the queue reports delivery.</summary>
    public const string Queued = "queued";

    /// <summary>Not sent; <c>reason</c> says why (surveys off, too late, WeChat's channel rules).</summary>
    public const string Skipped = "skipped";
}

/// <summary>A survey-after setting: <see cref="AppId"/> null for every account, <see cref="StoreId"/> null for every store; <see cref="SurveyAfter"/> null: no survey.</summary>
public sealed record SurveySetting(string? AppId, long? StoreId, TimeSpan? SurveyAfter, DateTime UpdatedAt, string UpdatedBy);

/// <summary>
/// Schedules the survey of an order when the order gets its member (at import, or later when the matching job finds
/// the member), in that same transaction, so every matched order has exactly one survey row. The delay is the most
/// specific <c>feedback_setting</c>: the order's store and account, the store, the account, every store and account,
/// then <see cref="FeedbackOptions.SurveyAfterHours"/>.
/// </summary>
public sealed class FeedbackSurveys(IOptions<FeedbackOptions> options)
{
    public async Task ScheduleAsync(MySqlConnection c, MySqlTransaction t, ulong orderId, ulong memberId, DateTime now, CancellationToken ct)
    {
        const string orderSql = "SELECT app_id AS AppId, store_id AS StoreId, paid_at AS PaidAt FROM shop_order WHERE id = @orderId";
        var order = await c.QuerySingleAsync<(string? AppId, ulong? StoreId, DateTime PaidAt)>(new CommandDefinition(orderSql, new { orderId }, t, cancellationToken: ct));
        const string settingSql = """
            SELECT survey_after_seconds AS Seconds FROM feedback_setting
            WHERE app_id IN ('', @appId) AND store_id IN (0, @storeId)
            ORDER BY store_id <> 0 DESC, app_id <> '' DESC LIMIT 1
            """;
        var setting = await c.QuerySingleOrDefaultAsync<SettingRow>(new CommandDefinition(
            settingSql, new { appId = order.AppId ?? "", storeId = order.StoreId ?? 0 }, t, cancellationToken: ct));

        // No row: the configured default; a row without seconds: surveys off there.
        var after = setting is null ? TimeSpan.FromHours(options.Value.SurveyAfterHours) : setting.Seconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var due = after is { } delay ? order.PaidAt + delay : now;
        var (status, reason) = after is null
            ? (SurveyStatus.Skipped, "surveys are off for this store or account")
            : due < now - TimeSpan.FromDays(options.Value.SurveyMaxLatenessDays)
                ? (SurveyStatus.Skipped, "the order was imported too long after its survey fell due (Feedback:SurveyMaxLatenessDays)")
                : (SurveyStatus.Scheduled, null);

        const string insert = """
            INSERT IGNORE INTO feedback_survey (order_id, member_id, store_id, due_at, status, reason, created_at, decided_at)
            VALUES (@orderId, @memberId, @StoreId, @due, @status, @reason, @now, @decided)
            """;
        await c.ExecuteAsync(new CommandDefinition(insert, new
        {
            orderId, memberId, order.StoreId, due = due < now ? now : due, status, reason, now, decided = status == SurveyStatus.Skipped ? now : (DateTime?)null,
        }, t, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<SurveySetting>> ListSettingsAsync(MySqlConnection c, IReadOnlyList<long>? stores, CancellationToken ct)
    {
        var sql = $"""
            SELECT NULLIF(app_id, '') AS AppId, NULLIF(store_id, 0) AS StoreId, survey_after_seconds AS Seconds, updated_at AS UpdatedAt, updated_by AS UpdatedBy
            FROM feedback_setting {(stores is null ? "" : "WHERE store_id IN @stores")} ORDER BY app_id, store_id
            """;
        var rows = await c.QueryAsync<(string? AppId, ulong? StoreId, int? Seconds, DateTime UpdatedAt, string UpdatedBy)>(new CommandDefinition(sql, new { stores }, cancellationToken: ct));
        return [.. rows.Select(r => new SurveySetting(r.AppId, (long?)r.StoreId, r.Seconds is { } s ? TimeSpan.FromSeconds(s) : null, r.UpdatedAt, r.UpdatedBy))];
    }

    public static async Task SaveSettingAsync(MySqlConnection c, string? appId, long? storeId, TimeSpan? surveyAfter, string actor, DateTime now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO feedback_setting (app_id, store_id, survey_after_seconds, updated_at, updated_by) VALUES (@appId, @storeId, @seconds, @now, @actor)
            ON DUPLICATE KEY UPDATE survey_after_seconds = VALUES(survey_after_seconds), updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)
            """;
        await c.ExecuteAsync(new CommandDefinition(sql, new { appId = appId ?? "", storeId = storeId ?? 0, seconds = (int?)surveyAfter?.TotalSeconds, now, actor }, cancellationToken: ct));
    }

    private sealed class SettingRow
    {
        public int? Seconds { get; init; }
    }
}
