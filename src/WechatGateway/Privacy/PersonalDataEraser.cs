using Dapper;
using MySqlConnector;
using WechatGateway.Members;

namespace WechatGateway.Privacy;

/// <summary>
/// Erases a member's personal data on request. Gone: nickname, avatar, city, gender, phone, and the raw XML of every
/// push from the member's identities. Kept: the member row and its id (ledger, orders and points totals point at it),
/// the identities' OpenIDs and the UnionID, which are WeChat's per-app pseudonyms and the only way to recognise the
/// next push from the same follower (without them a returning follower would count as new and earn a first-follow
/// award again, and a WeChat retry could not be told from a new push), and the timeline, whose entries name events,
/// not data.
/// </summary>
public sealed class PersonalDataEraser(MySqlDataSource dataSource, MemberStore members, TimeProvider time, ILogger<PersonalDataEraser> logger)
{
    /// <summary>False when there is no such member.</summary>
    public async Task<bool> EraseAsync(ulong memberId, CancellationToken ct)
    {
        const string profile = """
            UPDATE member SET nickname = NULL, avatar_url = NULL, city = NULL, gender = 0, phone = NULL, phone_bound_at = NULL,
                              personal_data_erased_at = @now
            WHERE id = @memberId
            """;
        const string pushes = """
            UPDATE wechat_push p JOIN member_identity i ON i.app_id = p.app_id AND i.open_id = p.open_id
            SET p.raw_xml = ''
            WHERE i.member_id = @memberId AND p.raw_xml <> ''
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (await connection.ExecuteAsync(new CommandDefinition(profile, new { memberId, now }, transaction, cancellationToken: ct)) == 0)
        {
            return false;
        }

        var blanked = await connection.ExecuteAsync(new CommandDefinition(pushes, new { memberId }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);

        // Outside the transaction: the stage follows the facts (no phone, so no longer "registered").
        await members.RefreshStageAsync(connection, null, memberId, ct);
        await members.AddTimelineAsync(connection, null, memberId, "privacy", "personal data erased on request", null, $"erased:{memberId}:{now.Ticks}", ct);
        logger.LogInformation("Erased personal data of member {MemberId} ({Pushes} raw pushes blanked)", memberId, blanked);
        return true;
    }
}
