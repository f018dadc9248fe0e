using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Campaigns;
using WechatGateway.Followers;
using WechatGateway.MassSend;
using WechatGateway.Segments;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

public sealed class MassSendConsoleTests : ConsoleTest
{
    private static MassSendJob Job => ConsoleBrowser.Gateway.Services.GetRequiredService<MassSendJob>();

    [Test]
    public async Task AnAdminPreviewsAMassSendToOneFollowerSendsItToAllAndWatchesWechatsTotals()
    {
        await Simulator.RegisterFollowersAsync(TestAccounts.QueueAppId, 6, "o_massconsole_");
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/followers");

        var card = Page.Locator($"[data-mass-app-id={TestAccounts.QueueAppId}]");
        Assert.That(await card.Locator("p.mass-limits").TextContentAsync(), Does.Contain("Service account").And.Contain("at most 4 a month"));
        await card.Locator("textarea[name=massContent]").FillAsync("December offers <b>in store</b>");
        await card.Locator("input[name=massPreviewOpenId]").FillAsync("o_massconsole_0000000");
        await card.Locator("button.mass-preview").ClickAsync();
        await card.Locator(".mass-preview-note").GetByText("Preview sent").WaitForAsync();

        await card.Locator("button[type=submit]").ClickAsync();
        var status = card.Locator("[data-mass-send]");
        await status.GetByText("sending").WaitForAsync();
        await Job.SendDueAsync(CancellationToken.None);
        await Job.PollAsync(TimeSpan.Zero, CancellationToken.None);
        await status.GetByText("polled: SEND_SUCCESS").WaitForAsync(new() { Timeout = 10_000 });

        Assert.That(await status.TextContentAsync(), Does.Contain(": sent"));
        var sent = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/messages?api=message/mass/sendall");
        Assert.That(sent.GetArrayLength(), Is.EqualTo(6), "every follower once");
        Assert.That(sent[0].GetRawText(), Does.Contain("in store"), "the text as typed, markup and all");
        await ScreenshotAsync("mass-send");
    }

    [Test]
    public async Task AMassCampaignCreatedOnTheCampaignsPageShowsItsMassSend()
    {
        await Simulator.RegisterFollowersAsync(TestAccounts.QueueAppId, 5, "o_masscampaign_");
        var services = ConsoleBrowser.Gateway.Services;
        using (var admin = Api(TestAccounts.AdminKey))
        {
            (await admin.PostAsync($"/api/admin/accounts/{TestAccounts.QueueAppId}/sync", null)).EnsureSuccessStatusCode();
        }

        await services.GetRequiredService<FollowerSyncJob>().RunOnceAsync(CancellationToken.None);
        var segment = await services.GetRequiredService<SegmentStore>().CreateAsync("followers", new SegmentFilter(AppId: TestAccounts.QueueAppId), "test", CancellationToken.None);
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/campaigns");

        await Page.FillAsync("#campaign-form [name=name]", "December offers");
        await Page.SelectOptionAsync("#campaign-form [name=segmentId]", segment.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Page.SelectOptionAsync("#campaign-form [name=channel]", "mass");
        await Page.FillAsync("#campaign-form [name=content]", "December offers are in store");
        await Page.ClickAsync("#campaign-form button[type=submit]");
        await Page.Locator("#campaign-form p.status").GetByText("Created").WaitForAsync();
        var runner = services.GetRequiredService<CampaignRunner>();
        for (var round = 0; round < 20; round++)
        {
            await runner.RunOnceAsync(CancellationToken.None);
            await Job.SendDueAsync(CancellationToken.None);
        }

        var row = Page.Locator("#campaign-list tr").Filter(new() { HasText = "December offers" });
        await row.GetByText("mass send sent, no report yet").WaitForAsync();
        Assert.That(await row.TextContentAsync(), Does.Contain("completed"));
        var sent = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/messages?api=message/mass/send");
        Assert.That(sent.GetArrayLength(), Is.EqualTo(5));
    }

    [Test]
    public async Task AViewerSeesTheLimitsButCannotSend()
    {
        await SignInAsync(TestAccounts.ViewerKey);
        await GoAsync("#/followers");

        var card = Page.Locator($"[data-mass-app-id={TestAccounts.QueueAppId}]");
        Assert.That(await card.Locator("p.mass-limits").TextContentAsync(), Does.Contain("calls a minute"));
        Assert.That(await card.Locator("form").CountAsync(), Is.Zero);
    }
}
