using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.MassSend;
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
    public async Task AViewerSeesTheLimitsButCannotSend()
    {
        await SignInAsync(TestAccounts.ViewerKey);
        await GoAsync("#/followers");

        var card = Page.Locator($"[data-mass-app-id={TestAccounts.QueueAppId}]");
        Assert.That(await card.Locator("p.mass-limits").TextContentAsync(), Does.Contain("calls a minute"));
        Assert.That(await card.Locator("form").CountAsync(), Is.Zero);
    }
}
