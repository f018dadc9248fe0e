using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Followers;

/// <summary>
/// What one batch of the import did: members created, members changed, members found as they were; and, for after the
/// commit, the resolutions to cache and the identities to merge by UnionID.
/// </summary>
public sealed record ImportedBatch(
    int Imported, int Updated, int Unchanged,
    Dictionary<(string AppId, string OpenId), MemberResolver.Resolution> Resolved, List<(string OpenId, string UnionId)> Merges);

/// <summary>
/// Turns followers WeChat listed (<c>user/info/batchget</c>) into members, through the same resolution as a follow
/// push: <see cref="MemberResolver"/> finds or creates the member of each OpenID, <see cref="MemberStore"/> records the
/// follow, and a UnionID joins the member that already holds it (a mini-program member), so there is one member per
/// UnionID. An import is not a push: it awards no points and sends no welcome, and it is attributed to
/// <c>import</c>. Everything happens in the caller's transaction; a batch run twice changes nothing the second time.
/// </summary>
public sealed class FollowerImporter(MemberResolver resolver, MemberStore store, MemberMerger merger, MemberTagRows tags, TimeProvider time)
{
    public const string Channel = "import";

    /// <param name="tagNames">The account's WeChat tags by id that become member tags (mirrored tags are not: the gateway is their source).</param>
    /// <param name="mirroredTagIds">WeChat tags that mirror a member tag: who carries them is recorded for the mirror job instead.</param>
    public async Task<ImportedBatch> ImportAsync(
        MySqlConnection connection, MySqlTransaction transaction, string appId, ulong syncId, IReadOnlyList<WechatUserInfo> followers,
        IReadOnlyDictionary<int, string> tagNames, IReadOnlySet<int> mirroredTagIds, CancellationToken ct)
    {
        // One who unfollowed between user/get and batchget is left to the end of the sync, which marks who no longer follows.
        var subscribed = followers.Where(f => f.Subscribed && f.OpenId.Length > 0).DistinctBy(f => f.OpenId).ToList();
        if (subscribed.Count == 0)
        {
            return new ImportedBatch(0, 0, 0, [], []);
        }

        var openIds = subscribed.Select(f => f.OpenId).ToArray();
        const string follows = "SELECT open_id AS OpenId, subscribed AS Subscribed FROM member_follow WHERE app_id = @appId AND open_id IN @openIds";
        var known = (await connection.QueryAsync<(string OpenId, bool Subscribed)>(new CommandDefinition(follows, new { appId, openIds }, transaction, cancellationToken: ct)))
            .ToDictionary(f => f.OpenId, f => f.Subscribed, StringComparer.Ordinal);

        var resolved = await resolver.ResolveManyAsync(connection, transaction, [.. openIds.Select(o => (appId, o, AccountType.OfficialAccount))], ct);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var merges = new List<(string OpenId, string UnionId)>();
        await JoinUnionIdsAsync(connection, transaction, appId, subscribed, resolved, merges, changed, ct);

        var created = subscribed.Where(f => resolved[(appId, f.OpenId)].Created).Select(f => f.OpenId).ToHashSet(StringComparer.Ordinal);
        var toFollow = subscribed.Where(f => !known.TryGetValue(f.OpenId, out var on) || !on).ToList();
        await store.FollowManyAsync(connection, transaction, appId,
            [.. toFollow.Select(f => new FollowRow(f.OpenId, resolved[(appId, f.OpenId)].MemberId, FollowedAt(f), f.QrSceneStr))], ct);
        changed.UnionWith(toFollow.Select(f => f.OpenId));

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE member_follow SET last_sync_id = @syncId WHERE app_id = @appId AND open_id IN @openIds",
            new { syncId, appId, openIds }, transaction, cancellationToken: ct));
        var now = time.GetUtcNow().UtcDateTime;
        // The UnionID is known now: the background user/info fetch need not ask again.
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE member_identity SET union_checked_at = @now WHERE app_id = @appId AND open_id IN @openIds AND union_checked_at IS NULL",
            new { now, appId, openIds }, transaction, cancellationToken: ct));
        if (created.Count > 0)
        {
            var ids = created.Select(o => resolved[(appId, o)].MemberId).ToArray();
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE member SET first_channel = @channel WHERE id IN @ids AND first_channel IS NULL",
                new { channel = Channel, ids }, transaction, cancellationToken: ct));
        }

        changed.UnionWith(await ReadTagsAsync(connection, transaction, appId, subscribed, resolved, tagNames, mirroredTagIds, ct));

        await store.AddTimelineManyAsync(connection, transaction, [.. changed.Select(openId => new TimelineRow(
            resolved[(appId, openId)].MemberId, "import",
            created.Contains(openId) ? "imported from the account's followers" : "follow, UnionID or WeChat tags updated by the follower import",
            appId, $"sync:{syncId}:{appId}:{openId}"))], ct);
        foreach (var openId in changed.Where(o => !created.Contains(o)))
        {
            await store.RefreshStageAsync(connection, transaction, resolved[(appId, openId)].MemberId, ct);
        }

        var updated = changed.Count(o => !created.Contains(o));
        return new ImportedBatch(created.Count, updated, subscribed.Count - created.Count - updated, resolved, merges);
    }

    /// <summary>After the commit: caches the mappings and merges members whose UnionID another member already held.</summary>
    public async Task CompleteAsync(string appId, ImportedBatch batch, CancellationToken ct)
    {
        await resolver.CacheAsync(batch.Resolved);
        foreach (var (openId, unionId) in batch.Merges)
        {
            await merger.AttachUnionIdAsync(appId, openId, unionId, "follower import", ct);
        }
    }

    /// <summary>
    /// One member per UnionID. A member this batch created for a UnionID another member holds is folded into that
    /// member at once (it has nothing yet but its identity); an older member goes through <see cref="MemberMerger"/>
    /// after the commit; a UnionID nobody holds is claimed by the follower's member.
    /// </summary>
    private static async Task JoinUnionIdsAsync(
        MySqlConnection connection, MySqlTransaction transaction, string appId, List<WechatUserInfo> followers,
        Dictionary<(string AppId, string OpenId), MemberResolver.Resolution> resolved, List<(string OpenId, string UnionId)> merges, HashSet<string> changed, CancellationToken ct)
    {
        var withUnion = followers.Where(f => f.UnionId is { Length: > 0 }).ToList();
        if (withUnion.Count == 0)
        {
            return;
        }

        var unionIds = withUnion.Select(f => f.UnionId!).Distinct(StringComparer.Ordinal).ToArray();
        var memberIds = withUnion.Select(f => resolved[(appId, f.OpenId)].MemberId).Distinct().ToArray();
        const string sql = "SELECT id AS Id, union_id AS UnionId FROM member WHERE union_id IN @unionIds OR id IN @memberIds";
        var rows = (await connection.QueryAsync<(ulong Id, string? UnionId)>(new CommandDefinition(sql, new { unionIds, memberIds }, transaction, cancellationToken: ct))).AsList();
        var owners = rows.Where(r => r.UnionId is not null).GroupBy(r => r.UnionId!).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        var unionOf = rows.ToDictionary(r => r.Id, r => r.UnionId);
        var claims = new List<(string OpenId, ulong MemberId, string UnionId)>();

        foreach (var follower in withUnion)
        {
            var unionId = follower.UnionId!;
            var resolution = resolved[(appId, follower.OpenId)];
            if (owners.TryGetValue(unionId, out var owner))
            {
                if (owner == resolution.MemberId)
                {
                    continue;
                }

                if (resolution.Created)
                {
                    const string fold = """
                        UPDATE member_identity SET member_id = @owner, union_id = @unionId WHERE app_id = @appId AND open_id = @openId;
                        DELETE FROM member WHERE id = @created;
                        """;
                    await connection.ExecuteAsync(new CommandDefinition(fold, new { owner, unionId, appId, openId = follower.OpenId, created = resolution.MemberId }, transaction, cancellationToken: ct));
                    resolved[(appId, follower.OpenId)] = new MemberResolver.Resolution(owner, false);
                }
                else
                {
                    merges.Add((follower.OpenId, unionId));
                }

                changed.Add(follower.OpenId);
            }
            else if (unionOf.GetValueOrDefault(resolution.MemberId) is null)
            {
                claims.Add((follower.OpenId, resolution.MemberId, unionId));
                owners[unionId] = resolution.MemberId;
                unionOf[resolution.MemberId] = unionId;
                if (!resolution.Created)
                {
                    changed.Add(follower.OpenId);
                }
            }
        }

        await ClaimAsync(connection, transaction, appId, claims, ct);
    }

    /// <summary>
    /// Gives each member the UnionID nobody holds, in two statements for the batch. The unique key on member.union_id
    /// settles a race with a mini-program login: the batch fails and runs again.
    /// </summary>
    private static async Task ClaimAsync(MySqlConnection connection, MySqlTransaction transaction, string appId, List<(string OpenId, ulong MemberId, string UnionId)> claims, CancellationToken ct)
    {
        if (claims.Count == 0)
        {
            return;
        }

        var rows = string.Join(" UNION ALL ", claims.Select((_, i) => $"SELECT @m{i} AS id, @o{i} AS open_id, @u{i} AS union_id"));
        var parameters = new DynamicParameters(new { appId });
        for (var i = 0; i < claims.Count; i++)
        {
            parameters.Add($"m{i}", claims[i].MemberId);
            parameters.Add($"o{i}", claims[i].OpenId);
            parameters.Add($"u{i}", claims[i].UnionId);
        }

        var sql = $"""
            UPDATE member m JOIN ({rows}) v ON m.id = v.id SET m.union_id = v.union_id WHERE m.union_id IS NULL;
            UPDATE member_identity i JOIN ({rows}) v ON i.app_id = @appId AND i.open_id = v.open_id SET i.union_id = v.union_id;
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: ct));
    }

    /// <summary>WeChat tags (<c>tagid_list</c>) into member tags; returns the followers who gained one.</summary>
    private async Task<IEnumerable<string>> ReadTagsAsync(
        MySqlConnection connection, MySqlTransaction transaction, string appId, List<WechatUserInfo> followers,
        Dictionary<(string AppId, string OpenId), MemberResolver.Resolution> resolved, IReadOnlyDictionary<int, string> tagNames,
        IReadOnlySet<int> mirroredTagIds, CancellationToken ct)
    {
        var mirrored = followers.SelectMany(f => f.TagIds.Where(mirroredTagIds.Contains).Select(t => (f.OpenId, TagId: t))).ToList();
        if (mirrored.Count > 0)
        {
            var values = string.Join(",", mirrored.Select((_, i) => $"(@appId, @t{i}, @o{i})"));
            var parameters = new DynamicParameters(new { appId });
            for (var i = 0; i < mirrored.Count; i++)
            {
                parameters.Add($"t{i}", mirrored[i].TagId);
                parameters.Add($"o{i}", mirrored[i].OpenId);
            }

            await connection.ExecuteAsync(new CommandDefinition($"INSERT IGNORE INTO wechat_tag_follower (app_id, tag_id, open_id) VALUES {values}", parameters, transaction, cancellationToken: ct));
        }

        var wanted = followers
            .SelectMany(f => f.TagIds.Where(t => !mirroredTagIds.Contains(t) && tagNames.ContainsKey(t)).Select(t => (f.OpenId, MemberId: resolved[(appId, f.OpenId)].MemberId, Tag: tagNames[t])))
            .ToList();
        if (wanted.Count == 0)
        {
            return [];
        }

        var have = await tags.FindAsync(connection, transaction, [.. wanted.Select(w => w.MemberId).Distinct()], [.. wanted.Select(w => w.Tag).Distinct(StringComparer.Ordinal)], ct);
        var missing = wanted.Where(w => !have.Contains((w.MemberId, w.Tag))).DistinctBy(w => (w.MemberId, w.Tag)).ToList();
        await tags.AddAsync(connection, transaction, [.. missing.Select(m => (m.MemberId, m.Tag))], ct);
        return missing.Select(m => m.OpenId);
    }

    private DateTime FollowedAt(WechatUserInfo follower) =>
        follower.SubscribeTime is { } seconds and > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime : time.GetUtcNow().UtcDateTime;
}
