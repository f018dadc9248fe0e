using Dapper;
using MySqlConnector;
using WechatGateway.Members;

namespace WechatGateway.Privacy;

/// <summary>
/// Erases a member's personal data on request. Gone: nickname, avatar, city, gender, phone, the raw XML of every push
/// from the member's identities and the replies rendered for them, and what each member-owned table holds of the
/// person (<see cref="MemberTables"/>: tags, location, message bodies, the identifiers on matched orders; sends not made
/// yet are cancelled). Kept, each for the reason <see cref="MemberTables"/> gives: the member row and its id (ledger,
/// orders and points totals point at it), the identities' OpenIDs and UnionID (WeChat's per-app pseudonyms, needed to
/// recognise the follower's next push), and records of what happened that hold no data about the person.
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
            SET p.raw_xml = '', p.reply_xml = NULL
            WHERE i.member_id = @memberId AND (p.raw_xml <> '' OR p.reply_xml IS NOT NULL)
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        if (await connection.ExecuteAsync(new CommandDefinition(profile, new { memberId, now }, transaction, cancellationToken: ct)) == 0)
        {
            return false;
        }

        var blanked = await connection.ExecuteAsync(new CommandDefinition(pushes, new { memberId }, transaction, cancellationToken: ct));
        foreach (var erase in MemberTables.All.Select(table => table.Erase).OfType<MemberSql>())
        {
            var parameters = new DynamicParameters(erase.Parameters);
            parameters.Add("memberId", memberId);
            await connection.ExecuteAsync(new CommandDefinition(erase.Sql, parameters, transaction, cancellationToken: ct));
        }

        await transaction.CommitAsync(ct);

        // Outside the transaction: the stage follows the facts (no phone, so no longer "registered").
        await members.RefreshStageAsync(connection, null, memberId, ct);
        await members.AddTimelineAsync(connection, null, memberId, "privacy", "personal data erased on request", null, $"erased:{memberId}:{now.Ticks}", ct);
        logger.LogInformation("Erased personal data of member {MemberId} ({Pushes} raw pushes blanked)", memberId, blanked);
        return true;
    }
}
