using Dapper;
using MySqlConnector;

namespace WechatGateway.Points;

/// <summary>What earns points. <c>admin</c> rules are labels for manual adjustments; they never fire by themselves.</summary>
public static class PointsTriggers
{
    public const string Subscribe = "subscribe";
    public const string Checkin = "checkin";
    public const string Keyword = "keyword";
    public const string Scan = "scan";
    public const string Order = "order";
    public const string Feedback = "feedback";
    public const string Admin = "admin";

    public static readonly string[] All = [Subscribe, Checkin, Keyword, Scan, Order, Feedback, Admin];
}

/// <summary>A stored rule (also its admin API shape: there is nothing in it the API should not show).</summary>
/// <param name="TagsJson">The <c>tags</c> column as stored; the API shows <see cref="Tags"/>.</param>
public sealed record PointsRule(
    ulong Id,
    string Name,
    string Trigger,
    int Points,
    string? AppId,
    string? MatchKey,
    int? DailyCap,
    int? StreakDays,
    int? StreakBonus,
    DateTime? ValidFrom,
    DateTime? ValidTo,
    bool Enabled,
    [property: System.Text.Json.Serialization.JsonIgnore] string TagsJson = "[]")
{
    /// <summary>Tags put on the member the rule matches (Profile/ProfilePushHandler), whether or not a cap lets it award.</summary>
    public IReadOnlyList<string> Tags { get; } = System.Text.Json.JsonSerializer.Deserialize<List<string>>(TagsJson) ?? [];
}

/// <summary>The body of a create or update.</summary>
public sealed record PointsRuleInput(
    string? Name,
    string? Trigger,
    int? Points,
    string? AppId,
    string? MatchKey,
    int? DailyCap,
    int? StreakDays,
    int? StreakBonus,
    DateTime? ValidFrom,
    DateTime? ValidTo,
    bool? Enabled,
    IReadOnlyList<string>? Tags = null)
{
    /// <summary>One award is at most this many points (or per yuan, for order rules): a typo must not mint millions.</summary>
    public const int MaxPoints = 100_000;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 100)
        {
            errors["name"] = ["required, at most 100 characters"];
        }

        if (Trigger is null || !PointsTriggers.All.Contains(Trigger))
        {
            errors["trigger"] = [$"one of {string.Join(", ", PointsTriggers.All)}"];
        }

        if (Points is not (>= 1 and <= MaxPoints))
        {
            errors["points"] = [$"a whole number from 1 to {MaxPoints}"];
        }

        if (Trigger == PointsTriggers.Keyword && string.IsNullOrWhiteSpace(MatchKey))
        {
            errors["matchKey"] = ["a keyword rule needs the campaign code to match"];
        }

        if (MatchKey is { Length: > 128 } || AppId is { Length: > 64 })
        {
            errors["matchKey"] = ["matchKey at most 128, appId at most 64 characters"];
        }

        if (DailyCap is < 1 or > 1000)
        {
            errors["dailyCap"] = ["from 1 to 1000 awards per member and day, or absent for no cap"];
        }

        if ((StreakDays is null) != (StreakBonus is null) || StreakDays is < 2 or > 366 || StreakBonus is < 1 or > MaxPoints)
        {
            errors["streakDays"] = ["streakDays (2-366) and streakBonus (1-100000) go together"];
        }

        if (ValidFrom is { } from && ValidTo is { } to && to <= from)
        {
            errors["validTo"] = ["must be after validFrom"];
        }

        if (Profile.TagCatalogue.Check(Tags, 20) is { } badTag)
        {
            errors["tags"] = [badTag];
        }

        return errors;
    }
}

/// <summary>Stores rules and finds the ones a trigger fires.</summary>
public sealed class PointsRules(MySqlDataSource dataSource, TimeProvider time)
{
    private const string Columns = """
        id AS Id, name AS Name, `trigger` AS `Trigger`, points AS Points, app_id AS AppId, match_key AS MatchKey, daily_cap AS DailyCap,
        streak_days AS StreakDays, streak_bonus AS StreakBonus, valid_from AS ValidFrom, valid_to AS ValidTo, enabled AS Enabled,
        tags AS TagsJson
        """;

    public async Task<IReadOnlyList<PointsRule>> ListAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<PointsRule>(new CommandDefinition($"SELECT {Columns} FROM points_rule ORDER BY id", cancellationToken: ct))).AsList();
    }

    public async Task<PointsRule?> GetAsync(ulong id, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.QuerySingleOrDefaultAsync<PointsRule>(new CommandDefinition($"SELECT {Columns} FROM points_rule WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<ulong> CreateAsync(PointsRuleInput input, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO points_rule (name, `trigger`, points, app_id, match_key, daily_cap, streak_days, streak_bonus, valid_from, valid_to, enabled, tags, created_at, updated_at)
            VALUES (@Name, @Trigger, @Points, @AppId, @MatchKey, @DailyCap, @StreakDays, @StreakBonus, @ValidFrom, @ValidTo, @enabled, @tags, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        var id = await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, Parameters(input), t, cancellationToken: ct));
        await DeclareTagsAsync(c, t, input, ct);
        await t.CommitAsync(ct);
        return id;
    }

    public async Task<bool> UpdateAsync(ulong id, PointsRuleInput input, CancellationToken ct)
    {
        const string sql = """
            UPDATE points_rule SET name = @Name, `trigger` = @Trigger, points = @Points, app_id = @AppId, match_key = @MatchKey,
                daily_cap = @DailyCap, streak_days = @StreakDays, streak_bonus = @StreakBonus, valid_from = @ValidFrom,
                valid_to = @ValidTo, enabled = @enabled, tags = @tags, updated_at = @now
            WHERE id = @id
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        var parameters = new DynamicParameters(Parameters(input));
        parameters.Add("id", id);
        var updated = await c.ExecuteAsync(new CommandDefinition(sql, parameters, t, cancellationToken: ct)) > 0;
        await DeclareTagsAsync(c, t, input, ct);
        await t.CommitAsync(ct);
        return updated;
    }

    /// <summary>The rule's tags join the tag catalogue, so a segment can name them before anyone earns them.</summary>
    private async Task DeclareTagsAsync(MySqlConnection c, MySqlTransaction t, PointsRuleInput input, CancellationToken ct) =>
        await Profile.TagCatalogue.DeclareAsync(c, t, input.Tags ?? [], Profile.TagSource.Rule, time.GetUtcNow().UtcDateTime, ct);

    /// <summary>Deleting keeps the ledger rows that name the rule: they are history.</summary>
    public async Task<bool> DeleteAsync(ulong id, CancellationToken ct)
    {
        const string sql = "DELETE FROM points_rule WHERE id = @id";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(sql, new { id }, cancellationToken: ct)) > 0;
    }

    /// <summary>The enabled rules of a trigger that are valid now and apply to the account (null appId: every account).</summary>
    public static async Task<IReadOnlyList<PointsRule>> ActiveAsync(MySqlConnection c, MySqlTransaction t, string trigger, string? appId, DateTime now, CancellationToken ct)
    {
        const string sql = $"""
            SELECT {Columns} FROM points_rule
            WHERE `trigger` = @trigger AND enabled = 1
              AND (valid_from IS NULL OR valid_from <= @now) AND (valid_to IS NULL OR valid_to > @now)
              AND (app_id IS NULL OR app_id = @appId)
            ORDER BY id
            """;
        return (await c.QueryAsync<PointsRule>(new CommandDefinition(sql, new { trigger, appId, now }, t, cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Counts one award of a capped rule for the member's local day; false when the cap is reached. A conditional
    /// update of a counter, so concurrent awards cannot both take the last slot. Rolled back with the award.
    /// </summary>
    public static async Task<bool> TakeDailySlotAsync(MySqlConnection c, MySqlTransaction t, PointsRule rule, ulong memberId, DateOnly day, CancellationToken ct)
    {
        if (rule.DailyCap is not { } cap)
        {
            return true;
        }

        // The insert only ever succeeds together with the update (a cap is at least 1), so rows > 0 means a slot was taken.
        const string sql = """
            INSERT IGNORE INTO points_rule_usage (rule_id, member_id, day, awards) VALUES (@ruleId, @memberId, @day, 0);
            UPDATE points_rule_usage SET awards = awards + 1 WHERE rule_id = @ruleId AND member_id = @memberId AND day = @day AND awards < @cap;
            """;
        return await c.ExecuteAsync(new CommandDefinition(sql, new { ruleId = rule.Id, memberId, day = day.ToDateTime(TimeOnly.MinValue), cap }, t, cancellationToken: ct)) > 0;
    }

    public static async Task ReleaseDailySlotAsync(MySqlConnection c, MySqlTransaction t, PointsRule rule, ulong memberId, DateOnly day, CancellationToken ct)
    {
        const string sql = "UPDATE points_rule_usage SET awards = awards - 1 WHERE rule_id = @ruleId AND member_id = @memberId AND day = @day AND awards > 0";
        await c.ExecuteAsync(new CommandDefinition(sql, new { ruleId = rule.Id, memberId, day = day.ToDateTime(TimeOnly.MinValue) }, t, cancellationToken: ct));
    }

    private object Parameters(PointsRuleInput input) => new
    {
        input.Name,
        input.Trigger,
        input.Points,
        AppId = string.IsNullOrWhiteSpace(input.AppId) ? null : input.AppId,
        MatchKey = string.IsNullOrWhiteSpace(input.MatchKey) ? null : input.MatchKey.Trim(),
        input.DailyCap,
        input.StreakDays,
        input.StreakBonus,
        ValidFrom = input.ValidFrom?.ToUniversalTime(),
        ValidTo = input.ValidTo?.ToUniversalTime(),
        enabled = input.Enabled ?? true,
        tags = System.Text.Json.JsonSerializer.Serialize(input.Tags?.Distinct().ToList() ?? []),
        now = time.GetUtcNow().UtcDateTime,
    };
}
