using Dapper;
using MySqlConnector;

namespace WechatGateway.Followers;

/// <summary>
/// Every read and write of <c>member_tag</c> that the follower import and the tag mirror make, in one place: the
/// table (V2) is the one home of a member's tags, keyed (member_id, tag), and a tag catalogue may route these through
/// its own rules later.
/// </summary>
public sealed class MemberTagRows
{
    /// <summary>Which of <paramref name="memberIds"/> carry which of <paramref name="tags"/>.</summary>
    public async Task<HashSet<(ulong MemberId, string Tag)>> FindAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyCollection<ulong> memberIds, IReadOnlyCollection<string> tags, CancellationToken ct)
    {
        if (memberIds.Count == 0 || tags.Count == 0)
        {
            return [];
        }

        const string sql = "SELECT member_id AS MemberId, tag AS Tag FROM member_tag WHERE member_id IN @memberIds AND tag IN @tags";
        return [.. await connection.QueryAsync<(ulong MemberId, string Tag)>(new CommandDefinition(sql, new { memberIds, tags }, transaction, cancellationToken: ct))];
    }

    /// <summary>Gives each member its tag (a tag the member has already stays one row).</summary>
    public async Task AddAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<(ulong MemberId, string Tag)> rows, CancellationToken ct)
    {
        foreach (var chunk in rows.Chunk(500))
        {
            var values = string.Join(",", chunk.Select((_, i) => $"(@m{i}, @t{i})"));
            var parameters = new DynamicParameters();
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"m{i}", chunk[i].MemberId);
                parameters.Add($"t{i}", chunk[i].Tag);
            }

            await connection.ExecuteAsync(new CommandDefinition($"INSERT IGNORE INTO member_tag (member_id, tag) VALUES {values}", parameters, transaction, cancellationToken: ct));
        }
    }
}
