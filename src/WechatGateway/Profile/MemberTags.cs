using System.Text;
using Dapper;
using MySqlConnector;
using WechatGateway.Processing;

namespace WechatGateway.Profile;

/// <summary>
/// A member's tags (<c>member_tag</c>, keyed by member and tag: a tag is held once, by whichever cause set it first).
/// Behaviour tags are added by the processing stage; ops replace a member's whole set by hand.
/// </summary>
public static class MemberTags
{
    private sealed record Row(ulong MemberId, string Tag, string Source, DateTime At);

    private static readonly object DeferKey = new();

    /// <summary>
    /// Tags <paramref name="memberId"/> with <paramref name="tags"/> in the processing stage's transaction: written with the
    /// batch's other tags in one statement before it commits. A tag already held is left as it is, so processing a push
    /// again changes nothing.
    /// </summary>
    public static void Add(PushBatch batch, ulong memberId, IEnumerable<string> tags, string source, DateTime at)
    {
        foreach (var tag in tags)
        {
            batch.Defer(DeferKey, new Row(memberId, tag, source, at), WriteAsync);
        }
    }

    /// <summary>Replaces the member's tags by <paramref name="tags"/> (ops' manual edit): tags it keeps stay as they were set.</summary>
    public static async Task ReplaceAsync(MySqlConnection c, MySqlTransaction t, ulong memberId, IReadOnlyCollection<string> tags, DateTime now, CancellationToken ct)
    {
        const string remove = "DELETE FROM member_tag WHERE member_id = @memberId AND (@all OR tag NOT IN @tags)";
        await c.ExecuteAsync(new CommandDefinition(remove, new { memberId, all = tags.Count == 0, tags = tags.Count == 0 ? [""] : tags }, t, cancellationToken: ct));
        await WriteAsync([.. tags.Select(tag => new Row(memberId, tag, TagSource.Manual, now))], c, t, ct);
        await TagCatalogue.DeclareAsync(c, t, tags, TagSource.Manual, now, ct);
    }

    private static async Task WriteAsync(IReadOnlyList<Row> rows, MySqlConnection c, MySqlTransaction t, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return;
        }

        // In key order, so two batches tagging the same members lock them in the same order.
        var ordered = rows.DistinctBy(r => (r.MemberId, r.Tag)).OrderBy(r => r.MemberId).ThenBy(r => r.Tag, StringComparer.Ordinal).ToList();
        var sql = new StringBuilder("INSERT IGNORE INTO member_tag (member_id, tag, source, tagged_at) VALUES ");
        var parameters = new DynamicParameters();
        for (var i = 0; i < ordered.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append($"(@m{i}, @t{i}, @s{i}, @a{i})");
            parameters.Add($"m{i}", ordered[i].MemberId);
            parameters.Add($"t{i}", ordered[i].Tag);
            parameters.Add($"s{i}", ordered[i].Source);
            parameters.Add($"a{i}", ordered[i].At);
        }

        await c.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, t, cancellationToken: ct));
    }
}
