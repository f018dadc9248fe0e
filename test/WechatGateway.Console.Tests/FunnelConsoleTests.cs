using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>The channel funnel chart on the dashboard, and what a store manager sees of it.</summary>
public sealed class FunnelConsoleTests : ConsoleTest
{
    private static async Task SeedAsync()
    {
        await TestStores.AddAsync(1);
        await TestStores.AddAsync(2);
        await Database.ExecuteAsync(
            """
            INSERT INTO group_live_code (id, app_id, code, name, store_id, ticket, qr_url, created_at, updated_at) VALUES
                (1, @appId, 'counter', 'Jing''an counter', 1, 't1', 'http://weixin.qq.com/q/1', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)),
                (2, @appId, 'window', 'Hongqiao window', 2, 't2', 'http://weixin.qq.com/q/2', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO funnel_day (live_code_id, day, store_id, scans, follows, members, group_joins, purchases) VALUES
                (1, UTC_DATE(), 1, 200, 150, 90, 45, 9),
                (1, UTC_DATE() - INTERVAL 3 DAY, 1, 100, 50, 30, 15, 3),
                (2, UTC_DATE(), 2, 40, 30, 20, 10, 2),
                (1, UTC_DATE() - INTERVAL 60 DAY, 1, 999, 999, 999, 999, 999);
            """,
            new { appId = TestAccounts.QueueAppId });
    }

    private async Task<Dictionary<string, string>> StepsAsync()
    {
        await Page.WaitForSelectorAsync("#funnel-chart svg.chart.funnel");
        var steps = await Page.Locator("#funnel-chart g[data-step]").EvaluateAllAsync<string[][]>(
            "gs => gs.map(g => [g.dataset.step, g.dataset.count, g.querySelector('text.value').textContent])");
        return steps.ToDictionary(s => s[0], s => $"{s[1]}|{s[2]}");
    }

    [Test]
    public async Task TheDashboardDrawsTheChannelFunnelAndRedrawsItForAStore()
    {
        await SeedAsync();
        await SignInAsync(TestAccounts.AdminKey);

        var all = await StepsAsync();
        Assert.That(all.Keys, Is.EqualTo(new[] { "scan", "follow", "member", "group", "purchase" }));
        Assert.That(all["scan"], Is.EqualTo("340|340"), "the last 30 days of both stores' codes; the day 60 days ago is outside");
        Assert.That(all["follow"], Is.EqualTo("230|230 · 67.65%"));
        Assert.That(await Page.TextContentAsync("#funnel-chart"), Does.Contain("Scans").And.Contain("First purchase"));
        var scanWidth = await Page.Locator("#funnel-chart g[data-step=scan] rect").GetAttributeAsync("width");
        var purchaseWidth = await Page.Locator("#funnel-chart g[data-step=purchase] rect").GetAttributeAsync("width");
        Assert.That(double.Parse(purchaseWidth!, System.Globalization.CultureInfo.InvariantCulture), Is.LessThan(double.Parse(scanWidth!, System.Globalization.CultureInfo.InvariantCulture) / 10));

        await Page.SelectOptionAsync("#funnel-store", "2");
        await Page.ClickAsync("#funnel-filters button[type=submit]");
        await Page.WaitForFunctionAsync("() => document.querySelector('#funnel-chart g[data-step=scan]')?.dataset.count === '40'");
        Assert.That((await StepsAsync())["purchase"], Is.EqualTo("2|2 · 20%"));
        await ScreenshotAsync("dashboard-funnel");
    }

    [Test]
    public async Task AStoreManagersFunnelCountsTheirStoresCodesOnly()
    {
        await SeedAsync();
        await SignInAsync(TestAccounts.ManagerKey);

        var mine = await StepsAsync();
        Assert.That(mine["scan"], Is.EqualTo("300|300"), "store 1 only");
        Assert.That(await Page.Locator("#funnel-code option").AllTextContentsAsync(), Is.EqualTo(new[] { "All live codes", "Jing'an counter" }));
    }
}
