using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Segments;

/// <summary>Members placed straight in the database, with what segments filter on.</summary>
public static class TestMembers
{
    public sealed record Seed(
        ulong Id,
        string Stage = "follower",
        long? HomeStoreId = null,
        string? City = null,
        string? FirstChannel = null,
        IReadOnlyList<string>? Tags = null,
        long? Balance = null,
        long? Lifetime = null,
        string? AppId = null,
        bool Subscribed = true,
        ulong? MergedInto = null,
        DateTime? LastInteractionAt = null);

    public static async Task AddAsync(params Seed[] members)
    {
        foreach (var m in members)
        {
            await Database.ExecuteAsync(
                """
                INSERT INTO member (id, nickname, stage, home_store_id, city, first_channel, created_at, last_interaction_at, merged_into)
                VALUES (@Id, CONCAT('member ', @Id), @Stage, @HomeStoreId, @City, @FirstChannel, UTC_TIMESTAMP(6), @at, @MergedInto);
                """,
                new { m.Id, m.Stage, m.HomeStoreId, m.City, m.FirstChannel, m.MergedInto, at = m.LastInteractionAt ?? DateTime.UtcNow });
            var appId = m.AppId ?? TestAccounts.QueueAppId;
            var openId = $"o_seg_{m.Id}";
            // A merge moves the absorbed member's identities and follows to the survivor (MemberTables).
            var owner = m.MergedInto ?? m.Id;
            await Database.ExecuteAsync(
                """
                INSERT INTO member_identity (app_id, open_id, member_id, account_type, created_at) VALUES (@appId, @openId, @owner, 'OfficialAccount', UTC_TIMESTAMP(6));
                INSERT INTO member_follow (app_id, open_id, member_id, subscribed, subscribed_at) VALUES (@appId, @openId, @owner, @Subscribed, UTC_TIMESTAMP(6));
                """,
                new { appId, openId, owner, m.Subscribed });
            foreach (var tag in m.Tags ?? [])
            {
                await Database.ExecuteAsync("INSERT INTO member_tag (member_id, tag) VALUES (@Id, @tag)", new { m.Id, tag });
            }

            if (m.Balance is not null || m.Lifetime is not null)
            {
                await Database.ExecuteAsync(
                    "INSERT INTO points_account (member_id, balance, lifetime, tier, updated_at) VALUES (@Id, @balance, @lifetime, NULL, UTC_TIMESTAMP(6))",
                    new { m.Id, balance = m.Balance ?? 0, lifetime = m.Lifetime ?? m.Balance ?? 0 });
            }
        }
    }

    public static string OpenIdOf(ulong id) => $"o_seg_{id}";
}
