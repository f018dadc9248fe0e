using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Members;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Members;

/// <summary>
/// Merge and erasure act on a member as a whole: every table a member owns. These tests read the schema, so a new table
/// with a <c>member_id</c> fails here until <see cref="MemberTables"/> says what both do with it, and then check that
/// what the list says happens to real rows.
/// </summary>
public sealed class MemberTablesTests : GatewayTest
{
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);

    [Test]
    public async Task EveryTableWithAMemberIdIsKnownToMergeAndErasure()
    {
        var owned = await Database.QueryAsync<string>(
            "SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = DATABASE() AND column_name = 'member_id' ORDER BY table_name");

        Assert.That(owned, Is.Not.Empty, "the schema is read");
        Assert.That(MemberTables.All.Select(t => t.Name).Order(StringComparer.Ordinal), Is.EqualTo(owned),
            "each table with a member_id is in Members/MemberTables.cs (with its merge and erasure), and each listed table exists");
        Assert.That(MemberTables.All.Where(t => t.Erase is null && string.IsNullOrWhiteSpace(t.Kept)), Is.Empty, "a table erasure leaves alone says why");
    }

    [Test]
    public async Task AMergedFollowerKeepsItsGroupSeatsLocationInvitationsAndSends()
    {
        var follower = await FollowerMemberAsync("o_merge_seat");
        var (mini, session) = await MiniProgramClient.LoginAsync("o_merge_mini", "u_merge_seat");
        using var _ = mini;
        var survivor = ulong.Parse(session.GetProperty("member").GetProperty("memberId").GetString()!, CultureInfo.InvariantCulture);
        await TestStores.AddAsync(1);
        // Group 1: only the follower holds a seat. Group 2: both do, and one person needs one seat.
        await Database.ExecuteAsync("""
            INSERT INTO community_group (id, store_id, name, capacity, member_count, qr_expires_at, created_at, updated_at)
            VALUES (1, 1, 'g1', 10, 1, '2030-01-01', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)), (2, 1, 'g2', 10, 2, '2030-01-01', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO group_member (group_id, member_id, invited_at, joined_at, joined_by) VALUES
                (1, @follower, '2026-11-01', '2026-11-02', 'staff'), (2, @follower, '2026-11-01', '2026-11-03', 'staff'), (2, @survivor, '2026-11-05', NULL, NULL);
            INSERT INTO member_location (member_id, lat, lng, source, at) VALUES (@follower, 31.2, 121.4, 'location', '2026-11-20'), (@survivor, 30.0, 120.0, 'mini-program', '2026-11-10');
            """, new { follower, survivor });
        await AddInvitationAndSendsAsync(follower, "o_merge_seat");
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_merge_seat", "u_merge_seat");

        await TestEnvironment.Gateway.Services.GetRequiredService<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);

        Assert.That(await Database.ScalarAsync<ulong>("SELECT merged_into FROM member WHERE id = @follower", new { follower }), Is.EqualTo(survivor), "the merge ran");
        var seats = await Database.QueryAsync<(ulong GroupId, ulong MemberId, DateTime? JoinedAt)>("SELECT group_id, member_id, joined_at FROM group_member ORDER BY group_id");
        Assert.That(seats.Select(s => (s.GroupId, s.MemberId)), Is.EqualTo(new[] { (1UL, survivor), (2UL, survivor) }), "the seats are the survivor's, one per group");
        Assert.That(seats[1].JoinedAt, Is.EqualTo(new DateTime(2026, 11, 3)), "the join the absorbed member had is kept");
        Assert.That(await Database.QueryAsync<int>("SELECT member_count FROM community_group ORDER BY id"), Is.EqualTo(new[] { 1, 1 }), "the seat held twice is given back");
        Assert.That(await Database.QueryAsync<double>("SELECT CAST(lat AS DOUBLE) FROM member_location WHERE member_id = @survivor", new { survivor }), Is.EqualTo(new[] { 31.2 }), "the newer location wins");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM group_invitation WHERE member_id = @survivor", new { survivor }), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM outbound_send WHERE member_id = @survivor", new { survivor }), Is.EqualTo(2));
        foreach (var table in MemberTables.All)
        {
            Assert.That(await Database.ScalarAsync<long>($"SELECT COUNT(*) FROM {table.Name} WHERE member_id = @follower", new { follower }), Is.Zero, $"no row of {table.Name} names the absorbed member");
        }
    }

    [Test]
    public async Task ErasureLeavesNoPersonalDataInTheMembersTablesAndCancelsWhatWasNotSent()
    {
        var member = await FollowerMemberAsync("o_erase_all");
        await TestStores.AddAsync(1);
        await Database.ExecuteAsync("""
            INSERT INTO member_tag (member_id, tag) VALUES (@member, 'coffee-lover');
            INSERT INTO member_location (member_id, lat, lng, source, at) VALUES (@member, 31.2, 121.4, 'location', UTC_TIMESTAMP(6));
            INSERT INTO shop_order (order_no, app_id, open_id, union_id, phone, amount, store_id, paid_at, member_id, awarded, created_at)
            VALUES ('NO-1', @appId, 'o_erase_all', 'u_erase_all', '13812348004', 12.5, 1, UTC_TIMESTAMP(6), @member, 0, UTC_TIMESTAMP(6));
            UPDATE wechat_push SET reply_xml = '<xml><Content>Hi Zhang</Content></xml>' WHERE open_id = 'o_erase_all';
            """, new { member, appId = TestAccounts.PassiveAppId });
        await AddInvitationAndSendsAsync(member, "o_erase_all");
        using var admin = AdminClient(TestAccounts.AdminKey);

        var erased = await admin.DeleteAsync($"/api/admin/members/{member}/personal-data");

        Assert.That(erased.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_tag WHERE member_id = @member", new { member }), Is.Zero, "tags");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_location WHERE member_id = @member", new { member }), Is.Zero, "location");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM shop_order WHERE member_id = @member AND phone IS NULL AND open_id IS NULL AND union_id IS NULL", new { member }), Is.EqualTo(1), "the order stays, without who placed it");
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM wechat_push WHERE open_id = 'o_erase_all' AND (raw_xml <> '' OR reply_xml IS NOT NULL)"), Is.Zero, "pushes and their rendered replies");
        Assert.That(await Database.QueryAsync<string>("SELECT messages FROM group_invitation WHERE member_id = @member", new { member }), Is.EqualTo(new[] { "[]" }), "invitation bodies");
        var sends = await Database.QueryAsync<(string Status, string Body, string? Fallback)>("SELECT status, body, fallback_body FROM outbound_send WHERE member_id = @member ORDER BY id", new { member });
        Assert.That(sends.Select(s => s.Status), Is.EqualTo(new[] { "sent", "cancelled" }), "a send not made yet is cancelled, not made with an empty body");
        Assert.That(sends.Select(s => s.Body), Is.All.EqualTo("{}"));
        Assert.That(sends.Select(s => s.Fallback), Is.All.Null);
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_identity WHERE member_id = @member", new { member }), Is.EqualTo(1), "the OpenID stays, to recognise the next push");
    }

    private async Task<ulong> FollowerMemberAsync(string openId)
    {
        await _passive.SendAsync(Client, _passive.Sign(_passive.BuildEvent(openId, "subscribe"), openId, SecurityMode.Safe));
        await ProcessPushesAsync();
        return await Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE open_id = @openId", new { openId });
    }

    /// <summary>An invitation that queued a message with the member's nickname, one send made and one not made yet.</summary>
    private static Task AddInvitationAndSendsAsync(ulong member, string openId) =>
        Database.ExecuteAsync("""
            INSERT INTO group_invitation (source_key, member_id, app_id, open_id, `trigger`, reason, status, messages, created_at)
            VALUES (CONCAT('test:', @openId), @member, @appId, @openId, 'follow', 'nearest store', 'queued', '["Hi Zhang"]', UTC_TIMESTAMP(6));
            INSERT INTO outbound_send (app_id, to_user, member_id, kind, body, fallback_body, source_key, status, created_at) VALUES
                (@appId, @openId, @member, 'custom', '{"text":{"content":"Hi Zhang"}}', NULL, CONCAT('test:', @openId, ':1'), 'sent', UTC_TIMESTAMP(6)),
                (@appId, @openId, @member, 'custom', '{"text":{"content":"You wrote: my address is ..."}}', '{"x":1}', CONCAT('test:', @openId, ':2'), 'pending', UTC_TIMESTAMP(6));
            """, new { member, openId, appId = TestAccounts.PassiveAppId });
}
