using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Followers;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

public sealed class FollowersConsoleTests : ConsoleTest
{
    [Test]
    public async Task AnAdminImportsFollowersAndMirrorsATagFromTheConsole()
    {
        await Simulator.RegisterFollowersAsync(TestAccounts.QueueAppId, 120, "o_console_", "u_console_");
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/followers");

        var card = Page.Locator($"[data-app-id={TestAccounts.QueueAppId}]").Locator("xpath=..");
        await card.Locator("button.new").ClickAsync();
        await card.Locator("p.status").GetByText("started").WaitForAsync();
        await ConsoleBrowser.Gateway.Services.GetRequiredService<FollowerSyncJob>().RunOnceAsync(CancellationToken.None);
        await GoAsync("#/followers");
        var syncs = card.Locator($"[data-app-id={TestAccounts.QueueAppId}]");
        await syncs.GetByText("completed").WaitForAsync();
        Assert.That(await syncs.TextContentAsync(), Does.Contain("120 of 120"));

        await card.Locator("input[name=tag]").FillAsync("vip");
        await card.Locator("button[type=submit]").ClickAsync();
        await Page.Locator("main#page td").Filter(new() { HasText = "vip" }).First.WaitForAsync();
        await ScreenshotAsync("followers");
    }

    [Test]
    public async Task AViewerSeesImportsButCannotStartOne()
    {
        await SignInAsync(TestAccounts.ViewerKey);
        await GoAsync("#/followers");

        Assert.That(await Page.Locator("main#page h2").First.TextContentAsync(), Does.Contain(TestAccounts.QueueAppId));
        Assert.That(await Page.Locator("main#page button.new").CountAsync(), Is.Zero);
    }
}
