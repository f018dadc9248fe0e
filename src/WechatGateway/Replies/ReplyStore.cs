using System.Text.Json;
using Dapper;
using MySqlConnector;

namespace WechatGateway.Replies;

public sealed record TemplateRequest(string? Name, ReplyBody? Reply);

public sealed record TemplateView(ulong Id, string Name, ReplyBody Reply, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>
/// Templates and auto-reply rules in MySQL. Every write bumps <c>config_version('replies')</c> in the same
/// transaction, which is how every instance learns that its in-memory rule set is stale (see <see cref="ReplyRuleSet"/>).
/// </summary>
public sealed class ReplyStore(MySqlDataSource dataSource, TimeProvider time)
{
    public const string ConfigName = "replies";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string RuleColumns = """
        id AS Id, app_id AS AppId, name AS Name, match_kind AS `Match`, action AS Action, keywords AS Keywords, event AS Event, event_key AS EventKey,
        priority AS Priority, enabled AS Enabled, valid_from AS ValidFrom, valid_until AS ValidUntil, reply AS Reply,
        template_id AS TemplateId, created_at AS CreatedAt, updated_at AS UpdatedAt, tags AS Tags
        """;

    public async Task<(long Version, IReadOnlyList<AutoReplyView> Rules, IReadOnlyList<TemplateView> Templates)> LoadAsync(CancellationToken ct)
    {
        const string sql = $"""
            SELECT version FROM config_version WHERE name = @name;
            SELECT {RuleColumns} FROM auto_reply ORDER BY id;
            SELECT id AS Id, name AS Name, reply AS Reply, created_at AS CreatedAt, updated_at AS UpdatedAt FROM reply_template ORDER BY id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { name = ConfigName }, cancellationToken: ct));
        var version = await results.ReadSingleOrDefaultAsync<long?>() ?? 0;
        var rules = (await results.ReadAsync<RuleRow>()).Select(ToView).ToList();
        var templates = (await results.ReadAsync<TemplateRow>()).Select(ToView).ToList();
        return (version, rules, templates);
    }

    public async Task<long> VersionAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT version FROM config_version WHERE name = @name", new { name = ConfigName }, cancellationToken: ct)) ?? 0;
    }

    public async Task<AutoReplyView?> GetRuleAsync(ulong id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<RuleRow>(new CommandDefinition($"SELECT {RuleColumns} FROM auto_reply WHERE id = @id", new { id }, cancellationToken: ct));
        return row is null ? null : ToView(row);
    }

    public async Task<TemplateView?> GetTemplateAsync(ulong id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<TemplateRow>(new CommandDefinition(
            "SELECT id AS Id, name AS Name, reply AS Reply, created_at AS CreatedAt, updated_at AS UpdatedAt FROM reply_template WHERE id = @id", new { id }, cancellationToken: ct));
        return row is null ? null : ToView(row);
    }

    /// <summary>Inserts (id null) or updates a rule; false when the rule to update does not exist.</summary>
    public Task<ulong?> SaveRuleAsync(ulong? id, AutoReplyView rule, CancellationToken ct)
    {
        const string insert = """
            INSERT INTO auto_reply (app_id, name, match_kind, action, keywords, event, event_key, priority, enabled, valid_from, valid_until, reply, template_id, tags, created_at, updated_at)
            VALUES (@AppId, @Name, @Match, @Action, @Keywords, @Event, @EventKey, @Priority, @Enabled, @ValidFrom, @ValidUntil, @Reply, @TemplateId, @Tags, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        const string update = """
            UPDATE auto_reply SET app_id = @AppId, name = @Name, match_kind = @Match, action = @Action, keywords = @Keywords, event = @Event, event_key = @EventKey,
                priority = @Priority, enabled = @Enabled, valid_from = @ValidFrom, valid_until = @ValidUntil, reply = @Reply,
                template_id = @TemplateId, tags = @Tags, updated_at = @now
            WHERE id = @id;
            SELECT IF(ROW_COUNT() = 1, @id, NULL);
            """;
        return WriteAsync(id is null ? insert : update, new
        {
            id,
            rule.AppId,
            rule.Name,
            rule.Match,
            rule.Action,
            Keywords = JsonSerializer.Serialize(rule.Keywords, Json),
            Event = rule.Event?.ToLowerInvariant(),
            rule.EventKey,
            rule.Priority,
            rule.Enabled,
            rule.ValidFrom,
            rule.ValidUntil,
            Reply = rule.Reply is null ? null : JsonSerializer.Serialize(rule.Reply, Json),
            rule.TemplateId,
            Tags = JsonSerializer.Serialize(rule.Tags ?? [], Json),
            now = time.GetUtcNow().UtcDateTime,
        }, ct, rule.Tags);
    }

    public Task<ulong?> SaveTemplateAsync(ulong? id, string name, ReplyBody reply, CancellationToken ct)
    {
        const string insert = """
            INSERT INTO reply_template (name, reply, created_at, updated_at) VALUES (@name, @reply, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        const string update = """
            UPDATE reply_template SET name = @name, reply = @reply, updated_at = @now WHERE id = @id;
            SELECT IF(ROW_COUNT() = 1, @id, NULL);
            """;
        return WriteAsync(id is null ? insert : update, new { id, name, reply = JsonSerializer.Serialize(reply, Json), now = time.GetUtcNow().UtcDateTime }, ct);
    }

    public async Task<bool> DeleteRuleAsync(ulong id, CancellationToken ct) =>
        await WriteAsync("DELETE FROM auto_reply WHERE id = @id; SELECT IF(ROW_COUNT() = 1, @id, NULL);", new { id }, ct) is not null;

    /// <summary>Deletes a template no rule uses; a template in use is kept (the caller answers 409).</summary>
    public async Task<bool> DeleteTemplateAsync(ulong id, CancellationToken ct) =>
        await WriteAsync(
            "DELETE FROM reply_template WHERE id = @id AND NOT EXISTS (SELECT 1 FROM auto_reply WHERE template_id = @id); SELECT IF(ROW_COUNT() = 1, @id, NULL);",
            new { id }, ct) is not null;

    /// <param name="tags">Tags the saved rule sets: declared in the tag catalogue in the same transaction, so segments can name them.</param>
    private async Task<ulong?> WriteAsync(string sql, object parameters, CancellationToken ct, IReadOnlyCollection<string>? tags = null)
    {
        // A timestamp in µs, never lower than the last version plus one: a version never repeats, even if the row
        // is deleted or the table restored, so no instance keeps a rule set the database no longer holds.
        const string bump = """
            INSERT INTO config_version (name, version) VALUES (@name, FLOOR(UNIX_TIMESTAMP(NOW(6)) * 1000000))
            ON DUPLICATE KEY UPDATE version = GREATEST(version + 1, VALUES(version))
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<ulong?>(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(bump, new { name = ConfigName }, transaction, cancellationToken: ct));
        if (id is not null && tags is { Count: > 0 })
        {
            await Profile.TagCatalogue.DeclareAsync(connection, transaction, tags, Profile.TagSource.Rule, time.GetUtcNow().UtcDateTime, ct);
        }

        await transaction.CommitAsync(ct);
        return id;
    }

    private static AutoReplyView ToView(RuleRow r) => new(
        r.Id, r.AppId, r.Name, r.Match, JsonSerializer.Deserialize<List<string>>(r.Keywords, Json) ?? [], r.Event, r.EventKey, r.Priority,
        r.Enabled, r.ValidFrom, r.ValidUntil, r.Reply is null ? null : JsonSerializer.Deserialize<ReplyBody>(r.Reply, Json), r.TemplateId, r.CreatedAt, r.UpdatedAt, r.Action,
        JsonSerializer.Deserialize<List<string>>(r.Tags, Json) ?? []);

    private static TemplateView ToView(TemplateRow r) =>
        new(r.Id, r.Name, JsonSerializer.Deserialize<ReplyBody>(r.Reply, Json)!, r.CreatedAt, r.UpdatedAt);

    private sealed record RuleRow(
        ulong Id, string? AppId, string Name, string Match, string Action, string Keywords, string? Event, string? EventKey, int Priority, bool Enabled,
        DateTime? ValidFrom, DateTime? ValidUntil, string? Reply, ulong? TemplateId, DateTime CreatedAt, DateTime UpdatedAt, string Tags);

    private sealed record TemplateRow(ulong Id, string Name, string Reply, DateTime CreatedAt, DateTime UpdatedAt);
}
