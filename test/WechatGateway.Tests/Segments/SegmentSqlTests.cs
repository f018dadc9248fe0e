using Dapper;
using MySqlConnector;
using WechatGateway.Segments;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Segments;

public sealed class SegmentSqlTests : GatewayTest
{
    private static readonly WechatGateway.Points.TierOptions[] Scale =
        [new() { Name = "basic", MinLifetime = 0 }, new() { Name = "silver", MinLifetime = 1000 }, new() { Name = "gold", MinLifetime = 5000 }];

    private static async Task<List<(ulong MemberId, string OpenId)>> PageAsync(SegmentFilter filter, ulong after, int limit)
    {
        var page = SegmentSql.Page(filter, after, limit);
        await using var c = new MySqlConnection(TestEnvironment.MySqlConnectionString);
        return (await c.QueryAsync<(ulong, string)>(page.Sql, page.Parameters)).AsList();
    }

    private static async Task<long> CountAsync(SegmentFilter filter, IReadOnlyList<long>? scope = null)
    {
        var count = SegmentSql.Count(filter, scope);
        await using var c = new MySqlConnection(TestEnvironment.MySqlConnectionString);
        return await c.ExecuteScalarAsync<long>(count.Sql, count.Parameters);
    }

    [Test]
    public async Task PagesWalkTheAudienceOnceInMemberOrderWithEachMembersOpenId()
    {
        await TestMembers.AddAsync([.. Enumerable.Range(1, 7).Select(i => new TestMembers.Seed((ulong)i))]);
        await TestMembers.AddAsync(new TestMembers.Seed(8, MergedInto: 1), new TestMembers.Seed(9, AppId: TestAccounts.PassiveAppId));

        var filter = new SegmentFilter(AppId: TestAccounts.QueueAppId);
        var seen = new List<(ulong, string)>();
        ulong after = 0;
        while (await PageAsync(filter, after, 3) is { Count: > 0 } page)
        {
            seen.AddRange(page);
            after = page[^1].MemberId;
        }

        Assert.That(seen, Is.EqualTo(Enumerable.Range(1, 7).Select(i => ((ulong)i, TestMembers.OpenIdOf((ulong)i)))));
    }

    [Test]
    public async Task EveryFieldGivenIsAndedAndAnEmptyFilterHoldsEveryLiveMember()
    {
        var recent = DateTime.UtcNow.AddDays(-1);
        var old = DateTime.UtcNow.AddDays(-90);
        await TestMembers.AddAsync(
            new TestMembers.Seed(1, Stage: "customer", HomeStoreId: 1, City: "Shanghai", Tags: ["coffee", "weekend"], Balance: 500, Lifetime: 6000, LastInteractionAt: recent),
            new TestMembers.Seed(2, Stage: "customer", HomeStoreId: 1, City: "Shanghai", Tags: ["coffee"], Balance: 50, LastInteractionAt: old),
            new TestMembers.Seed(3, Stage: "dormant", HomeStoreId: 2, City: "Beijing", Tags: ["tea"], Subscribed: false, LastInteractionAt: old),
            new TestMembers.Seed(4, Stage: "follower", FirstChannel: "store42", Tags: ["coffee", "vip"]));

        Assert.Multiple(async () =>
        {
            Assert.That(await CountAsync(new SegmentFilter()), Is.EqualTo(4));
            Assert.That(await CountAsync(new SegmentFilter(Stages: ["customer"])), Is.EqualTo(2));
            Assert.That(await CountAsync(new SegmentFilter(TagsAll: ["coffee", "weekend"])), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(TagsAny: ["tea", "weekend"])), Is.EqualTo(2));
            Assert.That(await CountAsync(new SegmentFilter(TagsNone: ["vip", "tea"])), Is.EqualTo(2));
            Assert.That(await CountAsync(new SegmentFilter(Tiers: ["gold"]) { TierScale = Scale }), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(Tiers: ["basic"]) { TierScale = Scale }), Is.EqualTo(3), "no points account is the lowest tier");
            Assert.That(await CountAsync(new SegmentFilter(Tiers: ["silver", "gold"]) { TierScale = Scale }), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(PointsMin: 100)), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(PointsMax: 100)), Is.EqualTo(3), "no points account is a balance of 0");
            Assert.That(await CountAsync(new SegmentFilter(StoreIds: [1])), Is.EqualTo(2));
            Assert.That(await CountAsync(new SegmentFilter(Cities: ["Beijing"])), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(FirstChannel: "store42")), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(LastInteractionBefore: DateTimeOffset.UtcNow.AddDays(-30))), Is.EqualTo(2));
            Assert.That(await CountAsync(new SegmentFilter(LastInteractionAfter: DateTimeOffset.UtcNow.AddDays(-30))), Is.EqualTo(2));
            Assert.That(await CountAsync(new SegmentFilter(AppId: TestAccounts.QueueAppId, Subscribed: false)), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(Subscribed: true)), Is.EqualTo(3));
            Assert.That(await CountAsync(new SegmentFilter(Stages: ["customer"], TagsAny: ["coffee"], LastInteractionAfter: DateTimeOffset.UtcNow.AddDays(-30))), Is.EqualTo(1));
            Assert.That(await CountAsync(new SegmentFilter(), scope: [2]), Is.EqualTo(1), "a store manager's scope");
        });
    }

    [Test]
    public async Task RfmRangesHoldOnlyMembersScoredWithinThem()
    {
        await TestMembers.AddAsync(new TestMembers.Seed(1), new TestMembers.Seed(2), new TestMembers.Seed(3));
        await Database.ExecuteAsync(
            """
            INSERT INTO member_rfm (member_id, last_order_at, orders, amount, r, f, m, scored_at) VALUES
              (1, UTC_TIMESTAMP(6), 12, 5000, 5, 5, 5, UTC_TIMESTAMP(6)),
              (2, UTC_TIMESTAMP(6), 1, 20, 2, 1, 1, UTC_TIMESTAMP(6))
            """);

        Assert.That(await CountAsync(new SegmentFilter(Rfm: new RfmFilter(R: [4, 5]))), Is.EqualTo(1));
        Assert.That(await CountAsync(new SegmentFilter(Rfm: new RfmFilter(R: [1, 5], F: [1, 2], M: [1, 1]))), Is.EqualTo(1));
    }

    [Test]
    public async Task ACountSplitIntoIdRangesAddsUpToTheWholeCount()
    {
        await TestMembers.AddAsync([.. new ulong[] { 1, 2, 3, 50, 51, 99, 100, 1_000, 250_000, 999_999 }.Select(id => new TestMembers.Seed(id, Stage: id % 2 == 0 ? "customer" : "follower"))]);
        var filter = new SegmentFilter(AppId: TestAccounts.QueueAppId, Stages: ["customer"]);
        var ranges = SegmentQueries.Ranges(1, 999_999, parts: 4, splitAbove: 10);

        long split = 0;
        foreach (var range in ranges)
        {
            var part = SegmentSql.Count(filter, null, range);
            await using var c = new MySqlConnection(TestEnvironment.MySqlConnectionString);
            split += await c.ExecuteScalarAsync<long>(part.Sql, part.Parameters);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(ranges, Has.Count.EqualTo(4));
            Assert.That(ranges.Zip(ranges.Skip(1)).All(p => p.First.To + 1 == p.Second.From), "consecutive, no gap, no overlap");
            Assert.That((ranges[0].From, ranges[^1].To), Is.EqualTo((1UL, 999_999UL)));
            Assert.That(split, Is.EqualTo(await CountAsync(filter)).And.EqualTo(5));
            Assert.That(SegmentQueries.Ranges(1, 1_000, parts: 4, splitAbove: 200_000), Is.EqualTo(new[] { (1UL, 1_000UL) }), "a small span is counted whole");
            Assert.That(SegmentQueries.Ranges(5, 7, parts: 4, splitAbove: 0), Has.Count.EqualTo(3), "no empty range past the end");
        });
    }

    [Test]
    public async Task EveryoneOnAnAccountAndItsFollowersAreCountedOncePerLiveMember()
    {
        await TestMembers.AddAsync(
            new TestMembers.Seed(1), new TestMembers.Seed(2), new TestMembers.Seed(3, Subscribed: false),
            new TestMembers.Seed(4, AppId: TestAccounts.PassiveAppId), new TestMembers.Seed(5, MergedInto: 1));
        var everyone = new SegmentFilter(AppId: TestAccounts.QueueAppId);
        var followers = new SegmentFilter(AppId: TestAccounts.QueueAppId, Subscribed: true);

        Assert.Multiple(async () =>
        {
            Assert.That(SegmentSql.AccountTable(everyone), Is.EqualTo("member_identity"));
            Assert.That(SegmentSql.AccountTable(followers), Is.EqualTo("member_follow"));
            Assert.That(SegmentSql.AccountTable(followers with { Stages = ["customer"] }), Is.Null, "any other field probes per member");
            Assert.That(await CountAsync(everyone), Is.EqualTo(3), "member 1 holds two OpenIDs since the merge and counts once");
            Assert.That(await CountAsync(followers), Is.EqualTo(2));
            Assert.That(await CountAsync(everyone, scope: [7]), Is.Zero, "a store manager's scope is the general path");
        });
    }

    [Test]
    public void APageNeedsAnAccount() =>
        Assert.Throws<ArgumentException>(() => SegmentSql.Page(new SegmentFilter(Stages: ["customer"]), 0, 100));
}
