using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;

namespace WechatGateway.Tests.OpsConsole;

/// <summary>The custom menu page: a menu built in the console reaches WeChat, and a rule it breaks is named.</summary>
public sealed class MenuConsoleTests : ConsoleTest
{
    [Test]
    public async Task AMenuBuiltInTheConsoleIsPushedAndABrokenRuleIsNamed()
    {
        await SignInAsync(TestAccounts.AdminKey);
        await GoAsync($"#/menu/{TestAccounts.QueueAppId}");
        await Page.WaitForSelectorAsync("#menu-form");

        await Page.ClickAsync("#menu-add-top");
        var top = Page.Locator("#menu-form fieldset.menu-top").Last;
        await top.Locator("input[name=name]").First.FillAsync("会员中心专区");
        await top.Locator("input[name=key]").First.FillAsync("MEMBER_CARD");
        await Page.ClickAsync("#menu-form button[type=submit]");
        await Page.WaitForFunctionAsync("() => document.querySelector('#menu-status')?.textContent.includes('40018')");
        Assert.That(await Page.TextContentAsync("#menu-status"), Does.Contain("buttons[0].name"), "the rule and the button are named");

        await top.Locator("input[name=name]").First.FillAsync("会员卡");
        await Page.ClickAsync("#menu-form button[type=submit]");
        await Page.WaitForSelectorAsync("ul.menu-current li:has-text('MEMBER_CARD')");

        using var admin = Api(TestAccounts.AdminKey);
        var menu = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/accounts/{TestAccounts.QueueAppId}/menu");
        var button = menu.GetProperty("current").GetProperty("buttons")[0];
        Assert.That((button.GetProperty("name").GetString(), button.GetProperty("key").GetString()), Is.EqualTo(("会员卡", "MEMBER_CARD")));
        await ScreenshotAsync("menu");
    }
}
