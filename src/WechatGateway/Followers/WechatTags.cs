using Dapper;
using MySqlConnector;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Followers;

/// <summary>A WeChat tag of an account, and the member tag it mirrors, if any.</summary>
public sealed record WechatTagView(int TagId, string Name, string? Mirrors);

/// <summary>The WeChat tags an account's import reads: names by id, and the ids that mirror a member tag.</summary>
public sealed record AccountTags(IReadOnlyDictionary<int, string> Names, IReadOnlySet<int> Mirrored);

public enum MirrorOutcome
{
    Mirrored,
    AlreadyMirrored,
    TooManyTags,
}

/// <summary>
/// An official account's WeChat tags: read in (<c>tags/get</c>) for the import, and the member tags ops choose to
/// mirror, created on WeChat (<c>tags/create</c>, at most 100 an account). <see cref="TagMirrorJob"/> keeps who carries
/// a mirrored tag in step.
/// </summary>
public sealed class WechatTags(MySqlDataSource dataSource, WechatApiClient wechat, TimeProvider time)
{
    /// <summary>Reads the account's tags from WeChat into <c>wechat_tag</c>; a tag gone from WeChat is forgotten.</summary>
    public async Task<AccountTags> RefreshAsync(string appId, CancellationToken ct)
    {
        var tags = await wechat.GetTagsAsync(appId, ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        const string upsert = """
            INSERT INTO wechat_tag (app_id, tag_id, name, updated_at) VALUES (@appId, @Id, @Name, @now)
            ON DUPLICATE KEY UPDATE name = VALUES(name), updated_at = VALUES(updated_at)
            """;
        await connection.ExecuteAsync(new CommandDefinition(upsert, tags.Select(t => new { appId, t.Id, Name = Storage.Columns.Fit(t.Name, 64), now }), transaction, cancellationToken: ct));
        var ids = tags.Select(t => t.Id).Append(-1).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM wechat_tag WHERE app_id = @appId AND tag_id NOT IN @ids", new { appId, ids }, transaction, cancellationToken: ct));
        var mirrored = (await connection.QueryAsync<int>(new CommandDefinition(
            "SELECT tag_id FROM wechat_tag_mirror WHERE app_id = @appId", new { appId }, transaction, cancellationToken: ct))).ToHashSet();
        await transaction.CommitAsync(ct);
        return new AccountTags(tags.ToDictionary(t => t.Id, t => t.Name), mirrored);
    }

    public async Task<IReadOnlyList<WechatTagView>> ListAsync(string appId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        const string sql = """
            SELECT t.tag_id AS TagId, t.name AS Name, m.tag AS Mirrors
            FROM wechat_tag t LEFT JOIN wechat_tag_mirror m ON m.app_id = t.app_id AND m.tag_id = t.tag_id
            WHERE t.app_id = @appId ORDER BY t.tag_id
            """;
        return (await connection.QueryAsync<WechatTagView>(new CommandDefinition(sql, new { appId }, cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Mirrors member tag <paramref name="tag"/> on the account: a WeChat tag of that name (the existing one when WeChat
    /// has it already), which <see cref="TagMirrorJob"/> then gives to every follower whose member carries the tag.
    /// </summary>
    public async Task<(MirrorOutcome Outcome, int? TagId)> MirrorAsync(string appId, string tag, string? actor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
                "SELECT tag_id FROM wechat_tag_mirror WHERE app_id = @appId AND tag = @tag", new { appId, tag }, cancellationToken: ct)) is { } existing)
        {
            return (MirrorOutcome.AlreadyMirrored, existing);
        }

        WechatTag created;
        try
        {
            created = await wechat.CreateTagAsync(appId, tag, ct);
        }
        catch (WechatApiException e) when (e.Code == WechatErrorCode.TagNameExists)
        {
            // Someone made the tag on WeChat already (or an earlier attempt did, and its answer was lost): mirror that one.
            created = (await wechat.GetTagsAsync(appId, ct)).First(t => t.Name == tag);
        }
        catch (WechatApiException e) when (e.Code == WechatErrorCode.TooManyTags)
        {
            return (MirrorOutcome.TooManyTags, null);
        }

        var now = time.GetUtcNow().UtcDateTime;
        const string sql = """
            INSERT INTO wechat_tag (app_id, tag_id, name, updated_at) VALUES (@appId, @tagId, @tag, @now)
            ON DUPLICATE KEY UPDATE name = VALUES(name), updated_at = VALUES(updated_at);
            INSERT IGNORE INTO wechat_tag_mirror (app_id, tag, tag_id, created_by, created_at) VALUES (@appId, @tag, @tagId, @actor, @now);
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new { appId, tagId = created.Id, tag, actor, now }, cancellationToken: ct));
        return (MirrorOutcome.Mirrored, created.Id);
    }
}
