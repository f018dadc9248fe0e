using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Members;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Members;

public sealed class MemberTests : GatewayTest
{
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);
    private readonly FollowerDriver _queue = new(TestAccounts.Queue);

    private async Task PushAsync(FollowerDriver follower, string xml, string openId)
    {
        var response = await follower.SendAsync(Client, follower.Sign(xml, openId, SecurityMode.Safe));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("success"));
        await ProcessPushesAsync();
    }

    private static Task<ulong> MemberOfAsync(string appId, string openId) =>
        Database.ScalarAsync<ulong>("SELECT member_id FROM member_identity WHERE app_id = @appId AND open_id = @openId", new { appId, openId });

    private static Task<long> LiveMembersAsync() => Database.ScalarAsync<long>("SELECT COUNT(*) FROM member WHERE merged_into IS NULL");

    private static T Service<T>()
        where T : notnull => TestEnvironment.Gateway.Services.GetRequiredService<T>();

    [Test]
    public async Task FollowCreatesOneSubscribedFollowerMember()
    {
        await PushAsync(_passive, _passive.BuildEvent("o_new", "subscribe"), "o_new");
        await PushAsync(_passive, _passive.BuildText("o_new", "hello", 1001), "o_new");

        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_new");
        Assert.That(await LiveMembersAsync(), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<bool>("SELECT subscribed FROM member_follow WHERE member_id = @memberId", new { memberId }), Is.True);
        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("follower"));
    }

    [Test]
    public async Task QrSceneOfTheFollowAndEachScanIsAttributedOnce()
    {
        await PushAsync(_passive, _passive.BuildEvent("o_scan", "subscribe", "qrscene_store42", createTime: 1_700_000_000, ticket: "T1"), "o_scan");
        var scan = _passive.BuildEvent("o_scan", "SCAN", "promo-xmas", createTime: 1_700_000_100, ticket: "T2");
        await PushAsync(_passive, scan, "o_scan");
        await PushAsync(_passive, scan, "o_scan"); // WeChat's retry

        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_scan");
        var scenes = await Database.QueryAsync<(string Kind, string Scene)>("SELECT kind, scene FROM member_attribution WHERE member_id = @memberId ORDER BY at", new { memberId });
        Assert.That(scenes, Is.EqualTo(new[] { ("subscribe", "store42"), ("scan", "promo-xmas") }));
        Assert.That(await Database.ScalarAsync<string>("SELECT first_channel FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("store42"));
    }

    [Test]
    public async Task UnfollowMakesTheMemberLostAndARefollowCountsAsResubscribe()
    {
        await PushAsync(_passive, _passive.BuildEvent("o_fickle", "subscribe", createTime: 1_700_000_000), "o_fickle");
        await PushAsync(_passive, _passive.BuildEvent("o_fickle", "unsubscribe", createTime: 1_700_000_050), "o_fickle");
        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_fickle");
        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("lost"));

        await PushAsync(_passive, _passive.BuildEvent("o_fickle", "subscribe", createTime: 1_700_000_100), "o_fickle");

        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("follower"));
        Assert.That(await Database.ScalarAsync<int>("SELECT resubscribes FROM member_follow WHERE member_id = @memberId", new { memberId }), Is.EqualTo(1));
    }

    [Test]
    public async Task SameOpenIdOnAnotherAccountIsAnotherPerson()
    {
        // OpenIDs are per account: without a UnionID nothing says these two are one person.
        await PushAsync(_passive, _passive.BuildEvent("o_same", "subscribe"), "o_same");
        await PushAsync(_queue, _queue.BuildEvent("o_same", "subscribe"), "o_same");

        Assert.That(await MemberOfAsync(TestAccounts.PassiveAppId, "o_same"), Is.Not.EqualTo(await MemberOfAsync(TestAccounts.QueueAppId, "o_same")));
    }

    [Test]
    public async Task FollowerFetchedUnionIdJoinsTheMiniProgramMember()
    {
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_oa_1", "u_union_1", "Lily");
        await PushAsync(_passive, _passive.BuildEvent("o_oa_1", "subscribe", "qrscene_store7"), "o_oa_1");
        var follower = await MemberOfAsync(TestAccounts.PassiveAppId, "o_oa_1");

        await Service<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);
        var (client, session) = await MiniProgramClient.LoginAsync("o_mp_1", "u_union_1");
        using var _ = client;

        Assert.That(session.GetProperty("member").GetProperty("memberId").GetString(), Is.EqualTo(follower.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(await LiveMembersAsync(), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_identity WHERE member_id = @follower", new { follower }), Is.EqualTo(2));
    }

    [Test]
    public async Task MergeKeepsAttributionFollowsAndHistoryAndIsRecorded()
    {
        var (client, session) = await MiniProgramClient.LoginAsync("o_mp_2", "u_union_2");
        using var _ = client;
        var miniMember = ulong.Parse(session.GetProperty("member").GetProperty("memberId").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_oa_2", "u_union_2");
        await PushAsync(_passive, _passive.BuildEvent("o_oa_2", "subscribe", "qrscene_mall"), "o_oa_2");
        var followerMember = await MemberOfAsync(TestAccounts.PassiveAppId, "o_oa_2");
        Assert.That(followerMember, Is.Not.EqualTo(miniMember), "before the UnionID is known they are two");

        await Service<UnionIdFetchJob>().RunOnceAsync(CancellationToken.None);

        Assert.That(await MemberOfAsync(TestAccounts.PassiveAppId, "o_oa_2"), Is.EqualTo(miniMember), "the member holding the UnionID absorbs the follower");
        Assert.That(await Database.ScalarAsync<string>("SELECT scene FROM member_attribution WHERE member_id = @miniMember", new { miniMember }), Is.EqualTo("mall"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_follow WHERE member_id = @miniMember AND subscribed = 1", new { miniMember }), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<ulong>("SELECT merged_into FROM member WHERE id = @followerMember", new { followerMember }), Is.EqualTo(miniMember));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_merge WHERE from_member = @followerMember AND into_member = @miniMember", new { followerMember, miniMember }), Is.EqualTo(1));

        var me = await client.GetFromJsonAsync<JsonElement>("/api/mp/me");
        Assert.That(me.GetProperty("stage").GetString(), Is.EqualTo("follower"));
    }

    [Test]
    public async Task RacingMergesForOneNewUnionIdLeaveOneMember()
    {
        await Simulator.RegisterUserAsync(TestAccounts.PassiveAppId, "o_race_a", "u_race");
        await Simulator.RegisterUserAsync(TestAccounts.QueueAppId, "o_race_b", "u_race");
        await PushAsync(_passive, _passive.BuildEvent("o_race_a", "subscribe"), "o_race_a");
        await PushAsync(_queue, _queue.BuildEvent("o_race_b", "subscribe"), "o_race_b");
        var merger = Service<MemberMerger>();

        var racers = new List<Task>();
        for (var i = 0; i < 4; i++)
        {
            racers.Add(merger.AttachUnionIdAsync(TestAccounts.PassiveAppId, "o_race_a", "u_race", "test", CancellationToken.None));
            racers.Add(merger.AttachUnionIdAsync(TestAccounts.QueueAppId, "o_race_b", "u_race", "test", CancellationToken.None));
            racers.Add(MiniProgramClient.LoginAsync("o_race_mp", "u_race").ContinueWith(t => t.Result.Client.Dispose(), TaskScheduler.Default));
        }

        await Task.WhenAll(racers);

        var owners = await Database.QueryAsync<ulong>("SELECT DISTINCT member_id FROM member_identity WHERE union_id = 'u_race'");
        Assert.That(owners, Has.Count.EqualTo(1), "every identity with the UnionID points at one member");
        Assert.That(await LiveMembersAsync(), Is.EqualTo(1));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM member_identity WHERE member_id = @owner", new { owner = owners[0] }), Is.EqualTo(3));
    }

    [Test]
    public async Task MembersWithoutInteractionBecomeDormantAndComeBackWhenTheyWrite()
    {
        await PushAsync(_passive, _passive.BuildEvent("o_sleepy", "subscribe"), "o_sleepy");
        var memberId = await MemberOfAsync(TestAccounts.PassiveAppId, "o_sleepy");
        await Database.ExecuteAsync("UPDATE member SET last_interaction_at = UTC_TIMESTAMP(6) - INTERVAL 91 DAY WHERE id = @memberId", new { memberId });

        var moved = await Service<DormancyJob>().RunOnceAsync(CancellationToken.None);
        Assert.That(moved, Is.EqualTo(1));
        Assert.That(await Service<DormancyJob>().RunOnceAsync(CancellationToken.None), Is.Zero, "a second sweep moves nobody");
        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("dormant"));

        // WeChat retries the message: the member comes back once.
        var back = _passive.BuildText("o_sleepy", "I'm back", 424242);
        await PushAsync(_passive, back, "o_sleepy");
        await PushAsync(_passive, back, "o_sleepy");
        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("follower"));
        Assert.That(await StageMovesAsync(memberId), Is.EqualTo(new[] { "follower>dormant", "dormant>follower" }));
    }

    [Test]
    public async Task AFirstImportedOrderMovesTheMemberToCustomerOnceAndRecordsTheMove()
    {
        await PushAsync(_queue, _queue.BuildEvent("o_first_buyer", "subscribe"), "o_first_buyer");
        var memberId = await MemberOfAsync(TestAccounts.QueueAppId, "o_first_buyer");
        using var admin = AdminClient(TestAccounts.AdminKey);
        var order = new { orderNo = "FIRST-1", appId = TestAccounts.QueueAppId, openId = "o_first_buyer", amount = 88m, paidAt = DateTime.UtcNow };

        Assert.That((await admin.PostAsJsonAsync("/api/admin/orders", order)).IsSuccessStatusCode);
        Assert.That((await admin.PostAsJsonAsync("/api/admin/orders", order)).IsSuccessStatusCode, "the same order imported again");

        Assert.That(await Database.ScalarAsync<string>("SELECT stage FROM member WHERE id = @memberId", new { memberId }), Is.EqualTo("customer"));
        Assert.That(await StageMovesAsync(memberId), Is.EqualTo(new[] { "follower>customer" }));
    }

    private static async Task<string[]> StageMovesAsync(ulong memberId) =>
        [.. await Database.QueryAsync<string>("SELECT CONCAT(from_stage, '>', to_stage) FROM member_stage_move WHERE member_id = @memberId ORDER BY id", new { memberId })];
}
