using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.Console;

public sealed class DashboardIndexTests : GatewayTest
{
    /// <summary>The dashboard's day counts filter on these columns; without an index each call reads the whole table.</summary>
    [TestCase("member_timeline", "kind", "at")]
    [TestCase("points_ledger", "created_at", null)]
    public async Task TheColumnsTheDashboardFiltersOnAreIndexed(string table, string first, string? second)
    {
        var indexes = await Database.QueryAsync<(string Name, string Columns)>(
            """
            SELECT index_name AS Name, GROUP_CONCAT(column_name ORDER BY seq_in_index) AS Columns
            FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = @table
            GROUP BY index_name
            """,
            new { table });

        Assert.That(indexes.Select(i => i.Columns), Has.Some.StartsWith(second is null ? first : $"{first},{second}"));
    }
}
