using Dapper;
using MySqlConnector;

namespace WechatGateway.Profile;

/// <summary>Who put a tag on a member (<c>member_tag.source</c>) or declared it (<c>tag_catalogue.source</c>).</summary>
public static class TagSource
{
    /// <summary>An auto-reply rule or a points rule that matched the member's push.</summary>
    public const string Rule = "rule";

    /// <summary>A live code the member followed or scanned.</summary>
    public const string Scan = "scan";

    /// <summary>Ops, from the console or <c>PUT /api/admin/members/{id}/tags</c>.</summary>
    public const string Manual = "manual";

    /// <summary>The default of a row written without a source (WeChat tag sync).</summary>
    public const string Imported = "imported";
}

/// <summary>
/// The tags a segment may name. A tag is known when something declared it (an auto-reply rule, a points rule or a live
/// code that sets it, or ops tagging a member by hand) or when a member holds it (<c>member_tag</c>, which WeChat tag
/// sync also writes): so a segment can target a rule's tag before anyone has earned it, and a typo is refused.
/// </summary>
public sealed class TagCatalogue(MySqlDataSource dataSource, TimeProvider time)
{
    public const int MaxLength = 64;

    /// <summary>A tag as given is usable: 1–64 characters, no surrounding space.</summary>
    public static bool IsValid(string? tag) => !string.IsNullOrWhiteSpace(tag) && tag.Length <= MaxLength && tag.Trim() == tag;

    /// <summary>The error for the first invalid tag of <paramref name="tags"/>, or null.</summary>
    public static string? Invalid(IEnumerable<string>? tags) =>
        tags?.FirstOrDefault(t => !IsValid(t)) is { } bad ? $"'{bad}' is not a tag: 1 to {MaxLength} characters without leading or trailing space." : null;

    /// <summary>The error for a list of more than <paramref name="max"/> tags or with an invalid one, or null.</summary>
    public static string? Check(IReadOnlyCollection<string>? tags, int max) => tags?.Count > max ? $"at most {max} tags." : Invalid(tags);

    /// <summary>Declares tags (a rule or live code that sets them was saved); known ones stay as they were.</summary>
    public async Task DeclareAsync(IReadOnlyCollection<string> tags, string source, CancellationToken ct)
    {
        if (tags.Count == 0)
        {
            return;
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await DeclareAsync(c, null, tags, source, time.GetUtcNow().UtcDateTime, ct);
    }

    public static async Task DeclareAsync(MySqlConnection c, MySqlTransaction? t, IReadOnlyCollection<string> tags, string source, DateTime now, CancellationToken ct)
    {
        if (tags.Count == 0)
        {
            return;
        }

        const string sql = "INSERT IGNORE INTO tag_catalogue (tag, source, created_at) VALUES (@tag, @source, @now)";
        await c.ExecuteAsync(new CommandDefinition(sql, tags.Distinct().Select(tag => new { tag, source, now }), t, cancellationToken: ct));
    }

    /// <summary>Which of <paramref name="tags"/> are unknown (neither declared nor held by any member).</summary>
    public async Task<IReadOnlyList<string>> UnknownAsync(IReadOnlyCollection<string> tags, CancellationToken ct)
    {
        if (tags.Count == 0)
        {
            return [];
        }

        const string sql = """
            SELECT tag FROM tag_catalogue WHERE tag IN @tags
            UNION SELECT DISTINCT tag FROM member_tag WHERE tag IN @tags
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var known = (await c.QueryAsync<string>(new CommandDefinition(sql, new { tags }, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        return tags.Where(t => !known.Contains(t)).Distinct().ToList();
    }

    /// <summary>Every known tag, for pick lists.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken ct)
    {
        // DISTINCT over the tag index reads one entry per tag (a loose index scan), not every member's rows.
        const string sql = "SELECT tag FROM tag_catalogue UNION SELECT DISTINCT tag FROM member_tag ORDER BY tag";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return (await c.QueryAsync<string>(new CommandDefinition(sql, cancellationToken: ct))).AsList();
    }
}
