using Dapper;
using MySqlConnector;
using WechatGateway.Storage;
using WechatGateway.Privacy;

namespace WechatGateway.Members;

/// <summary>
/// Joins identities that share a UnionID into one member. The member that already holds the UnionID absorbs the
/// other: the rows of every member-owned table (<see cref="MemberTables"/>) move to it, profile gaps are filled, and
/// the absorbed member stays as a tombstone pointing at the survivor. Races are settled by the unique key on member.union_id and
/// row locks taken in id order.
/// </summary>
public sealed class MemberMerger(MySqlDataSource dataSource, MemberResolver resolver, MemberStore store, TimeProvider time, ILogger<MemberMerger> logger)
{
    /// <summary>Records that (appId, openId) has this UnionID; returns the member that identity belongs to afterwards.</summary>
    public async Task<ulong> AttachUnionIdAsync(string appId, string openId, string unionId, string reason, CancellationToken ct)
    {
        // A duplicate key: someone gave this UnionID to another member first; the next attempt finds that member.
        return await DeadlockRetry.RunAsync(
            () => TryAttachAsync(appId, openId, unionId, reason, ct),
            error => logger.LogInformation("UnionID attach for {AppId}/{OpenIdHash} raced ({Error}); retrying", appId, PersonalData.Hash(openId), error),
            ct,
            duplicateKeyIsARace: true);
    }

    private async Task<ulong> TryAttachAsync(string appId, string openId, string unionId, string reason, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        const string identitySql = "SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId FOR UPDATE";
        var memberId = await connection.QuerySingleAsync<ulong>(new CommandDefinition(identitySql, new { appId, openId }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE member_identity SET union_id = @unionId WHERE app_id = @appId AND open_id = @openId",
            new { appId, openId, unionId }, transaction, cancellationToken: ct));

        const string ownerSql = "SELECT id FROM member WHERE union_id = @unionId FOR UPDATE";
        var owner = await connection.QuerySingleOrDefaultAsync<ulong?>(new CommandDefinition(ownerSql, new { unionId }, transaction, cancellationToken: ct));
        List<(string AppId, string OpenId)> moved = [];
        if (owner is null)
        {
            // Unique key on union_id: if another request gave it to another member meanwhile, this throws and we retry.
            const string claim = "UPDATE member SET union_id = @unionId WHERE id = @memberId AND union_id IS NULL";
            var claimed = await connection.ExecuteAsync(new CommandDefinition(claim, new { memberId, unionId }, transaction, cancellationToken: ct));
            if (claimed == 0)
            {
                logger.LogWarning("Member {MemberId} already has another UnionID; {AppId}/{OpenIdHash} reports {UnionIdHash}", memberId, appId, PersonalData.Hash(openId), PersonalData.Hash(unionId));
            }

            owner = memberId;
        }
        else if (owner != memberId)
        {
            moved = await MergeAsync(connection, transaction, memberId, owner.Value, unionId, reason, ct);
        }

        await transaction.CommitAsync(ct);
        if (moved.Count > 0)
        {
            await resolver.InvalidateAsync(moved);
            // A request that read the old mapping just before the commit may cache it again: drop it once more shortly.
            _ = Task.Delay(TimeSpan.FromSeconds(1), time, CancellationToken.None).ContinueWith(_ => resolver.InvalidateAsync(moved), TaskScheduler.Default);
        }

        return owner.Value;
    }

    private async Task<List<(string AppId, string OpenId)>> MergeAsync(MySqlConnection connection, MySqlTransaction transaction, ulong from, ulong into, string unionId, string reason, CancellationToken ct)
    {
        // Lock both in id order so two merges of the same pair cannot deadlock each other for long.
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT id FROM member WHERE id IN (@from, @into) ORDER BY id FOR UPDATE", new { from, into }, transaction, cancellationToken: ct));

        var identities = (await connection.QueryAsync<(string AppId, string OpenId)>(new CommandDefinition(
            "SELECT app_id, open_id FROM member_identity WHERE member_id = @from", new { from }, transaction, cancellationToken: ct))).AsList();

        // One round trip for every member-owned table.
        var owned = string.Join(";\n", MemberTables.All.Select(table => table.Merge.TrimEnd().TrimEnd(';')));
        await connection.ExecuteAsync(new CommandDefinition(owned, new { from, into }, transaction, cancellationToken: ct));

        // The phone is unique: take it off the absorbed member before the survivor may take it.
        const string profile = """
            UPDATE member f JOIN member t ON t.id = @into AND f.id = @from
            SET f.phone = NULL, f.union_id = NULL, f.merged_into = @into, f.stage = @merged,
                t.nickname = COALESCE(t.nickname, f.nickname),
                t.avatar_url = COALESCE(t.avatar_url, f.avatar_url),
                t.gender = IF(t.gender = 0, f.gender, t.gender),
                t.city = COALESCE(t.city, f.city),
                t.home_store_id = COALESCE(t.home_store_id, f.home_store_id),
                t.first_channel = IF(f.created_at < t.created_at, COALESCE(f.first_channel, t.first_channel), COALESCE(t.first_channel, f.first_channel)),
                t.order_count = t.order_count + f.order_count,
                t.created_at = LEAST(t.created_at, f.created_at),
                t.last_interaction_at = GREATEST(t.last_interaction_at, f.last_interaction_at)
            """;
        var phone = await connection.QuerySingleOrDefaultAsync<(string? Phone, DateTime? BoundAt)>(new CommandDefinition(
            "SELECT phone, phone_bound_at FROM member WHERE id = @from", new { from }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(profile, new { from, into, merged = MemberStage.Merged }, transaction, cancellationToken: ct));
        if (phone.Phone is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE member SET phone = @phone, phone_bound_at = @boundAt WHERE id = @into AND phone IS NULL",
                new { into, phone = phone.Phone, boundAt = phone.BoundAt }, transaction, cancellationToken: ct));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO member_merge (from_member, into_member, union_id, reason, at) VALUES (@from, @into, @unionId, @reason, @now)",
            new { from, into, unionId, reason, now = time.GetUtcNow().UtcDateTime }, transaction, cancellationToken: ct));
        await store.AddTimelineAsync(connection, transaction, into, "merge", $"member {from} merged in (UnionID, {reason})", null, $"merge:{from}", ct);
        await store.RefreshStageAsync(connection, transaction, into, ct);
        logger.LogInformation("Merged member {From} into {Into} by UnionID ({Reason})", from, into, reason);
        return identities;
    }
}
