using System.Net;
using Microsoft.Extensions.DependencyInjection;
using WechatGateway.Journeys;
using WechatGateway.Processing;
using WechatGateway.Tests.Infrastructure;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.OpsConsole;

public sealed class JourneysConsoleTests : ConsoleTest
{
    private async Task FillStepAsync(int i, string after, string content)
    {
        await Page.FillAsync($"#journey-form [name='steps[{i}].after']", after);
        await Page.SelectOptionAsync($"#journey-form [name='steps[{i}].channel']", "customer-service");
        await Page.FillAsync($"#journey-form [name='steps[{i}].content']", content);
    }

    [Test]
    public async Task AnAdminCreatesAWelcomeSeriesAndWatchesANewFollowerCountedInItsFirstStep()
    {
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/journeys");
        await Page.FillAsync("#journey-form [name='name']", "welcome series");
        await Page.SelectOptionAsync("#journey-form [name='appId']", TestAccounts.QueueAppId);
        await Page.SelectOptionAsync("#journey-form [name='trigger']", "event:follow");
        await FillStepAsync(0, "PT0S", "Welcome, {{ member.nickname | default: 'friend' }}");
        await FillStepAsync(1, "P3D", "A coupon for your first visit");
        await Page.ClickAsync("#journey-form button[type=submit]");

        var row = Page.Locator("#journey-list tr", new() { HasText = "welcome series" });
        await row.WaitForAsync();
        Assert.That(await row.TextContentAsync(), Does.Contain("First follow (welcome series)").And.Contain("at once, customer-service").And.Contain("after 3 days, customer-service"));

        // A new follower: a follow is no message, so a customer-service text is outside WeChat's 48-hour window.
        var services = ConsoleBrowser.Gateway.Services;
        var driver = new FollowerDriver(TestAccounts.Queue);
        using (var client = ConsoleBrowser.Gateway.CreateClient())
        {
            using var response = await driver.SendAsync(client, driver.Sign(driver.BuildEvent("o_journey_console", "subscribe"), "o_journey_console", SecurityMode.Safe));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await services.GetRequiredService<PushProcessingJob>().RunUntilIdleAsync(CancellationToken.None);
        await services.GetRequiredService<JourneyRunner>().RunOnceAsync(CancellationToken.None);

        var first = row.Locator("li[data-step='0']");
        await first.GetByText("outside-window: 1").WaitForAsync(new() { Timeout = 10_000 });
        Assert.That(await first.TextContentAsync(), Does.Contain("skipped 1"));
        Assert.That(await row.Locator("li[data-step='1']").TextContentAsync(), Does.Contain("pending 1"), "the second step waits its three days");
        await ScreenshotAsync("journeys");
    }

    [Test]
    public async Task ADelayThatIsNoDurationIsNamedBesideItsFieldAndNothingIsCreated()
    {
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync("#/journeys");
        await Page.FillAsync("#journey-form [name='name']", "win-back");
        await Page.SelectOptionAsync("#journey-form [name='trigger']", "stage:dormant");
        await FillStepAsync(0, "three days", "We miss you");
        await Page.ClickAsync("#journey-form button[type=submit]");

        await Page.WaitForSelectorAsync("#journey-form .status.error");
        Assert.That(await Page.TextContentAsync("#journey-form .field:has([name='steps[0].after']) .field-error"), Does.Contain("ISO-8601"));
        Assert.That(await Database.ScalarAsync<long>("SELECT COUNT(*) FROM journey"), Is.Zero);
    }

    [Test]
    public async Task AViewerSeesTheJourneysButNoFormToCreateOne()
    {
        using (var admin = Api(TestAccounts.AdminKey))
        {
            var created = await admin.PostAsync("/api/admin/journeys", new StringContent(
                $$"""{ "appId": "{{TestAccounts.QueueAppId}}", "name": "thank you", "trigger": { "stage": "customer" }, "steps": [ { "after": "PT0S", "channel": "customer-service", "reply": { "type": "text", "content": "Thank you" } } ] }""",
                System.Text.Encoding.UTF8, "application/json"));
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        }

        await SignInAsync(TestAccounts.ViewerKey);
        await GoAsync("#/journeys");

        Assert.That(await Page.TextContentAsync("#journey-list"), Does.Contain("thank you").And.Contain("First order (customer)"));
        Assert.That(await Page.Locator("#journey-form").CountAsync(), Is.Zero);
    }
}
