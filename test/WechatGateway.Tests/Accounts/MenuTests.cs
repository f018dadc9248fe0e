using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WechatGateway.Tests.Infrastructure;
using WechatGateway.Wechat.Messages;
using WechatSimulator.Follower;

namespace WechatGateway.Tests.Accounts;

public sealed class MenuTests : GatewayTest
{
    private static readonly string MenuPath = $"/api/admin/accounts/{TestAccounts.PassiveAppId}/menu";
    private readonly FollowerDriver _passive = new(TestAccounts.Passive);

    private static object Menu(params object[] buttons) => new { buttons };

    private static readonly object FullMenu = new
    {
        buttons = new object[]
        {
            new { name = "会员卡", type = "click", key = "MEMBER_CARD" },
            new
            {
                name = "More",
                subButtons = new object[]
                {
                    new { name = "Shop", type = "miniprogram", url = "https://brand.example.com/shop", appId = TestAccounts.MiniProgramAppId, pagePath = "pages/index/index" },
                    new { name = "Scan a receipt", type = "scancode_push", key = "SCAN_RECEIPT" },
                    new { name = "Nearest store", type = "location_select", key = "NEAREST_STORE" },
                    new { name = "About us", type = "view", url = "https://brand.example.com/about" },
                },
            },
        },
        conditional = new[] { new { matchRule = new { tagId = "101" }, buttons = new[] { new { name = "VIP lounge", type = "view", url = "https://brand.example.com/vip" } } } },
    };

    private static async Task<JsonElement> PutAsync(object menu, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        using var response = await admin.PutAsJsonAsync(MenuPath, menu);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> GetAsync()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        return await admin.GetFromJsonAsync<JsonElement>(MenuPath);
    }

    private static string Shape(JsonElement buttons) => string.Join("|", buttons.EnumerateArray().Select(b =>
        $"{b.GetProperty("name")}:{Text(b, "type")}:{Text(b, "key")}:{Text(b, "url")}:{Text(b, "appId")}:{Text(b, "pagePath")}" +
        (b.TryGetProperty("subButtons", out var subs) && subs.ValueKind == JsonValueKind.Array ? $"[{Shape(subs)}]" : "")));

    private static string Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    [Test]
    public async Task ASavedMenuIsPushedToWechatAndReadBackTheSame()
    {
        var saved = await PutAsync(FullMenu);
        var read = await GetAsync();

        var sent = JsonSerializer.SerializeToElement(FullMenu, JsonSerializerOptions.Web).GetProperty("buttons");
        Assert.That(read.GetProperty("current").GetProperty("isMenuOpen").GetBoolean(), Is.True);
        Assert.That(Shape(read.GetProperty("current").GetProperty("buttons")), Is.EqualTo(Shape(sent)), "get_current_selfmenu_info serves what was pushed");
        Assert.That(Shape(read.GetProperty("saved").GetProperty("buttons")), Is.EqualTo(Shape(sent)));
        Assert.That(read.GetProperty("saved").GetProperty("conditional")[0].GetProperty("matchRule").GetProperty("tagId").GetString(), Is.EqualTo("101"));
        var firstIds = saved.GetProperty("conditionalMenuIds").EnumerateArray().Select(i => i.GetString()).ToList();
        Assert.That(firstIds, Has.Count.EqualTo(1), "menu/addconditional gave the tag's menu an id");

        var again = await PutAsync(FullMenu);
        var conditional = await TestEnvironment.Simulator.Client.GetFromJsonAsync<JsonElement>("/_sim/menus?appid=" + TestAccounts.PassiveAppId);
        Assert.That(conditional.GetProperty("conditional").EnumerateArray().Select(c => c.GetString()), Is.EqualTo(again.GetProperty("conditionalMenuIds").EnumerateArray().Select(i => i.GetString())),
            "a second push replaces the conditional menus of the first instead of adding to them");
    }

    [TestCase(4, "buttons", 40016, TestName = "AMenuOfFourTopButtonsIsRefusedNamingTheRule")]
    [TestCase(1, "buttons[0].name", 40018, TestName = "ATopButtonNameOver16BytesIsRefused")]
    [TestCase(2, "buttons[0].subButtons", 40023, TestName = "SixSubButtonsAreRefused")]
    [TestCase(3, "buttons[0].subButtons[0].name", 40025, TestName = "ASubButtonNameOver60BytesIsRefused")]
    [TestCase(5, "buttons[0].key", 40019, TestName = "AClickKeyOver128BytesIsRefused")]
    [TestCase(6, "buttons[0].url", 40020, TestName = "AViewButtonWithoutUrlIsRefused")]
    [TestCase(7, "buttons[0].pagePath", 40165, TestName = "AMiniProgramButtonWithoutPagePathIsRefused")]
    [TestCase(8, "buttons[0].type", 40017, TestName = "AnUnknownButtonTypeIsRefused")]
    [TestCase(9, "conditional[0].matchRule.tagId", 65304, TestName = "AConditionalMenuWithoutATagIsRefused")]
    public async Task AnInvalidMenuIsRefusedWith400BeforeWechatIsCalled(int variant, string path, int errcode)
    {
        var click = new { name = "ok", type = "click", key = "K" };
        object menu = variant switch
        {
            4 => Menu(click, click, click, click),
            1 => Menu(new { name = "会员中心专区", type = "click", key = "K" }), // 6 Chinese characters: 18 bytes
            2 => Menu(new { name = "More", subButtons = Enumerable.Repeat(click, 6).ToArray() }),
            3 => Menu(new { name = "More", subButtons = new[] { new { name = new string('x', 61), type = "click", key = "K" } } }),
            5 => Menu(new { name = "ok", type = "click", key = new string('k', 129) }),
            6 => Menu(new { name = "ok", type = "view" }),
            7 => Menu(new { name = "ok", type = "miniprogram", url = "https://brand.example.com", appId = TestAccounts.MiniProgramAppId }),
            8 => Menu(new { name = "ok", type = "media_id", key = "K" }),
            _ => new { buttons = new[] { click }, conditional = new[] { new { buttons = new[] { click } } } },
        };

        var problem = await PutAsync(menu, HttpStatusCode.BadRequest);

        Assert.That(problem.GetProperty("path").GetString(), Is.EqualTo(path));
        Assert.That(problem.GetProperty("errcode").GetInt32(), Is.EqualTo(errcode));
        Assert.That(problem.GetProperty("detail").GetString(), Does.StartWith(path + ":"), "the detail names the rule");
        Assert.That((await GetAsync()).GetProperty("current").GetProperty("isMenuOpen").GetBoolean(), Is.False, "WeChat was never asked");
    }

    [Test]
    public async Task AClickOnThePushedMenusButtonTriggersItsReplyAndPointsRules()
    {
        using var admin = AdminClient(TestAccounts.AdminKey);
        Assert.That((await admin.PostAsJsonAsync("/api/admin/auto-replies", new
        {
            name = "member card", match = "event", @event = "click", eventKey = "MEMBER_CARD",
            reply = new { type = "text", content = "Your card: {{ member.points.balance }} points" },
        })).StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await admin.PostAsJsonAsync("/api/admin/points/rules", new { name = "menu tap", trigger = "keyword", matchKey = "MEMBER_CARD", points = 5, enabled = true })).StatusCode,
            Is.EqualTo(HttpStatusCode.Created));
        await PutAsync(FullMenu);
        var pushed = (await GetAsync()).GetProperty("current").GetProperty("buttons").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "会员卡");

        // What WeChat pushes when a follower taps that button: a CLICK event carrying the button's key.
        var tap = _passive.BuildEvent("o_menu_tap", "CLICK", pushed.GetProperty("key").GetString());
        var response = await _passive.SendAsync(Client, _passive.Sign(tap, "o_menu_tap", SecurityMode.Safe));
        var reply = WechatXml.Parse(_passive.DecryptReply(await response.Content.ReadAsStringAsync())!);
        await ProcessPushesAsync();

        Assert.That(reply["Content"], Does.StartWith("Your card:"));
        Assert.That(await Database.ScalarAsync<long>(
            "SELECT balance FROM points_account a JOIN member_identity i ON i.member_id = a.member_id WHERE i.open_id = 'o_menu_tap'"), Is.EqualTo(5),
            "the key is a keyword for points rules too");
    }

    [Test]
    public async Task OnlyAdminsChangeTheMenuOfAnOfficialAccountAndDeletingItEmptiesWechats()
    {
        using var manager = AdminClient(TestAccounts.ManagerKey);
        using var viewer = AdminClient(TestAccounts.ViewerKey);
        using var admin = AdminClient(TestAccounts.AdminKey);
        Assert.That((await manager.PutAsJsonAsync(MenuPath, FullMenu)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await viewer.PutAsJsonAsync(MenuPath, FullMenu)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await admin.PutAsJsonAsync($"/api/admin/accounts/{TestAccounts.MiniProgramAppId}/menu", FullMenu)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a mini-program has no menu");
        Assert.That((await admin.GetAsync("/api/admin/accounts/wx_unknown/menu")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        await PutAsync(FullMenu);
        Assert.That((await admin.DeleteAsync(MenuPath)).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        var read = await GetAsync();
        Assert.That(read.GetProperty("current").GetProperty("isMenuOpen").GetBoolean(), Is.False);
        Assert.That(read.GetProperty("saved").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }
}
