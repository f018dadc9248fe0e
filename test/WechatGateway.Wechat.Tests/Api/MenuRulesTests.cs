using WechatGateway.Wechat.Api;

namespace WechatGateway.Wechat.Tests.Api;

public sealed class MenuRulesTests
{
    private static readonly MenuButton Click = new("Songs", MenuButtonTypes.Click, Key: "V1001_TODAY_MUSIC");

    [Test]
    public void WechatsOwnSampleMenuPasses()
    {
        // The menu/create sample of WeChat's documentation, with its miniprogram button.
        var menu = new[]
        {
            Click,
            new MenuButton("菜单", SubButtons:
            [
                new("搜索", MenuButtonTypes.View, Url: "http://www.soso.com/"),
                new("wxa", MenuButtonTypes.MiniProgram, Url: "http://mp.weixin.qq.com", AppId: "wx286b93c14bbf93aa", PagePath: "pages/lunar/index"),
                new("赞一下我们", MenuButtonTypes.Click, Key: "V1001_GOOD"),
            ]),
        };

        Assert.That(MenuRules.Check(menu), Is.Null);
    }

    [Test]
    public void NamesAreCountedInUtf8Bytes()
    {
        Assert.That(MenuRules.Check([Click with { Name = "会员中心专" }]), Is.Null, "5 Chinese characters: 15 bytes");
        Assert.That(MenuRules.Check([Click with { Name = "会员中心专区" }])?.Errcode, Is.EqualTo(40018), "6: 18 bytes");
        Assert.That(MenuRules.Check([new MenuButton("More", SubButtons: [Click with { Name = new string('中', 20) }])]), Is.Null, "60 bytes in a sub-menu");
        Assert.That(MenuRules.Check([new MenuButton("More", SubButtons: [Click with { Name = new string('中', 21) }])])?.Errcode, Is.EqualTo(40025));
    }

    [Test]
    public void EachRuleHasWechatsErrcodeAndItsPlace()
    {
        Assert.That(MenuRules.Check([]), Is.EqualTo(new MenuViolation(40016, "buttons", "a menu has 1 to 3 top buttons")));
        Assert.That(MenuRules.Check([Click, Click, Click, Click])?.Errcode, Is.EqualTo(40016));
        Assert.That(MenuRules.Check([new MenuButton("More", SubButtons: Enumerable.Repeat(Click, 6).ToList())])?.Path, Is.EqualTo("buttons[0].subButtons"));
        Assert.That(MenuRules.Check([new MenuButton("More", SubButtons: [new MenuButton("Deeper", SubButtons: [Click])])])?.Errcode, Is.EqualTo(40022));
        Assert.That(MenuRules.Check([Click with { Key = new string('k', 129) }])?.Errcode, Is.EqualTo(40019));
        Assert.That(MenuRules.Check([new MenuButton("More", SubButtons: [Click with { Key = null }])])?.Path, Is.EqualTo("buttons[0].subButtons[0].key"));
        Assert.That(MenuRules.Check([new MenuButton("Go", MenuButtonTypes.View, Url: "https://x.example/" + new string('a', 1010))])?.Errcode, Is.EqualTo(40020));
        Assert.That(MenuRules.Check([new MenuButton("Go", MenuButtonTypes.View, Url: "javascript:alert(1)")])?.Errcode, Is.EqualTo(65317));
        Assert.That(MenuRules.Check([new MenuButton("Shop", MenuButtonTypes.MiniProgram, Url: "https://x.example/", AppId: "wx1")])?.Path, Is.EqualTo("buttons[0].pagePath"));
        Assert.That(MenuRules.Check([new MenuButton("Pic", "pic_weixin", Key: "K")])?.Errcode, Is.EqualTo(40017), "types the gateway does not edit are refused");
        Assert.That(MenuRules.Check([new MenuButton("Where", MenuButtonTypes.LocationSelect, Key: "NEAREST"), new MenuButton("Scan", MenuButtonTypes.ScanCodePush, Key: "SCAN")]), Is.Null);
    }
}
